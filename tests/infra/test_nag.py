"""cdk-nag (AWS Solutions and Serverless packs) finds nothing that is not acknowledged with a reason."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.infra


def test_no_unacknowledged_nag_findings(synthesis):
    # Given the app synthesized with the nag packs registered as validation plugins
    # Then no plugin reported a violation, and the synth did not fail
    report = "\n".join(str(v) for v in synthesis.violations)
    assert not synthesis.violations, (
        f"unacknowledged findings (fix them, or acknowledge with a reason):\n{report}"
    )
    assert synthesis.error is None, synthesis.error


def acknowledgements(synthesis) -> list[tuple[str, str, str]]:
    """(construct path, rule id, reason) of every acknowledgement, from the assembly's metadata."""
    found = []
    for metadata_file in synthesis.outdir.glob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    for rule, reason in entry["data"].items():
                        found.append((path, rule.split("::", 1)[-1], reason))
    return found


def test_acknowledgements_sit_next_to_resources_with_reasons(synthesis, scheduled):
    # Given every acknowledgement in the app and in the test-only scheduled stack
    found = acknowledgements(synthesis) + acknowledgements(scheduled)
    assert found
    for path, rule, reason in found:
        # Then none is on the app, a stack or a whole capability: at least stack/construct/resource
        depth = len(path.strip("/").split("/"))
        assert depth >= 3, f"{rule} acknowledged on {path}: move it next to the resource"
        # And each says why, in words a reviewer can check
        assert len(reason) >= 60, f"{rule} on {path}: reason too thin: {reason!r}"
