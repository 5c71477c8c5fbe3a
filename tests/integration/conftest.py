"""Integration tests: local mode (DynamoDB Local + moto server + the real handlers) over HTTP.

One local mode serves the whole session (started on first use, stopped with SIGINT at the end,
and checked to leave no process behind); tests that need their own start one themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.local import LocalMode, process_alive, start_local_mode


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
