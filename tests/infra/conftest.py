"""Infrastructure tests share one synthesized app per session (a synth costs 5-10 s), and one
synthesized test-only stack for the schedule path (see `tests/infra/scheduled.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.scheduled import synth_scheduled
from tests.support.cdk import Synthesis, synth_app, synth_template


@pytest.fixture(scope="session")
def synthesis() -> Synthesis:
    return synth_app()


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return synth_template()


@pytest.fixture(scope="session")
def scheduled() -> Synthesis:
    return synth_scheduled()
