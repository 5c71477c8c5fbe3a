"""Signing administrators in with the OAuth 2.0 authorization code flow and PKCE, and checking the
session on every request.

In AWS the authorization server is Cognito's managed login; in local mode it is local mode's
stand-in (`infra/local/cognito.py`), which speaks the same protocol: `/oauth2/authorize`,
`/oauth2/token`, `/logout` under the login URL, and the signing keys at
`<issuer>/.well-known/jwks.json`. The console has one code path for both.

- **Sign-in.** `start_sign_in` makes a random `state` and a random PKCE verifier; both, with the
  page to return to and when the attempt lapses, travel in a short-lived HttpOnly cookie scoped to the
  callback, which binds the callback to the browser that started the sign-in (another site can
  neither read nor set it). No key is needed: a console function holds no secret that signs links.
- **Session.** The access token from the code exchange is the session: an `HttpOnly; Secure;
  SameSite=Lax` cookie on `/console`. Every request checks it (`verify_access_token`): an RS256
  signature by one of the user pool's keys (no other algorithm, never `none`), the issuer, the
  console's client id, `token_use: access`, the expiry, and membership of the admins group.
  (`Secure` whenever the console is served over HTTPS, as it always is in AWS.)
- **CSRF.** Each state-changing form carries a token bound to the session (a hash of the access
  token's `jti`, which only the session's own HttpOnly cookie holds), and a request that changes
  anything without the right one is refused. Again no key: so a console function needs no secret
  at all, and one capability's console cannot sign another capability's links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from http.cookies import CookieError, SimpleCookie
from typing import Any, NamedTuple

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

SESSION_COOKIE = "mkcpp_console"
SIGN_IN_COOKIE = "mkcpp_console_sign_in"
CONSOLE_PATH = "/console"
CALLBACK_PATH = "/console/callback"
SIGNED_OUT_PATH = "/console/signed-out"
SIGN_OUT_PATH = "/console/sign-out"
SIGN_IN_LIFETIME = timedelta(minutes=10)
SCOPES = "openid email"
ALGORITHMS = ["RS256"]  # Cognito signs with RS256; anything else (HS256 with a public key, none) is forged
CLOCK_SKEW_SECONDS = 30
MAX_TOKEN_CHARS = 3500  # a cookie holds 4 KiB; Cognito access tokens are about 1 KiB
HTTP_TIMEOUT_SECONDS = 5


class SessionInvalid(Exception):
    """No usable session: sign in (again). `reason` is for the log, never for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAnAdministrator(Exception):
    """Signed in, but not in the admins group."""


class SignInFailed(Exception):
    """The callback could not complete the sign-in (stale or foreign state, refused code)."""


class SignInSettings(NamedTuple):
    issuer: str
    client_id: str
    login_url: str
    base_url: str  # the public address the console is served at (redirect URIs are built from it)
    group: str = "admins"

    @property
    def redirect_uri(self) -> str:
        return self.base_url.rstrip("/") + CALLBACK_PATH

    @property
    def signed_out_uri(self) -> str:
        return self.base_url.rstrip("/") + SIGNED_OUT_PATH

    @property
    def secure(self) -> bool:
        """Cookies are `Secure` wherever the console is served over HTTPS: always in AWS. (Local mode
        serves plain http://127.0.0.1, where a client like Python's cookie jar would drop them.)"""
        return self.base_url.startswith("https://")

    @property
    def jwks_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/jwks.json"


class Admin(NamedTuple):
    """The signed-in administrator, as the audit trail and the pages know them."""

    sub: str
    username: str
    csrf_token: str
    expires: int
    session: str = ""  # an opaque id of this session (a hash of the token's jti): what sign-out revokes


# --- PKCE and the sign-in state ------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def safe_return_path(path: str | None) -> str:
    """Only a path inside the console: never another site (`//evil`, `https://…`, `/\\evil`)."""
    if not path or not path.startswith(CONSOLE_PATH) or "//" in path or "\\" in path or len(path) > 300:
        return CONSOLE_PATH + "/"
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in path):
        return CONSOLE_PATH + "/"
    if path in (CALLBACK_PATH, SIGNED_OUT_PATH, CONSOLE_PATH):
        return CONSOLE_PATH + "/"
    return path


def start_sign_in(settings: SignInSettings, return_to: str | None, now: datetime) -> tuple[str, Cookie]:
    """The managed login's authorize URL, and the Set-Cookie value that remembers the attempt."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": settings.client_id,
            "redirect_uri": settings.redirect_uri,
            "scope": SCOPES,
            "state": state,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    lifetime = int(SIGN_IN_LIFETIME.total_seconds())
    attempt = {
        "state": state,
        "verifier": verifier,
        "to": safe_return_path(return_to),
        "until": int(now.timestamp()) + lifetime,
    }
    remembered = _b64(json.dumps(attempt, separators=(",", ":")).encode())
    cookie = _cookie(settings, SIGN_IN_COOKIE, remembered, CALLBACK_PATH, lifetime)
    return f"{settings.login_url.rstrip('/')}/oauth2/authorize?{query}", cookie


def _attempt(remembered: str, now: datetime) -> dict[str, Any]:
    try:
        attempt = json.loads(base64.urlsafe_b64decode(remembered + "=" * (-len(remembered) % 4)))
    except (ValueError, TypeError):
        raise SignInFailed("sign-in state: unreadable") from None
    if not isinstance(attempt, dict) or not all(
        isinstance(attempt.get(k), str) for k in ("state", "verifier", "to")
    ):
        raise SignInFailed("sign-in state: unreadable")
    if not isinstance(attempt.get("until"), int) or attempt["until"] < int(now.timestamp()):
        raise SignInFailed("sign-in state: expired")
    return attempt


class SignedIn(NamedTuple):
    access_token: str
    id_token: str  # "" when the token endpoint sent none
    return_to: str


def finish_sign_in(
    settings: SignInSettings, cookies: Mapping[str, str], state: str, code: str, now: datetime
) -> SignedIn:
    """Exchange the code (checking `state` against this browser's sign-in cookie): the access
    token, the ID token (which names the administrator), and the page to return to."""
    attempt = _attempt(cookies.get(SIGN_IN_COOKIE, ""), now)
    if not state or not hmac.compare_digest(attempt["state"].encode(), state.encode()):
        raise SignInFailed("state does not match this browser's sign-in")
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "client_id": settings.client_id,
            "code": code,
            "redirect_uri": settings.redirect_uri,
            "code_verifier": attempt["verifier"],
        }
    ).encode()
    answer = _post_form(settings.login_url.rstrip("/") + "/oauth2/token", body)
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise SignInFailed("the token endpoint returned no access token")
    id_token = answer.get("id_token")
    return SignedIn(token, id_token if isinstance(id_token, str) else "", safe_return_path(attempt["to"]))


def _post_form(url: str, body: bytes) -> dict[str, Any]:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise SignInFailed("the login URL must be https")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            data = json.loads(response.read(64 * 1024))
    except urllib.error.HTTPError as exc:
        raise SignInFailed(f"the token endpoint refused the code ({exc.code})") from None
    except (OSError, ValueError):
        raise SignInFailed("the token endpoint could not be reached") from None
    if not isinstance(data, dict):
        raise SignInFailed("the token endpoint returned something else")
    return data


def sign_out_url(settings: SignInSettings) -> str:
    """The managed login's logout endpoint: it ends the Cognito session, then comes back."""
    query = urllib.parse.urlencode({"client_id": settings.client_id, "logout_uri": settings.signed_out_uri})
    return f"{settings.login_url.rstrip('/')}/logout?{query}"


# --- the session ---------------------------------------------------------------------------------


@cache
def _jwks_client(url: str) -> Any:
    import jwt  # the console alone needs it: imported here, off every other function's cold start

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=HTTP_TIMEOUT_SECONDS)


def signing_key_for(settings: SignInSettings, token: str) -> Any:
    import jwt

    try:
        return _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientError as exc:
        raise SessionInvalid(f"no matching signing key: {type(exc).__name__}") from None
    except jwt.PyJWTError as exc:
        raise SessionInvalid(f"unreadable token: {type(exc).__name__}") from None


def verify_access_token(settings: SignInSettings, token: str, now: datetime, public_key: Any = None) -> Admin:
    """The administrator this access token signs in, or SessionInvalid / NotAnAdministrator."""
    import jwt

    if not token or len(token) > MAX_TOKEN_CHARS:
        raise SessionInvalid("no session")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise SessionInvalid("unreadable token") from None
    if header.get("alg") not in ALGORITHMS:
        raise SessionInvalid(f"algorithm {header.get('alg')!r} refused")
    verifying = public_key if public_key is not None else signing_key_for(settings, token)
    try:
        claims = jwt.decode(
            token,
            verifying,
            algorithms=ALGORITHMS,
            issuer=settings.issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise SessionInvalid("session expired") from None
    except jwt.PyJWTError as exc:
        raise SessionInvalid(f"token refused: {type(exc).__name__}") from None
    if int(claims["exp"]) + CLOCK_SKEW_SECONDS <= int(now.timestamp()):
        raise SessionInvalid("session expired")
    if claims.get("token_use") != "access":
        raise SessionInvalid("not an access token")
    if claims.get("client_id") != settings.client_id:
        raise SessionInvalid("token issued to another client")
    groups = claims.get("cognito:groups") or []
    if not isinstance(groups, list) or settings.group not in groups:
        raise NotAnAdministrator(str(claims["sub"]))
    session_id = str(claims.get("jti") or f"{claims['sub']}:{claims.get('iat', '')}")
    return Admin(
        sub=str(claims["sub"]),
        username=str(claims.get("username") or claims["sub"]),
        csrf_token=csrf_token(session_id),
        expires=int(claims["exp"]),
        session=hashlib.sha256(f"session:{session_id}".encode()).hexdigest(),
    )


def administrator_name(settings: SignInSettings, id_token: str, admin: Admin, public_key: Any = None) -> str:
    """The name the ID token gives the signed-in administrator (or their email address), for the
    console's "who did it"; "" when there is no usable ID token. It is checked as the access token
    is: signed by the pool, issued to this client, for the same account."""
    import jwt

    if not id_token or len(id_token) > MAX_TOKEN_CHARS:
        return ""
    try:
        header = jwt.get_unverified_header(id_token)
        if header.get("alg") not in ALGORITHMS:
            return ""
        verifying = public_key if public_key is not None else signing_key_for(settings, id_token)
        claims = jwt.decode(
            id_token,
            verifying,
            algorithms=ALGORITHMS,
            issuer=settings.issuer,
            audience=settings.client_id,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iss", "sub", "aud", "token_use"]},
        )
    except (jwt.PyJWTError, SessionInvalid):
        return ""
    if claims.get("token_use") != "id" or str(claims["sub"]) != admin.sub:
        return ""
    name = claims.get("name") or claims.get("email") or ""
    return " ".join(str(name).split())[:100]


def csrf_token(session_id: str) -> str:
    """Known only to the session's own pages: the `jti` it is made from is in the HttpOnly cookie."""
    return _b64(hashlib.sha256(f"csrf:{session_id}".encode()).digest())


def csrf_ok(admin: Admin, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(admin.csrf_token.encode(), str(given).encode())


# --- cookies -------------------------------------------------------------------------------------


def read_cookies(event: Mapping[str, Any]) -> dict[str, str]:
    """The request's cookies (payload 2.0 puts them in `cookies`; a `Cookie` header works too)."""
    raw = list(event.get("cookies") or [])
    for name, value in (event.get("headers") or {}).items():
        if str(name).lower() == "cookie":
            raw.extend(str(value).split(";"))
    found: dict[str, str] = {}
    for part in raw:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(str(part).strip())
        except CookieError:
            continue
        for name, morsel in jar.items():
            found.setdefault(name, morsel.value)
    return found


def _cookie(settings: SignInSettings, name: str, value: str, path: str, max_age: int) -> Cookie:
    return Cookie(
        name,
        value,
        path=path,
        max_age=max_age,
        secure=settings.secure,
        http_only=True,
        same_site=SameSite.LAX_MODE,
    )


def session_cookie(settings: SignInSettings, token: str, lifetime_seconds: int) -> Cookie:
    return _cookie(settings, SESSION_COOKIE, token, CONSOLE_PATH, max(0, lifetime_seconds))


def clear_sign_in_cookie(settings: SignInSettings) -> Cookie:
    return _cookie(settings, SIGN_IN_COOKIE, "", CALLBACK_PATH, 0)


def clear_session_cookie(settings: SignInSettings) -> Cookie:
    return _cookie(settings, SESSION_COOKIE, "", CONSOLE_PATH, 0)
