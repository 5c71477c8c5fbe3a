"""Local mode as a subprocess (`python -m infra.local`), driven over HTTP the way a browser would.

`start_local_mode` starts it on a free port with its own state directory, waits for its
`runtime.json`, and returns a `LocalMode` to talk to it: `get`/`post`/`request`, the outbox,
tokens, the processes it started, and `stop` (SIGINT, as Ctrl-C).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
START_TIMEOUT = 90.0
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def process_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, grandchildren, ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class LocalMode:
    def __init__(
        self, process: subprocess.Popen[bytes], state_dir: Path, log_path: Path, runtime: dict[str, Any]
    ):
        self.process = process
        self.state_dir = state_dir
        self.log_path = log_path
        self.runtime = runtime

    @property
    def base_url(self) -> str:
        return str(self.runtime["base_url"])

    @property
    def port(self) -> int:
        return int(self.runtime["port"])

    @property
    def endpoints(self) -> dict[str, str]:
        return dict(self.runtime["endpoints"])

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    # --- HTTP ------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        json_body: Any = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> Reply:
        sent = dict(headers or {})
        if form is not None:
            body = urlencode(form).encode()
            sent.setdefault("Content-Type", FORM)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if path.startswith("http"):
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            joined: dict[str, str] = {}
            for name, value in response.getheaders():
                key = name.lower()
                joined[key] = f"{joined[key]}, {value}" if key in joined else value
            cookies = response.headers.get_all("Set-Cookie") or []
            return Reply(response.status, joined, data, list(cookies))
        finally:
            connection.close()

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)

    # --- local helpers ---------------------------------------------------------------------------

    def outbox(self) -> list[dict[str, Any]]:
        reply = self.get("/_local/outbox")
        assert reply.status == 200, reply.text
        emails: list[dict[str, Any]] = reply.json()
        return emails

    def clear_outbox(self) -> int:
        reply = self.request("DELETE", "/_local/outbox")
        assert reply.status == 200, reply.text
        return int(reply.json()["cleared"])

    def admin_token(self) -> str:
        return Path(self.runtime["admin_token_file"]).read_text(encoding="utf-8").strip()

    def token(self, groups: Sequence[str] = ("admins",), **kwargs: Any) -> str:
        """A token signed with this local mode's key, e.g. `token(groups=["editors"])`."""
        from infra.local.auth import load_or_create_key, mint

        return mint(load_or_create_key(self.state_dir), groups=groups, **kwargs)

    def console_session(self, username: str = "local-admin") -> str:
        """Sign in to the console through the local stand-in for the managed login, as a browser
        does (redirect, form, callback), and return the session cookie (`mkcpp_console=...`)."""
        import html
        import re

        start = self.get("/console/")
        assert start.status == 303, start.text
        sign_in = next(
            c.split(";", 1)[0] for c in start.set_cookies if c.startswith("mkcpp_console_sign_in=")
        )
        page = self.get(start.headers["location"])
        assert page.status == 200, page.text
        fields = {
            name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)
        }
        login = self.post("/_local/cognito/login", form={**fields, "username": username})
        assert login.status == 302, login.text
        callback = self.get(login.headers["location"], headers={"Cookie": sign_in})
        assert callback.status == 303, callback.text
        return next(c.split(";", 1)[0] for c in callback.set_cookies if c.startswith("mkcpp_console="))

    # --- processes -------------------------------------------------------------------------------

    def children(self) -> set[int]:
        return descendants(self.process.pid)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(
                    f"local mode did not stop within {timeout} s:\n{self.log()[-3000:]}"
                ) from None
        return int(self.process.returncode)


def local_mode_command(
    state_dir: Path, *, port: int = 0, in_memory: bool = False, extra: Sequence[str] = ()
) -> list[str]:
    command = [PYTHON, "-m", "infra.local", "--port", str(port), "--state-dir", str(state_dir)]
    if in_memory:
        command.append("--in-memory")
    return [*command, *extra]


def start_local_mode(
    state_dir: Path,
    *,
    in_memory: bool = False,
    port: int = 0,
    extra: Sequence[str] = ("--no-scheduler",),
    timeout: float = START_TIMEOUT,
) -> LocalMode:
    """Start local mode and wait until it is ready (its runtime.json names its pid)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir.parent / f"{state_dir.name}.{time.monotonic_ns()}.log"
    runtime_file = state_dir / "runtime.json"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            local_mode_command(state_dir, port=port, in_memory=in_memory, extra=extra),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log_path.read_text(errors="replace")[-3000:]
            raise AssertionError(f"local mode exited with {process.returncode}:\n{output}")
        try:
            runtime = json.loads(runtime_file.read_text())
        except (OSError, ValueError):
            runtime = None
        if runtime and runtime.get("pid") == process.pid:
            return LocalMode(process, state_dir, log_path, runtime)
        time.sleep(0.1)
    process.kill()
    process.wait()
    output = log_path.read_text(errors="replace")[-3000:]
    raise AssertionError(f"local mode not ready within {timeout} s:\n{output}")
