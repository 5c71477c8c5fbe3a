"""`ConsoleApp`: the resolver of every console function, and the checks every console page gets.

Each capability serves its own console pages from a function of its own (declared with `console`
path prefixes in `infra/declaration.py`), holding that capability's grants and nothing more. Every
one of them is a `ConsoleApp`, so before any route runs (on top of `shared.api.HttpApi`'s body checks):
- only the callback, the signed-out page and signing out are reached without a session;
- the session cookie is verified (`shared.console.session.verify_access_token`) and looked up among
  the sessions ended by signing out (`shared.console.revoked`); with no session, or an expired,
  forged or ended one, a GET is sent to sign in and comes back to the same page afterwards, and a
  POST is sent to sign in and then to the page it came from;
- a signed-in user outside the admins group is refused (403 page);
- a POST whose form does not carry the session's CSRF token is refused (403 page);
- the administrator (`Admin`) is kept for the page and the audit trail (`shared.api.actor`).

Every answer is a page: a console path that does not exist is a 404 page, a method a path does not
take a 405 page, a refusal its own page. Pages come from `ConsolePages.page`: one layout
(`templates/console/base.html`) and one navigation, which the declaration gives every console
function (`CONSOLE_NAV`), so no module changes another's globals.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qs, urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from pydantic import BaseModel, ValidationError

from shared import clock
from shared.api import MAX_BODY_BYTES, HttpApi
from shared.aws import client
from shared.console import session
from shared.console.revoked import AdministratorNames, SignedOutSessions
from shared.console.session import Admin, NotAnAdministrator, SessionInvalid
from shared.console.settings import ConsoleSettings, NavItem, console_settings
from shared.email.render import render_template
from shared.errors import DomainError
from shared.forms import field_errors
from shared.observability import logger

# Reached without a session: the sign-in callback, the signed-out page, and signing out (which
# checks the CSRF token when there is a session to protect; signing out without one only clears
# cookies, so someone whose session expired, or who is not an administrator, can still sign out).
OPEN_PATHS = frozenset({session.CALLBACK_PATH, session.SIGNED_OUT_PATH, session.SIGN_OUT_PATH})
CSRF_FIELD = "csrf_token"
M = TypeVar("M", bound=BaseModel)


# The one script a console page may run: it shows the Print button of a page meant for paper (hidden
# without JavaScript, where the page says to press Ctrl and P) and prints on a click. Allowed by its
# hash alone, so no other script, inline or fetched, can run.
PRINT_SCRIPT = (
    'document.querySelectorAll("[data-print]").forEach(function (b) {'
    ' b.hidden = false; b.addEventListener("click", function () { window.print(); }); });'
)
PRINT_SCRIPT_HASH = base64.b64encode(hashlib.sha256(PRINT_SCRIPT.encode()).digest()).decode()


def _headers(login_url: str) -> dict[str, str]:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(login_url))
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # form-action names the login origin because signing out posts here, then goes there
        "Content-Security-Policy": f"default-src 'none'; script-src 'sha256-{PRINT_SCRIPT_HASH}'; "
        "style-src 'unsafe-inline'; img-src 'self'; "
        f"form-action 'self' {origin}; frame-ancestors 'none'; base-uri 'none'",
    }


class PageSettings(NamedTuple):
    login_url: str
    nav: list[NavItem]
    context: Mapping[str, Any]  # what every page shows: the partnership's name and address


def page_settings(settings: ConsoleSettings) -> PageSettings:
    return PageSettings(
        settings.cognito_login_url,
        settings.nav,
        {"group_name": settings.group_name, "base_url": settings.base_url},
    )


def administrators_named() -> AdministratorNames:
    """A new one per page (names change when someone signs in); the client is the function's own."""
    return AdministratorNames(client("dynamodb"), console_settings().sessions_table)


class ConsolePages:
    """Pages, redirects and forms, for the console app and for each capability's console router
    (both read what the session check left in `context`)."""

    current_event: Any
    context: dict[str, Any]

    @property
    def admin(self) -> Admin | None:
        found = self.context.get("admin")
        return found if isinstance(found, Admin) else None

    def page(
        self,
        template: str,
        *,
        title: str,
        status: int = 200,
        cookies: list[Any] | None = None,
        **context: Any,
    ) -> Response[str]:
        layout: PageSettings = self.context.get("console") or page_settings(console_settings())
        body = render_template(
            f"console/{template}.html",
            **layout.context,
            title=title,
            admin=self.admin,
            csrf_field=CSRF_FIELD,
            nav=layout.nav,
            current=self.current_event.path,
            print_script=PRINT_SCRIPT,
            **{"people": administrators_named(), **context},
        )
        return Response(
            status,
            "text/html; charset=utf-8",
            body,
            headers=_headers(layout.login_url),
            cookies=cookies or [],
        )

    def redirect(self, location: str, cookies: list[Any] | None = None, status: int = 303) -> Response[str]:
        headers = {"Location": location, "Cache-Control": "no-store"}
        return Response(status, "text/plain; charset=utf-8", "", headers=headers, cookies=cookies or [])

    def form(self) -> dict[str, str]:
        """The posted form's fields (the last value of each), as text."""
        return {name: values[-1] for name, values in self.form_lists().items()}

    def form_lists(self) -> dict[str, list[str]]:
        return parse_qs(self.current_event.decoded_body or "", keep_blank_values=True)

    def query(self, name: str) -> str | None:
        return (self.current_event.query_string_parameters or {}).get(name)

    def notice(self, notices: Mapping[str, str], only: Iterable[str] | None = None) -> str | None:
        """What a page says after an action redirected to it (`?done=<key>`): one of the page's own
        `notices` (of those `only` allows, where what may be said depends on the page's state), or
        nothing for any other key, since anyone can type the address."""
        done = self.query("done") or ""
        return notices.get(done) if only is None or done in only else None

    def submit(
        self,
        model: type[M],
        data: Mapping[str, Any],
        show: Callable[[int, dict[str, str]], Response[str]],
        act: Callable[[M], Response[str]],
        words: Mapping[str, str] | None = None,
    ) -> Response[str]:
        """The one way a console form is handled: validate `data` with the domain's `model`; if a
        field is bad, or the domain refuses it naming fields, `show` the form again (the status, and
        each field's message: the model's own words, or `words` for the console's audience); else
        `act`, which changes something and redirects (post/redirect/get)."""
        try:
            valid = model.model_validate(data)
        except ValidationError as invalid:
            return show(400, field_errors(model, invalid))
        try:
            return act(valid)
        except DomainError as refused:
            if not refused.field_messages:
                raise
            plain = words or {}
            return show(refused.status, {f: plain.get(f, m) for f, m in refused.field_messages.items()})


class ConsoleRouter(ConsolePages, Router):
    """A capability's console pages: included by that capability's console function."""


@cache
def _signed_out_sessions(table: str) -> SignedOutSessions:
    from shared.aws import client

    return SignedOutSessions(client("dynamodb"), table)


class ConsoleApp(ConsolePages, HttpApi):
    def __init__(self, *, max_body_bytes: int = MAX_BODY_BYTES, files: bool = False) -> None:
        """A console function holds no key: CSRF tokens and the sign-in state need none
        (`shared.console.session`), so no console can sign another capability's links. Importing
        the handler reads no environment and makes no AWS call."""
        # No request validation middleware: console routes take only string path parameters and read
        # their forms through the domain models themselves (`ConsolePages.submit`).
        super().__init__(
            problem_page=self._problem,
            validation=False,
            pages_only=True,
            files=files,
            max_body_bytes=max_body_bytes,
        )
        self.use([self._session])

    @property
    def settings(self) -> ConsoleSettings:
        return console_settings()

    @property
    def signed_out(self) -> SignedOutSessions:
        return _signed_out_sessions(self.settings.sessions_table)

    def _problem(self, status: int, title: str, paragraphs: list[str]) -> Response[str]:
        if "console" not in self.context:
            self.append_context(console=page_settings(self.settings))  # type: ignore[no-untyped-call]
        return self.page("message", title=title, status=status, paragraphs=paragraphs)

    # --- the checks ------------------------------------------------------------------------------

    def sign_in_redirect(self, return_to: str) -> Response[str]:
        settings = self.settings.sign_in
        location, cookie = session.start_sign_in(settings, return_to, clock.utc_now())
        return self.redirect(location, cookies=[cookie, session.clear_session_cookie(settings)])

    def _return_path(self) -> str:
        event = self.current_event
        if event.http_method == "GET":
            raw = str(event.raw_event.get("rawQueryString") or "")
            return str(event.path) + (f"?{raw}" if raw else "")
        referer = str((event.headers or {}).get("referer", ""))
        return urlsplit(referer).path or str(event.path)

    def verified_admin(self) -> Admin:
        """The signed-in administrator of this request, or SessionInvalid / NotAnAdministrator."""
        token = session.read_cookies(self.current_event.raw_event).get(session.SESSION_COOKIE, "")
        admin = session.verify_access_token(self.settings.sign_in, token, clock.utc_now())
        if self.signed_out.ended(admin.session):
            raise SessionInvalid("signed out")
        return admin

    def current_admin(self) -> Admin | None:
        """The signed-in administrator, if the request has a good session (for the open paths)."""
        try:
            return self.verified_admin()
        except (SessionInvalid, NotAnAdministrator):
            return None

    def _session(self, app: HttpApi, next_middleware: NextMiddleware) -> Response[Any]:
        event = self.current_event
        self.append_context(console=page_settings(self.settings))  # type: ignore[no-untyped-call]
        if event.path in OPEN_PATHS:
            return next_middleware(app)
        try:
            admin = self.verified_admin()
        except SessionInvalid as refused:
            logger.info("console: sign-in needed", extra={"reason": refused.reason})
            if event.http_method not in ("GET", "HEAD"):
                # a form sent after the session ended: say so, rather than lose it without a word
                return self.page(
                    "message",
                    title="You were signed out, so this was not saved",
                    status=401,
                    paragraphs=[
                        "You stay signed in for one hour. That time ran out before you sent the form.",
                        "Use your browser's Back button to see what you typed, and copy it if it is long.",
                        "Then sign in again and send the form once more.",
                    ],
                    link=(self._return_path(), "Sign in again"),
                    cookies=[session.clear_session_cookie(self.settings.sign_in)],
                )
            return self.sign_in_redirect(self._return_path())
        except NotAnAdministrator:
            logger.warning("console: signed in, but not an administrator")
            return self.page(
                "message",
                title="You cannot use the console",
                status=403,
                paragraphs=[
                    "You are signed in, but your account is not an administrator's.",
                    "Ask an administrator to invite you from the Administrators page of the console.",
                ],
                sign_out=True,
            )
        self.append_context(admin=admin, actor=admin.sub, session=admin.session)  # type: ignore[no-untyped-call]
        # every method that may change something needs the session's token (only GET and HEAD read)
        if event.http_method not in ("GET", "HEAD") and not session.csrf_ok(
            admin, self.form().get(CSRF_FIELD)
        ):
            logger.warning("console: form refused without its CSRF token")
            return self.page(
                "message",
                title="This form has expired",
                status=403,
                paragraphs=[
                    "Nothing was changed. The form was sent without the security code it needs, or "
                    "from an older session.",
                    "Go back, reload the page and try again.",
                ],
            )
        return next_middleware(app)
