"""The console's own pages (`/console/...`): sign-in and sign-out, the home page and the audit trail.

Each capability's pages are served by a function of its own capability (members:
`functions/members/console.py`), with that capability's grants; this one holds the audit trail's
read access and the revoked sessions' write access, and nothing of any capability. Its home page
links to each capability's own page, which carries what needs attention there. It also answers every
console path no capability serves, with the console's own "page not found".
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import clock
from shared.audit import AuditTrail
from shared.aws import client
from shared.console import session
from shared.console.app import CSRF_FIELD, ConsoleApp, administrators_named
from shared.console.audit import Vocabulary, folded, target_names, vocabulary
from shared.console.settings import console_settings
from shared.observability import logger, metrics
from shared.text import csv_cell
from shared.web import html_page

MONTH = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])$")


@cache
def audit() -> AuditTrail:
    table = console_settings().audit_table
    if table is None:
        raise RuntimeError("AUDIT_TABLE_NAME is not set: declare the audit table for the console function")
    return AuditTrail(client("dynamodb"), table)


app = ConsoleApp()


def words() -> Vocabulary:
    return vocabulary(console_settings().audit_words)


@app.get(
    "/console",
    summary="Console home (at /console/): each part of the console, and what it is for",
    responses={200: html_page("The home page"), 303: {"description": "Sign in first"}},
)
def home() -> Response[str]:
    return app.page("home", title="Home")


@app.get("/console/", include_in_schema=False)  # API Gateway routes /console/ to the /console route
def home_with_slash() -> Response[str]:
    return home()


@app.get(
    "/console/callback",
    summary="Where the managed login returns after sign-in (authorization code with PKCE)",
    responses={303: {"description": "Signed in: on to the page asked for"}, 400: html_page("Sign-in failed")},
)
def callback() -> Response[str]:
    event = app.current_event
    params = event.query_string_parameters or {}
    settings = app.settings.sign_in
    now = clock.utc_now()
    if params.get("error") or not params.get("code"):
        logger.info("console: sign-in callback without a code", extra={"error": params.get("error", "")[:40]})
        return app.page(
            "message",
            title="You are not signed in",
            status=400,
            paragraphs=["Signing in did not finish."],
            link=("/console/", "Try signing in again"),
            cookies=[session.clear_sign_in_cookie(settings)],
        )
    try:
        signed_in = session.finish_sign_in(
            settings, session.read_cookies(event.raw_event), params.get("state", ""), params["code"], now
        )
        token, return_to = signed_in.access_token, signed_in.return_to
        admin = session.verify_access_token(settings, token, now)
    except (session.SignInFailed, session.SessionInvalid) as failed:
        logger.warning("console: sign-in failed", extra={"reason": str(failed)})
        return app.page(
            "message",
            title="You are not signed in",
            status=400,
            paragraphs=["Signing in did not finish, or took too long. Nothing was changed."],
            link=("/console/", "Try signing in again"),
            cookies=[session.clear_sign_in_cookie(settings)],
        )
    except session.NotAnAdministrator:
        return app.page(
            "message",
            title="You cannot use the console",
            status=403,
            paragraphs=[
                "You signed in, but your account is not an administrator's.",
                "Ask an administrator to invite you from the Administrators page of the console.",
            ],
            sign_out=True,
            cookies=[session.clear_sign_in_cookie(settings)],
        )
    lifetime = admin.expires - int(now.timestamp())
    name = session.administrator_name(settings, signed_in.id_token, admin)
    if name:  # so every console page can say who did something, with no Cognito call of its own
        administrators_named().remember(admin.sub, name, now)
    logger.info("console: signed in")
    cookies = [session.session_cookie(settings, token, lifetime), session.clear_sign_in_cookie(settings)]
    return app.redirect(return_to, cookies=cookies)


@app.post(
    "/console/sign-out",
    summary="Sign out: ends the console session here and the managed login's session",
    responses={303: {"description": "On to the managed login's logout, then the signed-out page"}},
)
def sign_out() -> Response[str]:
    admin = app.current_admin()
    if admin is not None and not session.csrf_ok(admin, app.form().get(CSRF_FIELD)):
        logger.warning("console: sign-out refused without its CSRF token")
        return app.page(
            "message",
            title="This form has expired",
            status=403,
            paragraphs=["You are still signed in. Go back, reload the page and sign out again."],
        )
    if admin is not None:  # a copy of the cookie is refused from now on, not only this browser's
        app.signed_out.end(admin.session, admin.expires)
    logger.info("console: signed out")
    settings = app.settings.sign_in
    return app.redirect(session.sign_out_url(settings), cookies=[session.clear_session_cookie(settings)])


@app.get("/console/signed-out", summary="You have signed out", responses={200: html_page("Signed out")})
def signed_out() -> Response[str]:
    return app.page(
        "message",
        title="You have signed out",
        paragraphs=["You have signed out of the console. Close this window if you share this computer."],
        link=("/console/", "Sign in again"),
        cookies=[session.clear_session_cookie(app.settings.sign_in)],
    )


# --- help ----------------------------------------------------------------------------------------


@app.get(
    "/console/help",
    summary="Help: how to do each job in the console, step by step",
    responses={200: html_page("The help pages")},
)
def help_index() -> Response[str]:
    return app.page("help/index", title="Help", topics=console_settings().help)


@app.get(
    "/console/help/<topic>",
    summary="One help page",
    responses={200: html_page("The help page"), 404: html_page("No such help page")},
)
def help_page(topic: str) -> Response[str]:
    found = {slug: title for slug, title, _summary in console_settings().help}
    if topic not in found:
        return app.page(
            "message",
            title="There is no help page here",
            status=404,
            paragraphs=["The link may be wrong, or the page may have moved."],
            link=("/console/help", "See all the help pages"),
        )
    return app.page(f"help/{topic}", title=found[topic])


# --- the audit trail ----------------------------------------------------------------------------


def _month() -> tuple[str, str | None]:
    given = app.query("month") or ""
    this_month = clock.iso(clock.utc_now())[:7]
    if given and not MONTH.match(given):
        return this_month, "Choose a month like 2026-11"
    return given or this_month, None


@app.get(
    "/console/audit",
    summary="The audit trail, one month at a time, newest first",
    responses={200: html_page("One page of entries")},
)
def audit_trail() -> Response[str]:
    month, problem = _month()
    page = audit().month(month, 50, app.query("cursor") or None)
    settings = console_settings()
    vocabulary = words()
    people = administrators_named()
    admins = {
        e.target: people.get(e.target.partition("#")[2]) or "An administrator"
        for e in page.items
        if e.target.startswith("ADMIN#")
    }
    named = vocabulary._replace(
        names={
            **vocabulary.names,
            **target_names(client("dynamodb"), settings.audit_names, (e.target for e in page.items)),
            **admins,
        },
        gone={prefix: source[4] for prefix, source in settings.audit_names.items()},
    )
    return app.page(
        "audit",
        title="Audit trail",
        status=400 if problem else 200,
        month=month,
        rows=folded(page.items),
        words=named,
        next_cursor=page.next,
        error=problem,
        me=app.admin.sub if app.admin else "",
    )


@app.get(
    "/console/audit.csv",
    summary="Download one month of the audit trail as CSV",
    responses={200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def audit_csv() -> Response[str]:
    month, _ = _month()
    vocabulary_ = words()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["at", "action", "what", "target", "fields", "administrator", "administrator_name"])
    names = administrators_named()
    cursor: str | None = None
    while True:
        page = audit().month(month, 100, cursor)
        for entry in page.items:
            what = vocabulary_.action(entry)
            row = [entry.at, entry.action, what, entry.target, " ".join(entry.fields), entry.actor]
            row.append(names.get(entry.actor, ""))
            writer.writerow([csv_cell(cell) for cell in row])
        cursor = page.next
        if cursor is None:
            break
    return Response(
        200,
        "text/csv; charset=utf-8",
        out.getvalue(),
        headers={
            "Content-Disposition": f'attachment; filename="audit-{month}.csv"',
            "Cache-Control": "no-store",
        },
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
