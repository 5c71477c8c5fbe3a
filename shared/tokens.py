"""Signed, expiring tokens for links in emails.

A token carries no personal data: only its purpose, an opaque subject id (a random member id), a
nonce that makes it single-use where the caller checks it, and an expiry. It is
`base64url(json payload) "." base64url(HMAC-SHA256(key, purpose "." payload))`; the purpose is part
of what is signed, so an unsubscribe token can never be used as a confirmation token.

Verification accepts any of several keys, so the signing key can be rotated without breaking links
already sent (the newest key signs; older keys only verify). A `SigningKey` carries the keys it
replaced (`previous`), and `verify` accepts those too: whoever holds the signing key verifies
links signed before a rotation without having to know about it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from shared.clock import epoch
from shared.errors import BadLink


class Purpose(NamedTuple):
    """What a token is for, and how long it lives. Each capability declares its own purposes (the
    members' are in `shared/members/links.py`); the name is signed with the token, so one
    capability's token can never be used for another's purpose. Names must be unique."""

    value: str
    lifetime: timedelta

    @property
    def hours(self) -> int:
        return int(self.lifetime.total_seconds() // 3600)


class SigningKey(bytes):
    """A token-signing key (the bytes themselves) and the keys it replaced, which only verify."""

    previous: tuple[bytes, ...]

    def __new__(cls, key: bytes, previous: Iterable[bytes] = ()) -> SigningKey:
        signing = super().__new__(cls, key)
        signing.previous = tuple(previous)
        return signing

    def __repr__(self) -> str:  # never print key material
        return f"SigningKey(<{len(self)} bytes>, previous=<{len(self.previous)} keys>)"

    __str__ = __repr__


def verifying_keys(keys: Sequence[bytes]) -> list[bytes]:
    """Every key a token may be signed with: each key given, then the keys it replaced."""
    found: list[bytes] = []
    for key in keys:
        found.append(bytes(key))
        if isinstance(key, SigningKey):
            found.extend(key.previous)
    return found


class TokenError(BadLink):
    """The token cannot be used."""


class TokenInvalid(TokenError):
    """Malformed, forged, or signed for another purpose."""


class TokenExpired(TokenError):
    """Genuine, but too old."""

    title = "This link has expired"

    def __init__(self, claims: TokenClaims) -> None:
        super().__init__("token expired")
        self.claims = claims


class TokenClaims(NamedTuple):
    purpose: str
    subject: str
    nonce: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def _unb64(text: str) -> bytes:
    """Strict, canonical base64url: other characters, and encodings whose spare bits are not zero,
    are refused (the lenient decoder would let many spellings of one signature verify)."""
    if not _B64URL.match(text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _mac(key: bytes, purpose: str, payload: str) -> bytes:
    return hmac.new(key, f"{purpose}.{payload}".encode(), hashlib.sha256).digest()


def issue(key: bytes, purpose: Purpose, subject: str, nonce: str, now: datetime) -> str:
    expires = epoch(now + purpose.lifetime)
    body = json.dumps({"p": purpose.value, "s": subject, "n": nonce, "e": expires}, separators=(",", ":"))
    payload = _b64(body.encode())
    return f"{payload}.{_b64(_mac(key, purpose.value, payload))}"


def verify(token: str, purpose: Purpose, keys: Sequence[bytes], now: datetime) -> TokenClaims:
    if not token or len(token) > 512 or token.count(".") != 1:
        raise TokenInvalid("malformed token")
    payload, signature = token.split(".")
    try:
        given = _unb64(signature)
        data = json.loads(_unb64(payload))
    except (binascii.Error, ValueError) as exc:
        raise TokenInvalid("malformed token") from exc
    candidates = verifying_keys(keys)
    if not any(hmac.compare_digest(given, _mac(key, purpose.value, payload)) for key in candidates):
        raise TokenInvalid("bad signature")
    try:
        claims = TokenClaims(str(data["p"]), str(data["s"]), str(data["n"]), int(data["e"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid("malformed claims") from exc
    if claims.purpose != purpose.value:
        raise TokenInvalid("wrong purpose")
    if epoch(now) >= claims.expires:
        raise TokenExpired(claims)
    return claims
