"""Infrastructure tests share one synthesized app per session (a synth costs 5-10 s), one
synthesized test-only stack for the schedule path (see `tests/infra/scheduled.py`), and one app
with the throwaway capability declared too (`tests/support/throwaway`)."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from infra import declaration
from tests.infra.scheduled import synth_scheduled
from tests.support.cdk import Synthesis, ensure_assets, new_outdir, synth_app, synth_template, synthesize
from tests.support.throwaway import NOTES, declaring, with_site_writers


class Throwaway(NamedTuple):
    synthesis: Synthesis
    stack_name: str
    capabilities: tuple[declaration.Capability, ...]  # declare these again to read the template

    @property
    def template(self) -> dict[str, Any]:
        return self.synthesis.templates[self.stack_name]


@pytest.fixture(scope="session")
def synthesis() -> Synthesis:
    return synth_app()


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return synth_template()


@pytest.fixture(scope="session")
def scheduled() -> Synthesis:
    return synth_scheduled()


@pytest.fixture(scope="session")
def throwaway() -> Throwaway:
    """The real app with the throwaway capability declared, and a publisher writing the site bucket."""
    ensure_assets()
    capabilities = with_site_writers((*declaration.CAPABILITIES, NOTES))
    with declaring(*capabilities, replace_all=True):
        from infra.app import build_app

        app, stack = build_app(outdir=new_outdir())
        return Throwaway(synthesize(app), stack.stack_name, capabilities)
