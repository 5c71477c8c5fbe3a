"""`python -m infra.local` (`make run`): see `infra.local.runtime`."""

import sys

from infra.local.runtime import main

sys.exit(main())
