"""`python -m infra.local.invoke FN EVENT` (`make invoke`), with and without a running local mode."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.local import PYTHON, ROOT, LocalMode, process_alive

pytestmark = pytest.mark.integration

EVENTS = ROOT / "events" / "members"


def invoke(function: str, event: Path, state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "infra.local.invoke", function, str(event), "--state-dir", str(state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_invoke_without_local_mode_starts_and_stops_its_own_services(tmp_path: Path) -> None:
    before = _dynamodb_local_pids()
    result = invoke("members_public", EVENTS / "get_signup_form.json", tmp_path / "state")

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    assert "<form" in answer["body"]
    assert "no local mode running" in result.stderr
    assert _dynamodb_local_pids() <= before


def test_invoke_uses_the_running_local_mode(local: LocalMode, tmp_path: Path) -> None:
    # A form post from events/: its email lands in the running local mode's outbox
    result = invoke("members_public", EVENTS / "post_signup_form.json", local.state_dir)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 202
    assert "using the local mode running at" in result.stderr
    assert [e["to"] for e in local.outbox()] == [["ann.example@example.org"]]


def test_invoke_names_the_known_functions_for_an_unknown_one(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("{}")

    result = invoke("nope", event, tmp_path / "state")

    assert result.returncode == 2
    assert "members_public" in result.stderr


def _dynamodb_local_pids() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"DynamoDBLocal.jar" in (entry / "cmdline").read_bytes():
                found.add(int(entry.name))
        except OSError:
            continue
    return {pid for pid in found if process_alive(pid)}


def test_the_nightly_retention_run_answers_in_local_mode(tmp_path: Path) -> None:
    # its schedule's own event, against local mode's services (the SES suppression list included)
    event = ROOT / "events" / "members" / "member-retention.json"

    result = invoke("member_retention", event, tmp_path / "state")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"profiles_removed": 0, "ses_addresses_released": 0}
