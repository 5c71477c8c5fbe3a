"""The fuzz test's own parts, without a network: curl commands and tracebacks from local mode's log."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from tests.support import fuzz

BASE = "http://127.0.0.1:4321"

# What local mode's log looks like when two 500s come back to back: each function's output comes
# through its own pipe, so an access line can land before or inside the traceback it answers.
LOG = """\
members_admin | cold start: handler imported in 120 ms
POST /admin/groups 201 12 ms
GET /admin/groups 500 13 ms
members_admin | [ERROR] ValidationError: 1 validation error for WorkingGroup
members_admin | Traceback (most recent call last):
members_admin |   File "/v/site-packages/powertools/api.py", line 9, in resolve
members_admin |     return self._resolve()
members_admin |   File "{root}/shared/groups.py", line 124, in all
members_admin |     return sorted(WorkingGroup.model_validate(i) for i in items)
members_admin |                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
members_public | {{"level":"INFO","message":"request refused"}}
POST /members 500 9 ms
members_admin | pydantic_core._pydantic_core.ValidationError: 1 validation error for WorkingGroup
members_admin | name
members_public | [ERROR] UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0
members_public | Traceback (most recent call last):
members_public |   File "{root}/functions/members/public.py", line 101, in lambda_handler
members_public |     return app.resolve(event, context)
members_public | UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0
GET /admin/groups 500 11 ms
members_admin | [ERROR] ValidationError: 1 validation error for WorkingGroup
members_admin | Traceback (most recent call last):
members_admin |   File "{root}/shared/groups.py", line 124, in all
members_admin |     return sorted(WorkingGroup.model_validate(i) for i in items)
members_admin | pydantic_core._pydantic_core.ValidationError: 1 validation error for WorkingGroup
GET /admin/members 200 8 ms
"""


def test_each_traceback_goes_with_the_500_of_its_own_function_in_order():
    errors = fuzz.server_errors(LOG.format(root=fuzz.ROOT))
    assert [(e.route, e.count, e.exception.split(":")[0]) for e in errors] == [
        ("GET /admin/groups", 2, "ValidationError"),
        ("POST /members", 1, "UnicodeDecodeError"),
    ]
    groups, members = errors
    assert groups.where.startswith("shared/groups.py:124 in all")
    assert "request refused" not in members.traceback  # JSON log lines are not the traceback
    assert "shared/groups.py:124 in all" in groups.describe()


def test_a_500_without_a_traceback_is_still_listed():
    errors = fuzz.server_errors("PATCH /admin/groups/{id} 500 3 ms\n")
    assert [(e.route, e.exception) for e in errors] == [("PATCH /admin/groups/{id}", "(nothing in the log)")]


def test_curl_sends_the_same_request_with_the_token_as_a_variable(tmp_path: Path):
    body = json.dumps({"name": "it's"}).encode()
    request = {
        "method": "PATCH",
        "uri": f"{BASE}/admin/groups/a?x=1",
        "headers": {"Authorization": ["Bearer secret-token"], "Content-Type": ["application/json"]},
        "body": {"$base64": base64.b64encode(body).decode()},
    }
    command = fuzz.curl(request, BASE, {"secret-token": "TOKEN"})
    assert "secret-token" not in command
    assert command.startswith('curl -sS -X PATCH -H "Authorization: Bearer $TOKEN"')
    assert command.endswith('"$BASE/admin/groups/a?x=1"')
    echoed = _run_with_fake_curl(command, tmp_path)
    assert echoed[-1] == body.decode()


def test_a_body_that_is_not_text_goes_through_base64(tmp_path: Path):
    request = {"method": "POST", "uri": f"{BASE}/members", "headers": {}, "body": {"$base64": "/w=="}}
    command = fuzz.curl(request, BASE, {})
    assert command.startswith("printf %s /w== | base64 -d | curl")
    assert _run_with_fake_curl(command, tmp_path, binary=True)[-1] == "ff"


def _run_with_fake_curl(command: str, tmp_path: Path, binary: bool = False) -> list[str]:
    """Run the command with a `curl` that prints its arguments, then its stdin (hex if binary)."""
    fake = tmp_path / "curl"
    show = "od -An -tx1 | tr -d ' \\n'; echo" if binary else "cat"
    fake.write_text(
        f'#!/bin/bash\nfor a in "$@"; do echo "$a"; done\nif [ "${{@: -2:1}}" = "@-" ]; then {show}; fi\n'
    )
    fake.chmod(0o755)
    script = f'BASE={BASE} TOKEN=t; PATH="{tmp_path}:$PATH"; {command}'
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    if "--data-binary" in lines and lines[lines.index("--data-binary") + 1] != "@-":
        return [*lines, lines[lines.index("--data-binary") + 1]]
    return lines
