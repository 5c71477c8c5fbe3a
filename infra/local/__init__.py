"""Local mode: the whole system on one machine, no AWS account needed (`make run`).

- `runtime`: starts DynamoDB Local and moto (`services`), one worker process per function
  (`functions`, `worker`), the gateway, the scheduler and the SQS pollers, and stops them all again;
- `gateway`: the HTTP API on 127.0.0.1:3000 (API Gateway HTTP API, payload format 2.0 built by
  `events`, the JWT authorizer emulated by `auth`) plus the `/_local/...` helpers (`outbox`,
  schedules, SES events), the forms at `/` and the site under `/site/`;
- `scheduler` runs the declared schedules (`cron` evaluates their cron/rate expressions);
  `queues` feeds SES bounce and complaint events to the functions declared with `ses_events`;
- `ses_suppression` gives moto SES's account-level suppression list, which it lacks;
- `invoke`: `make invoke FN=... EVENT=...`, one invocation like `sam local invoke`;
- `auth`: `python -m infra.local.auth --group editors` mints a token for the local authorizer.

Everything reads `infra.declaration`, never a copy of it. This package's `__init__` stays free of
imports: each function's worker process imports it before its handler.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_DIR = Path(".local")

REGION = "eu-west-2"
ACCOUNT_ID = "123456789012"  # moto's default account
SIGNING_KEY_SECRET = "mkcpp/signing-key"  # the token-signing secret
LOOKUP_KEY_SECRET = "mkcpp/lookup-key"  # the email-lookup secret
CONFIGURATION_SET = "mkcpp-local"
