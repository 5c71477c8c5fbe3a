"""Starting and stopping local mode: data and keys survive a restart; errors are one clear line;
Ctrl-C and SIGTERM leave nothing running."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.local import ROOT, LocalMode, local_mode_command, process_alive, start_local_mode

pytestmark = pytest.mark.integration


def test_members_and_links_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    address = "restart@example.org"

    # Given a member who signed up, and the link in their email, before a restart
    first = start_local_mode(state)
    try:
        body = {
            "name": "Di",
            "email": address,
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": "2026-11",
        }
        assert first.post("/members", json_body=body).status == 202
        match = re.search(r"/members/confirm\?token=[\w.=%-]+", str(first.outbox()[0]["text"]))
        assert match
        link = match.group(0)
        children = first.children()
        assert children, "DynamoDB Local and the workers run as child processes"
    finally:
        code = first.stop(signal.SIGTERM)

    # (SIGTERM stopped it cleanly)
    assert code == 0, first.log()[-3000:]
    assert not [pid for pid in children if process_alive(pid)]

    # When local mode starts again on the same state directory
    second = start_local_mode(state)
    try:
        # Then the member is still there
        listed = second.get("/admin/members", token=second.admin_token())
        assert listed.status == 200, listed.text
        assert [m["status"] for m in listed.json()["items"] if m["email"] == address] == [
            "pending_confirmation"
        ]

        # And the old link still works: the signing key was kept
        token = link.split("token=", 1)[1]
        confirmed = second.post("/members/confirm", form={"token": token}, headers={"Accept": "text/html"})
        assert confirmed.status == 200, confirmed.text
        assert "now a member" in confirmed.text
        assert [e["to"] for e in second.outbox()] == [[address]]
    finally:
        assert second.stop() == 0


def test_ctrl_c_stops_every_process_it_started(tmp_path: Path) -> None:
    mode = start_local_mode(tmp_path / "state", in_memory=True)
    try:
        # Given every function's worker started (plus DynamoDB Local)
        assert mode.get("/members/signup").status == 200
        assert mode.get("/admin/members", token=mode.admin_token()).status == 200
        children = mode.children()
        assert len(children) >= 3
    finally:
        code = mode.stop(signal.SIGINT)

    assert code == 0, mode.log()[-3000:]
    assert not [pid for pid in children if process_alive(pid)]
    assert not (mode.state_dir / "runtime.json").exists()
    assert "Traceback" not in mode.log()


def test_a_busy_port_is_one_clear_line_and_exit_code_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(
            local_mode_command(tmp_path / "state", port=port, in_memory=True),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0]
    assert "in use" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "state" / "runtime.json").exists()


def test_a_second_local_mode_on_the_same_state_is_refused(local_mode: LocalMode) -> None:
    result = subprocess.run(
        local_mode_command(local_mode.state_dir, port=0),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "another local mode" in result.stderr
    # and the running one is unharmed
    assert local_mode.get("/members/privacy").status == 200
    assert (local_mode.state_dir / "runtime.json").exists()


def test_missing_java_is_one_clear_line_and_exit_code_1(tmp_path: Path) -> None:
    result = subprocess.run(
        local_mode_command(tmp_path / "state", port=0, in_memory=True),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PATH": str(tmp_path)},  # no java on it
    )

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Java" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
