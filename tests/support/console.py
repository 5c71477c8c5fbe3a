"""The console as a browser drives it, for handler tests: an RSA key standing in for the user pool's,
tokens shaped like Cognito's access tokens, and a cookie jar that follows the console's redirects."""

from __future__ import annotations

import re
import time
import uuid
from functools import cache
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.env import SIGN_IN

KID = "test-key-1"


@cache
def user_pool_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    found = {
        "sub": "0b6e2f4c-1111-4a7d-9c1e-7d0c5b8f2a11",
        "iss": SIGN_IN.issuer,
        "client_id": SIGN_IN.client_id,
        "token_use": "access",
        "scope": "openid email",
        "username": "secretary",
        "cognito:groups": ["admins"],
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
    }
    found.update(overrides)
    return {k: v for k, v in found.items() if v is not None}


def mint(key: rsa.RSAPrivateKey | None = None, algorithm: str = "RS256", **overrides: object) -> str:
    return jwt.encode(claims(**overrides), key or user_pool_key(), algorithm=algorithm, headers={"kid": KID})


def mint_with_groups(groups: list[str] | None) -> str:
    """A token whose `cognito:groups` is `groups` (None: no such claim, as for a user in no group)."""
    return jwt.encode(
        claims(**{"cognito:groups": groups}), user_pool_key(), algorithm="RS256", headers={"kid": KID}
    )


class FakeJwks:
    """PyJWKClient's one method the console uses, answering with the test user pool's public key."""

    def __init__(self, url: str) -> None:
        assert url == SIGN_IN.issuer + "/.well-known/jwks.json", url

    def get_signing_key_from_jwt(self, token: str) -> Any:
        header = jwt.get_unverified_header(token)
        if header.get("kid") != KID:
            raise jwt.PyJWKClientError("Unable to find a signing key that matches")
        return jwt.PyJWK.from_dict(
            {**jwt.algorithms.RSAAlgorithm.to_jwk(user_pool_key().public_key(), as_dict=True), "kid": KID}
        )


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleBrowser:
    """Cookies and redirects as a browser keeps them, on top of `World.request`."""

    def __init__(self, world: Any, token: str | None = None) -> None:
        self.world = world
        self.cookies: dict[str, str] = {}
        if token:
            self.cookies["mkcpp_console"] = token

    def _store(self, result: Any) -> None:
        for cookie in result.cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, url: str, form: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        response = self.world.request(
            method,
            parts.path,
            query=query or None,
            form=form,
            accept="text/html",
            cookies=self.cookies,
            **kwargs,
        )
        self._store(response)
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(
        self, url: str, form: dict[str, Any] | None = None, csrf: str | None = "auto", **kwargs: Any
    ) -> Any:
        data = dict(form or {})
        if csrf == "auto":
            data["csrf_token"] = self.csrf_token()
        elif csrf is not None:
            data["csrf_token"] = csrf
        return self.request("POST", url, form=data, **kwargs)

    def csrf_token(self) -> str:
        page = self.get("/console/")
        found = CSRF.search(page.body)
        assert found, page
        return unescape(found.group(1))


def text(body: str) -> str:
    """What a person reads: the page without tags, white space collapsed."""
    body = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", body)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())
