"""Public member routes: the sign-up form, sign-up (double opt-in) and confirmation.

Thin on purpose: parse, call one domain function, answer. The rules live in `shared.members`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members.env import public_env
from shared import tokens
from shared.aws import client
from shared.clock import utc_now
from shared.email.mailer import EmailNotSent, Mailer
from shared.forms import field_errors
from shared.keys import Keys, load_keys
from shared.meetings.repository import MeetingReader
from shared.members.models import ROLE_LABELS, SignupAccepted, SignupForm
from shared.members.repository import MemberRepository
from shared.members.service import (
    SIGNUP_IDEMPOTENCY_PREFIX,
    ConfirmOutcome,
    LinkNoLongerValid,
    Membership,
    MembershipSettings,
    SignupCommand,
)
from shared.observability import logger, metrics, tracer
from shared.web import (
    HTML_PAGE,
    error_response,
    errors_body,
    html_page,
    is_form_post,
    json_body,
    page,
    wants_html,
)

app = APIGatewayHttpResolver(enable_validation=True)
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="lookup_id", expires_after_seconds=600, raise_on_no_idempotency_key=True
)


@cache
def keys() -> Keys:
    return load_keys(public_env().signing_key_secret)


@cache
def membership() -> Membership:
    env = public_env()
    return Membership(
        repository=MemberRepository(client("dynamodb"), env.members_table),
        mailer=Mailer(client("sesv2"), env.sender, env.reply_to, env.configuration_set),
        meetings=MeetingReader(client("dynamodb"), env.meetings_table),
        keys=keys(),
        settings=MembershipSettings(env.group_name, env.base_url, env.privacy_notice_version, env.time_zone),
    )


@cache
def idempotent_sign_up() -> Callable[..., Any]:
    store = DynamoDBPersistenceLayer(
        table_name=public_env().idempotency_table, boto3_client=client("dynamodb")
    )

    @idempotent_function(
        data_keyword_argument="command",
        config=IDEMPOTENCY,
        persistence_store=store,
        output_serializer=PydanticSerializer(SignupAccepted),
        key_prefix=SIGNUP_IDEMPOTENCY_PREFIX,
    )
    def sign_up(command: SignupCommand) -> SignupAccepted:
        return membership().sign_up(command, utc_now())

    return sign_up  # type: ignore[no-any-return]


def _page_context() -> dict[str, Any]:
    env = public_env()
    return {"group_name": env.group_name, "base_url": env.base_url}


def _signup_page(status: int, values: dict[str, Any], errors: dict[str, str]) -> Response[str]:
    env = public_env()
    return page(
        status,
        "signup",
        **_page_context(),
        title="Join the partnership",
        action=f"{env.base_url}/members",
        values=values,
        errors=errors,
        roles=[(r.value, label) for r, label in ROLE_LABELS.items()],
        working_groups=[],
        privacy_notice_version=env.privacy_notice_version,
        privacy_url=f"{env.base_url}/members/privacy",
    )


@app.get("/members/signup", summary="The sign-up form", responses={200: HTML_PAGE})
def signup_form() -> Response[str]:
    return _signup_page(200, {}, {})


@app.get("/members/privacy", summary="The privacy notice", responses={200: HTML_PAGE})
def privacy_notice() -> Response[str]:
    return page(
        200, "privacy", **_page_context(), title="Privacy notice", version=public_env().privacy_notice_version
    )


@app.post(
    "/members",
    summary="Sign up (double opt-in)",
    status_code=202,
    responses={
        202: {
            "description": "The same answer for a new or a known address (no enumeration); "
            "an HTML page for a browser's form post",
            "content": {
                "application/json": {"model": SignupAccepted},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        400: error_response("Bad input, naming each bad field (the form again, for a browser)"),
        503: error_response("The email could not be sent; nothing was stored as sent"),
    },
)
def sign_up(form: Annotated[SignupForm, Body()]) -> Response[Any]:
    headers = app.current_event.headers
    if form.is_bot:
        logger.info("honeypot filled: nothing stored or sent")
        metrics.add_metric(name="HoneypotTripped", unit="Count", value=1)
    else:
        command = SignupCommand(
            form=form,
            lookup_id=keys().email_lookup_id(form.email),
            channel="web_form" if is_form_post(headers) else "api",
        )
        idempotent_sign_up()(command=command)
    if wants_html(headers):
        return page(
            202,
            "signup_sent",
            **_page_context(),
            title="Check your email",
            hours=72,
            signup_url=f"{public_env().base_url}/members/signup",
        )
    return json_body(202, SignupAccepted())


@app.get(
    "/members/confirm",
    summary="Confirm a sign-up from the emailed link",
    responses={200: HTML_PAGE, 400: html_page("Expired, forged or used-up link")},
)
def confirm(token: Annotated[str, Query(max_length=512)] = "") -> Response[str]:
    outcome = membership().confirm(token, utc_now())
    title = "You are now a member" if outcome is ConfirmOutcome.CONFIRMED else "You are already a member"
    return page(200, "confirmed", **_page_context(), title=title, outcome=outcome.value)


def _link_problem(expired: bool) -> Response[str]:
    env = public_env()
    title = "This link has expired" if expired else "This link does not work"
    return page(
        400,
        "message",
        **_page_context(),
        title=title,
        paragraphs=[
            "Confirmation links work once, for 72 hours.",
            "To get a new link, fill in the sign-up form again with the same email address.",
        ],
        link_url=f"{env.base_url}/members/signup",
        link_text="Go to the sign-up form",
    )


@app.exception_handler(tokens.TokenError)
def _bad_token(error: tokens.TokenError) -> Response[str]:
    logger.info("link refused", extra={"reason": type(error).__name__})
    return _link_problem(expired=isinstance(error, tokens.TokenExpired))


@app.exception_handler(LinkNoLongerValid)
def _gone(_: LinkNoLongerValid) -> Response[str]:
    logger.info("link refused", extra={"reason": "member no longer pending"})
    return _link_problem(expired=True)


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[Any]:
    errors = field_errors(SignupForm, list(error.errors()))
    logger.info("request refused", extra={"bad_fields": sorted(errors)})
    event = app.current_event
    if event.path.endswith("/members") and wants_html(event.headers):
        values = {
            k: (v if k == "working_groups" else v[-1])
            for k, v in parse_qs(event.decoded_body or "").items()
            if k not in ("website",)
        }
        return _signup_page(400, values, errors)
    if event.path.endswith("/confirm"):
        return _link_problem(expired=False)
    return errors_body(400, errors, "Some fields need correcting.")


@app.exception_handler(EmailNotSent)
def _not_sent(_: EmailNotSent) -> Response[Any]:
    message = "We could not send the email just now. Please try again in a few minutes."
    if wants_html(app.current_event.headers):
        return page(
            503,
            "message",
            **_page_context(),
            title="Please try again",
            paragraphs=[message],
            link_url=None,
            link_text=None,
        )
    return errors_body(503, {}, message)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
