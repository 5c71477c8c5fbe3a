"""Integration tests: local mode (DynamoDB Local + moto server + the real handlers) over HTTP.

One local mode serves the whole session (started on first use, stopped with SIGINT at the end,
and checked to leave no process behind); tests that need their own start one themselves.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.local import LocalMode, process_alive, start_local_mode


@pytest.fixture(scope="session", autouse=True)
def calls_checked_against_policies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every local mode of the session logs each AWS call its functions make; when the session
    ends, each call must be allowed by the calling function's own synthesized IAM policy."""
    log = tmp_path_factory.mktemp("calls") / "aws-calls.jsonl"
    previous = os.environ.get("MKCPP_CALL_LOG")
    os.environ["MKCPP_CALL_LOG"] = str(log)
    yield
    if previous is None:
        os.environ.pop("MKCPP_CALL_LOG", None)
    else:
        os.environ["MKCPP_CALL_LOG"] = previous
    if not log.exists():
        return
    from infra.local import CONFIGURATION_SET, LOOKUP_KEY_SECRET, SIGNING_KEY_SECRET
    from tests.support import permissions
    from tests.support.cdk import synth_template

    calls = permissions.read_log(log)
    check = permissions.policy_check(
        synth_template(), SIGNING_KEY_SECRET, CONFIGURATION_SET, LOOKUP_KEY_SECRET
    )
    problems = check.check([c for c in calls if c.function in check.statements])
    summary = permissions.summary(calls)
    (log.parent / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\nAWS calls made in local mode, per function:")
    for name, used in summary.items():
        print(f"  {name}: {', '.join(used)}")
    assert not problems, "calls the deployed roles would refuse (AccessDenied in AWS):\n" + "\n".join(
        problems
    )


@pytest.fixture(scope="session")
def local_mode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMode]:
    mode = start_local_mode(tmp_path_factory.mktemp("local") / "state")
    yield mode
    children = mode.children()
    code = mode.stop()
    assert code == 0, mode.log()[-3000:]
    assert not [pid for pid in children if process_alive(pid)], "local mode left processes running"
    assert not (mode.state_dir / "runtime.json").exists()


@pytest.fixture
def local(local_mode: LocalMode) -> LocalMode:
    """The session's local mode, with an empty outbox."""
    local_mode.clear_outbox()
    return local_mode


@pytest.fixture
def address() -> str:
    """A fresh address per test: the session's tables are shared."""
    return f"member-{uuid.uuid4().hex[:12]}@example.org"
