"""Sign-up (double opt-in) and confirmation.

The link in the confirmation email only opens a page with one button (`GET /members/confirm`): mail
scanners such as Microsoft's Safe Links open every link in a message, and must never confirm anyone.
The button posts the token back in the body (`POST /members/confirm`), which confirms."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, ClassVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import Field

from functions.members.env import members_env
from functions.members.pages import page_context, privacy_page, signup_page
from functions.members.services import keys, membership
from shared import clock
from shared.aws import client
from shared.forms import FormModel
from shared.members.models import SignupAccepted, SignupForm
from shared.members.service import (
    SIGNUP_IDEMPOTENCY_PREFIX,
    SIGNUP_IDEMPOTENCY_WINDOW,
    ConfirmLink,
    ConfirmOutcome,
    SignupCommand,
    screen,
)
from shared.observability import logger
from shared.timefmt import meeting_when
from shared.web import (
    HTML_PAGE,
    ErrorBody,
    error_response,
    html_page,
    is_form_post,
    json_body,
    page,
    wants_html,
)

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


LINK_PROBLEM = html_page("Expired, forged or used-up link, with how to get a new one")
PAGE_OR_JSON: dict[str, Any] = {
    "text/html": {"schema": {"type": "string"}},
    "application/json": {"model": ErrorBody},
}
UNREADABLE: OpenAPIResponse = {  # a page for a browser (or the JSON error shape)
    "description": "The sign-up's stored record cannot be read: nothing changed, contact us",
    "content": PAGE_OR_JSON,
}


class ConfirmForm(FormModel):
    """`POST /members/confirm`: the confirmation page's button, which sends the link's token back."""

    token: str = Field(
        min_length=1, max_length=512, description="The signed token from the email's link (the page's form)"
    )

    messages: ClassVar[dict[str, str]] = {"token": "Use the button on the page the email's link opens"}


@router.get(
    "/members/confirm",
    summary="The page the confirmation email's link opens: one button that confirms (a GET never "
    "confirms: mail scanners open every link)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM, 409: UNREADABLE},
)
def confirm_page(token: Annotated[str, Query(max_length=512)] = "") -> Response[str]:
    found = membership().check_confirm_link(token, clock.utc_now())
    if found is ConfirmLink.DONE:
        return _confirmed(ConfirmOutcome.ALREADY_CONFIRMED)
    rejoin = found is ConfirmLink.REJOIN
    return page(
        200,
        "confirm",
        **page_context(),
        title=f"Confirm that you want to {'rejoin' if rejoin else 'join'}",
        rejoin=rejoin,
        action=f"{members_env().base_url}/members/confirm",
        token=token,
    )


@router.post(
    "/members/confirm",
    summary="Confirm a sign-up: the button on the confirmation link's page (sending it again is harmless)",
    responses={
        200: HTML_PAGE,
        400: LINK_PROBLEM,
        409: UNREADABLE,
        503: {
            "description": "Confirmed, but the welcome email could not be sent: pressing again sends it",
            "content": PAGE_OR_JSON,
        },
    },
)
def confirm(form: Annotated[ConfirmForm, Body()]) -> Response[str]:
    return _confirmed(membership().confirm(form.token, clock.utc_now()))


def _confirmed(outcome: ConfirmOutcome) -> Response[str]:
    title = "You are now a member" if outcome is ConfirmOutcome.CONFIRMED else "You are already a member"
    # the page names the next meeting only if there is one (as the welcome email does)
    meeting = membership().next_meeting(clock.utc_now())
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
