"""Sign-up (double opt-in) and confirmation."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

from functions.members.env import members_env
from functions.members.pages import page_context, privacy_page, signup_page
from functions.members.services import keys, membership
from shared import clock
from shared.aws import client
from shared.members.models import SignupAccepted, SignupForm
from shared.members.service import (
    SIGNUP_IDEMPOTENCY_PREFIX,
    SIGNUP_IDEMPOTENCY_WINDOW,
    ConfirmOutcome,
    SignupCommand,
    screen,
)
from shared.observability import logger
from shared.timefmt import meeting_when
from shared.web import HTML_PAGE, error_response, html_page, is_form_post, json_body, page, wants_html

router = Router()
# Keyed on the whole validated input (SignupCommand.idempotency_key), never on the raw event.
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="idempotency_key",
    expires_after_seconds=int(SIGNUP_IDEMPOTENCY_WINDOW.total_seconds()),
    raise_on_no_idempotency_key=True,
)


@cache
def idempotent_sign_up() -> Callable[..., Any]:
    table = members_env().idempotency_table
    if table is None:
        raise RuntimeError("IDEMPOTENCY_TABLE_NAME is not set: declare idempotency=True for this function")
    store = DynamoDBPersistenceLayer(table_name=table, boto3_client=client("dynamodb"))

    @idempotent_function(
        data_keyword_argument="command",
        config=IDEMPOTENCY,
        persistence_store=store,
        output_serializer=PydanticSerializer(SignupAccepted),
        key_prefix=SIGNUP_IDEMPOTENCY_PREFIX,
    )
    def sign_up(command: SignupCommand) -> SignupAccepted:
        return membership().sign_up(command, clock.utc_now())

    return sign_up  # type: ignore[no-any-return]


@router.get("/members/signup", summary="The sign-up form", responses={200: HTML_PAGE})
def signup_form() -> Response[str]:
    return signup_page(200, {}, {}, membership().open_groups())


@router.get("/", summary="The sign-up form, at the partnership's own address", responses={200: HTML_PAGE})
def home_page() -> Response[str]:
    return signup_form()


@router.get("/members/privacy", summary="The privacy notice", responses={200: HTML_PAGE})
def privacy_notice() -> Response[str]:
    return privacy_page()


@router.post(
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
    headers = router.current_event.headers
    if screen(form):  # a bot (the honeypot) gets the same answer, and nothing is stored or sent
        command = SignupCommand(
            form=form,
            lookup_id=keys().email_lookup_id(form.email),
            channel="web_form" if is_form_post(headers) else "api",
        )
        try:
            idempotent_sign_up()(command=command)
        except IdempotencyAlreadyInProgressError:
            # the same form, sent twice at once (a double click): the first request is handling it,
            # so this one answers as that one will
            logger.info("identical sign-up already in progress: answered as accepted")
    if wants_html(headers):
        return page(
            202,
            "signup_sent",
            **page_context(),
            title="Check your email",
            hours=72,
            signup_url=f"{members_env().base_url}/members/signup",
        )
    return json_body(202, SignupAccepted())


@router.get(
    "/members/confirm",
    summary="Confirm a sign-up from the emailed link",
    responses={200: HTML_PAGE, 400: html_page("Expired, forged or used-up link")},
)
def confirm(token: Annotated[str, Query(max_length=512)] = "") -> Response[str]:
    now = clock.utc_now()
    outcome = membership().confirm(token, now)
    title = "You are now a member" if outcome is ConfirmOutcome.CONFIRMED else "You are already a member"
    # the page names the next meeting only if there is one (as the welcome email does)
    meeting = membership().next_meeting(now)
    when = meeting_when(meeting.starts_at, meeting.ends_at, members_env().time_zone) if meeting else None
    return page(
        200,
        "confirmed",
        **page_context(),
        title=title,
        outcome=outcome.value,
        meeting=meeting,
        meeting_when=when,
    )
