"""The administrators' web console (`/console/...`): server-rendered pages behind Cognito sign-in.

`ConsoleApp` checks the session, the admins group and every form's CSRF token before a route runs
(`shared/console/app.py`). The pages of each capability are routers in that capability's folder
(members: `functions/members/console_*.py`), included here; the sign-in, sign-out and home pages
are this module's own.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.console.env import console_env, sign_in_settings
from functions.members import console_groups, console_members
from functions.members.services import keys, member_admin
from shared import clock
from shared.console import session
from shared.console.app import CSRF_FIELD, ConsoleApp
from shared.observability import logger, metrics
from shared.web import html_page


def _context() -> dict[str, Any]:
    env = console_env()
    return {"group_name": env.group_name, "base_url": env.base_url}


app = ConsoleApp(settings=sign_in_settings, key=lambda: keys().token, context=_context)
app.include_router(console_members.router)
app.include_router(console_groups.router)


@app.get(
    "/console",
    summary="Console home (at /console/): members at a glance, and what needs attention",
    responses={200: html_page("The home page"), 303: {"description": "Sign in first"}},
)
def home() -> Response[str]:
    summary = member_admin().summary(clock.utc_now())
    return app.page("home", title="Home", summary=summary)


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
    settings, key = sign_in_settings(), keys().token
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
        token, return_to = session.finish_sign_in(
            settings, key, session.read_cookies(event.raw_event), params.get("state", ""), params["code"], now
        )
        admin = session.verify_access_token(settings, token, key, now)
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
                "Ask the Secretary or the Chair to add you to the administrators.",
            ],
            sign_out=True,
            cookies=[session.clear_sign_in_cookie(settings)],
        )
    lifetime = admin.expires - int(now.timestamp())
    logger.info("console: signed in")
    cookies = [session.session_cookie(settings, token, lifetime), session.clear_sign_in_cookie(settings)]
    return app.redirect(return_to, cookies=cookies)


@app.post(
    "/console/sign-out",
    summary="Sign out: ends the console session and the managed login's session",
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
    logger.info("console: signed out")
    settings = sign_in_settings()
    return app.redirect(session.sign_out_url(settings), cookies=[session.clear_session_cookie(settings)])


@app.get("/console/signed-out", summary="You have signed out", responses={200: html_page("Signed out")})
def signed_out() -> Response[str]:
    return app.page(
        "message",
        title="You have signed out",
        paragraphs=["You have signed out of the console. Close this window if you share this computer."],
        link=("/console/", "Sign in again"),
        cookies=[session.clear_session_cookie(sign_in_settings())],
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
