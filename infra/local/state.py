"""The state directory of local mode (`.local/` unless `--state-dir` says otherwise).

- `dynamodb/`: DynamoDB Local's data (kept across restarts), `dynamodb.log` its console;
- `signing-key`: the email-lookup secret, made once, so the email lookup ids stored in the members
  table stay valid after a restart (the file's name predates the split of the keys: it was the
  one root of both, as the cloud's lookup secret was, and links signed with it still verify);
- `token-signing-key`: the token-signing secret, made once: links in emails already sent stay valid;
- `jwt-key`: the key of the emulated JWT authorizer; `admin-token`: a fresh admin token;
- `runtime.json`: where a running local mode is (URLs, endpoints, pid), for tests and `make invoke`;
- `lock`: held while local mode runs, so two cannot share one DynamoDB Local data folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from pathlib import Path
from typing import IO, Any

LOOKUP_KEY = "signing-key"
TOKEN_SIGNING_KEY = "token-signing-key"
JWT_KEY = "jwt-key"
ADMIN_TOKEN = "admin-token"
RUNTIME = "runtime.json"


class StateLocked(Exception):
    """Another local mode holds this state directory."""


class StateDir:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def dynamodb_data(self) -> Path:
        return self.path / "dynamodb"

    @property
    def dynamodb_log(self) -> Path:
        return self.path / "dynamodb.log"

    @property
    def runtime_file(self) -> Path:
        return self.path / RUNTIME

    @property
    def admin_token_file(self) -> Path:
        return self.path / ADMIN_TOKEN

    def write_private(self, name: str, text: str) -> Path:
        """Write a file only its owner can read, atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / name
        temporary = self.path / f".{name}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        temporary.replace(target)
        return target

    def secret(self, name: str) -> str:
        """A random key made once (`secrets.token_urlsafe(48)`) and re-used after every restart."""
        path = self.path / name
        if path.exists():
            value = path.read_text(encoding="utf-8").strip()
            if len(value) >= 32:
                return value
        value = secrets.token_urlsafe(48)
        self.write_private(name, value + "\n")
        return value

    def key_secrets(self) -> dict[str, str]:
        """The Secrets Manager secrets local mode provisions (name -> value), from this directory."""
        from infra.local import LOOKUP_KEY_SECRET, SIGNING_KEY_SECRET

        return {
            SIGNING_KEY_SECRET: self.secret(TOKEN_SIGNING_KEY),
            LOOKUP_KEY_SECRET: self.secret(LOOKUP_KEY),
        }

    def lock(self) -> IO[str]:
        """Hold the directory until the returned handle is closed (or the process ends)."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = (self.path / "lock").open("w", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StateLocked(str(self.path)) from None
        return handle

    def write_runtime(self, data: dict[str, Any]) -> None:
        self.write_private(RUNTIME, json.dumps(data, indent=2) + "\n")

    def read_runtime(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.runtime_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def remove_runtime(self) -> None:
        self.runtime_file.unlink(missing_ok=True)
