"""The JWT authorizer of the HTTP API, emulated, and local tokens to pass it.

In AWS, Cognito signs tokens (RS256) and API Gateway's JWT authorizer checks them. Locally, an
HS256 key kept in `<state-dir>/jwt-key` stands in for Cognito's keys. The checks are the same:
a token in `Authorization` (with or without `Bearer `), a good signature, the issuer, the client
id (`aud` or `client_id`), and the times. A missing or bad token gets API Gateway's own 401
`{"message": "Unauthorized"}`; the handler never runs.

A good token's claims reach the handler the way API Gateway passes them: every value a string,
lists as `[a b]` (so `cognito:groups` arrives as "[admins]").

Mint a token by hand: `.venv/bin/python -m infra.local.auth --group editors`.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from infra.local import DEFAULT_STATE_DIR
from infra.local.state import JWT_KEY, StateDir

ISSUER = "http://127.0.0.1/mkcpp-local-user-pool"
CLIENT_ID = "mkcpp-local-admin-client"
ADMIN_GROUP = "admins"
TOKEN_LIFETIME = timedelta(hours=12)


def load_or_create_key(state_dir: Path) -> str:
    return StateDir(state_dir).secret(JWT_KEY)


def mint(
    key: str,
    *,
    groups: Sequence[str] = (ADMIN_GROUP,),
    sub: str | None = None,
    lifetime: timedelta = TOKEN_LIFETIME,
    now: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A token shaped like a Cognito access token."""
    now = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub or str(uuid.uuid4()),
        "cognito:groups": list(groups),
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "username": "local-admin" if ADMIN_GROUP in groups else "local-user",
        "iat": int(now.timestamp()),
        "auth_time": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": str(uuid.uuid4()),
        **(extra or {}),
    }
    return jwt.encode(claims, key, algorithm="HS256")


def claim_string(value: Any) -> str:
    """A claim value as API Gateway's JWT authorizer passes it to the integration."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(claim_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class Unauthorized(Exception):
    """No token, or one API Gateway would refuse."""


class Authorizer:
    def __init__(self, key: str, *, issuer: str = ISSUER, audience: Sequence[str] = (CLIENT_ID,)) -> None:
        self._key = key
        self._issuer = issuer
        self._audience = set(audience)

    def authorize(self, authorization: str | None) -> tuple[dict[str, str], list[str] | None]:
        """(claims as strings, scopes) for a good token; raises Unauthorized otherwise."""
        if not authorization or not authorization.strip():
            raise Unauthorized("no token")
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iss"], "verify_aud": False},
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(type(exc).__name__) from None
        audience = claims.get("aud", claims.get("client_id"))
        audiences = set(audience) if isinstance(audience, list) else {audience}
        if not audiences & self._audience:
            raise Unauthorized("audience")
        scope = claims.get("scope")
        scopes = str(scope).split() if scope else None
        return {name: claim_string(value) for name, value in claims.items()}, scopes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.auth", description="Mint a local-mode JWT.")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--group", action="append", dest="groups", help="cognito:groups (repeatable)")
    parser.add_argument("--sub", help="the token's subject (default: a new uuid)")
    parser.add_argument("--hours", type=float, default=TOKEN_LIFETIME.total_seconds() / 3600)
    args = parser.parse_args(argv)
    key = load_or_create_key(args.state_dir)
    groups = args.groups if args.groups is not None else [ADMIN_GROUP]
    print(mint(key, groups=groups, sub=args.sub, lifetime=timedelta(hours=args.hours)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
