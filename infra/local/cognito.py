"""Local mode's stand-in for Cognito's managed login, so the console has one sign-in path.

It speaks the part of the OAuth 2.0 protocol the console uses, at the same paths under its login
URL (`<base>/_local/cognito`) as Cognito's managed login has under its domain:

- `GET  /oauth2/authorize` checks the client, the redirect URI and the PKCE challenge, and shows
  one sign-in form (its default values sign in the local administrator);
- `POST /login` (that form) issues a single-use code and sends the browser back to the callback;
- `POST /oauth2/token` exchanges the code, checking the PKCE verifier, for an access token shaped
  like Cognito's (RS256, `token_use: access`, `client_id`, `cognito:groups`);
- `GET  /.well-known/jwks.json` publishes the public key, as the user pool does;
- `GET  /logout` ends the (notional) session and returns to the console's signed-out page.

The RSA key is made once and kept in the state directory. Nothing here runs in AWS.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from infra.local.environment import CONSOLE_CLIENT_ID, LOGIN_PATH
from infra.local.events import HttpRequest, HttpResponse

KEY_FILE = "login-key.pem"
KEY_ID = "mkcpp-local-1"
CODE_LIFETIME_SECONDS = 300
TOKEN_LIFETIME_SECONDS = 3600
CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "form-action 'self' http://127.0.0.1:*",
        "frame-ancestors 'none'",
    ]
)
ACCOUNTS = {
    # username: (description, groups)
    "local-admin": ("The local administrator (in the admins group)", ["admins"]),
    "local-volunteer": ("A signed-in volunteer who is not an administrator", []),
}


def load_or_create_key(state_dir: Path) -> rsa.RSAPrivateKey:
    path = state_dir / KEY_FILE
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(loaded, rsa.RSAPrivateKey):
            return loaded
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    temporary = state_dir / f".{KEY_FILE}.tmp"
    temporary.write_bytes(pem)
    temporary.chmod(0o600)
    temporary.replace(path)
    return key


@dataclass(frozen=True)
class _Code:
    redirect_uri: str
    challenge: str
    username: str
    expires: float


def _page(status: int, title: str, body: str) -> HttpResponse:
    document = (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – local mode</title><style>"
        "body{font-family:Arial,Helvetica,sans-serif;font-size:1.1875rem;line-height:1.5;color:#0b0c0c;margin:0}"
        "header{background:#232f3e;color:#fff;padding:.75rem 1rem}header p{margin:0;font-weight:bold}"
        "main{max-width:30rem;margin:0 auto;padding:1rem}"
        "fieldset{border:0;padding:0;margin:0 0 1.5rem}legend{font-weight:bold;margin-bottom:.5rem}"
        ".choice{display:flex;gap:.6rem;align-items:flex-start;margin:.5rem 0}"
        ".choice input{width:2.5rem;height:2.5rem;margin:0;flex:none}.choice label{padding-top:.45rem}"
        "button{font:inherit;font-weight:bold;color:#fff;background:#00703c;border:2px solid transparent;"
        "border-bottom:3px solid #002d18;padding:.6rem 1.2rem;min-height:2.75rem;cursor:pointer}"
        "button:focus,input:focus{outline:3px solid #fd0;box-shadow:0 0 0 6px #0b0c0c}"
        "</style></head><body><header><p>Sign-in (local mode's stand-in for Cognito)</p></header>"
        f'<main id="main"><h1>{html.escape(title)}</h1>{body}</main></body></html>'
    )
    headers = [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", CSP),
    ]
    return HttpResponse(status, headers, document.encode())


def _json(status: int, data: Any) -> HttpResponse:
    headers = [("content-type", "application/json"), ("cache-control", "no-store")]
    return HttpResponse(status, headers, json.dumps(data).encode())


def _redirect(location: str) -> HttpResponse:
    return HttpResponse(302, [("location", location), ("cache-control", "no-store")], b"")


class Account(NamedTuple):
    username: str
    description: str
    sub: str
    groups: list[str]
    name: str = ""  # the `name` attribute, which the ID token carries


def static_accounts(issuer: str) -> list[Account]:
    return [
        Account(name, text, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}/{name}")), groups, name)
        for name, (text, groups) in ACCOUNTS.items()
    ]


class PoolAccounts:
    """The accounts of local mode's user pool (in moto): the two made at start-up, and any an
    administrator invited from the console's Administrators page, with their real ids and groups."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._idp = client
        self._pool = user_pool_id

    def __call__(self) -> list[Account]:
        found = []
        for user in self._idp.list_users(UserPoolId=self._pool, Limit=60).get("Users", []):
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            groups = [
                g["GroupName"]
                for g in self._idp.admin_list_groups_for_user(
                    UserPoolId=self._pool, Username=user["Username"]
                )["Groups"]
            ]
            role = "an administrator" if "admins" in groups else "not an administrator"
            name = attributes.get("name") or user["Username"]
            found.append(
                Account(
                    user["Username"],
                    f"{name} ({role})",
                    attributes.get("sub", ""),
                    groups,
                    attributes.get("name") or attributes.get("email") or "",
                )
            )
        return sorted(found, key=lambda a: (a.username != "local-admin", a.username))


class LocalLogin:
    def __init__(
        self, key: rsa.RSAPrivateKey, base_url: str, accounts: Callable[[], list[Account]] | None = None
    ) -> None:
        self._key = key
        self._pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.base_url = base_url
        self.issuer = base_url + LOGIN_PATH
        self._accounts = accounts or (lambda: static_accounts(self.issuer))
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()

    @property
    def callback(self) -> str:
        return self.base_url + "/console/callback"

    @property
    def signed_out(self) -> str:
        return self.base_url + "/console/signed-out"

    def handle(self, request: HttpRequest) -> HttpResponse:
        route = request.path[len(LOGIN_PATH) :] or "/"
        query = {k: v[-1] for k, v in parse_qs(request.query_string).items()}
        if route == "/.well-known/jwks.json" and request.method == "GET":
            return _json(200, {"keys": [self.jwk()]})
        if route == "/oauth2/authorize" and request.method == "GET":
            return self._authorize(query)
        if route == "/login" and request.method == "POST":
            return self._login(self._form(request))
        if route == "/oauth2/token" and request.method == "POST":
            return self._token(self._form(request))
        if route == "/logout" and request.method == "GET":
            if query.get("client_id") != CONSOLE_CLIENT_ID or query.get("logout_uri") != self.signed_out:
                return _page(
                    400, "This sign-out link is not valid", "<p>Unknown client or return address.</p>"
                )
            return _redirect(self.signed_out)
        return _json(404, {"message": "Not Found"})

    @staticmethod
    def _form(request: HttpRequest) -> dict[str, str]:
        text = request.body.decode("utf-8", "replace")
        return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def jwk(self) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {**data, "kid": KEY_ID, "use": "sig", "alg": "RS256"}

    def _authorize(self, query: dict[str, str]) -> HttpResponse:
        problems = []
        if query.get("client_id") != CONSOLE_CLIENT_ID:
            problems.append("unknown client")
        if query.get("redirect_uri") != self.callback:
            problems.append("the return address is not the console's")
        if query.get("response_type") != "code":
            problems.append("only the authorization code grant is offered")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("a PKCE challenge (S256) is required")
        if problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
            return _page(400, "This sign-in link is not valid", f"<ul>{items}</ul>")
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">'
            for name in ("redirect_uri", "state", "code_challenge")
        )
        choices = "".join(
            f'<div class="choice"><input type="radio" id="account-{n}" name="username" '
            f'value="{html.escape(a.username)}"{" checked" if a.username == "local-admin" else ""}>'
            f'<label for="account-{n}">{html.escape(a.description)}</label></div>'
            for n, a in enumerate(self._accounts())
        )
        body = (
            "<p>In AWS this is Cognito's managed login, with a password and a code from an "
            "authenticator app.</p>"
            f'<form method="post" action="{LOGIN_PATH}/login">{hidden}'
            f"<fieldset><legend>Sign in as</legend>{choices}</fieldset>"
            '<button type="submit">Sign in</button></form>'
        )
        return _page(200, "Sign in to the console", body)

    def _login(self, form: dict[str, str]) -> HttpResponse:
        username = form.get("username", "local-admin")
        if (
            self._account(username) is None
            or form.get("redirect_uri") != self.callback
            or not form.get("code_challenge")
        ):
            return _page(400, "Sign-in failed", "<p>Go back to the console and start again.</p>")
        code = secrets.token_urlsafe(24)
        with self._lock:
            now = time.time()
            self._codes = {k: c for k, c in self._codes.items() if c.expires > now}
            self._codes[code] = _Code(
                self.callback, form["code_challenge"], username, now + CODE_LIFETIME_SECONDS
            )
        return _redirect(f"{self.callback}?{urlencode({'code': code, 'state': form.get('state', '')})}")

    def _token(self, form: dict[str, str]) -> HttpResponse:
        if form.get("grant_type") != "authorization_code" or form.get("client_id") != CONSOLE_CLIENT_ID:
            return _json(400, {"error": "unauthorized_client"})
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single use
        if code is None or code.expires < time.time() or form.get("redirect_uri") != code.redirect_uri:
            return _json(400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(computed, code.challenge):
            return _json(400, {"error": "invalid_grant"})
        account = self._account(code.username)  # one look-up of the pool for both tokens
        return _json(
            200,
            {
                "access_token": self.access_token(code.username, account=account),
                "id_token": self.id_token(code.username, account),
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME_SECONDS,
            },
        )

    def _account(self, username: str) -> Account | None:
        return next((a for a in self._accounts() if a.username == username), None)

    def _signed(self, account: Account | None, username: str, lifetime: int, claims: dict[str, Any]) -> str:
        """A token of this issuer for `username`, with the claims every token of theirs carries."""
        now = int(time.time())
        sub = account.sub if account else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/{username}"))
        common = {"sub": sub, "iss": self.issuer, "auth_time": now, "iat": now, "exp": now + lifetime}
        return jwt.encode({**common, **claims}, self._pem, algorithm="RS256", headers={"kid": KEY_ID})

    def id_token(self, username: str, account: Account | None = None) -> str:
        """What Cognito's token endpoint sends beside the access token for the `openid` scope: the
        account's readable attributes (here its name), for this client."""
        account = account or self._account(username)
        name = account.name if account and account.name else username
        claims = {"aud": CONSOLE_CLIENT_ID, "token_use": "id", "cognito:username": username, "name": name}
        return self._signed(account, username, TOKEN_LIFETIME_SECONDS, claims)

    def access_token(
        self,
        username: str,
        *,
        lifetime: int = TOKEN_LIFETIME_SECONDS,
        account: Account | None = None,
        **extra: Any,
    ) -> str:
        account = account or self._account(username)
        claims = {
            "client_id": CONSOLE_CLIENT_ID,
            "token_use": "access",
            "scope": "openid email",
            "username": username,
            "cognito:groups": account.groups if account else [],
            "jti": str(uuid.uuid4()),
            **extra,
        }
        return self._signed(account, username, lifetime, claims)
