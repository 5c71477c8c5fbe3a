"""The feedback form and what a reporter reaches without signing in: `POST /feedback` (a plain form
or JSON, anonymous or named), its reply page, a reference's status and public response, and the
follow-up question's page (a GET shows three buttons and records nothing; the POST records).

Anonymous in fact: nothing here reads, logs or stores the request's source address or user agent
(API Gateway's access log leaves them out for every route, and the firewall's log drops /feedback
requests: `infra/constructs/edge.py`). The edge's rate rule covers the form like every public form.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.feedback.env import feedback_env
from functions.feedback.services import service, signing_key
from shared import clock, tokens
from shared.api import HttpApi, once_token, wants_html
from shared.errors import BadLink
from shared.feedback import links
from shared.feedback.models import (
    ANSWERS,
    FFT_QUESTION,
    KINDS,
    RATINGS,
    REFERENCE_PATTERN,
    ROLES,
    Accepted,
    FeedbackForm,
    PublicStatus,
)
from shared.feedback.service import FeedbackNotFound, UnknownCategory
from shared.forms import FormModel
from shared.observability import logger, metrics
from shared.web import error_response, html_page, json_body, page, refusals
from shared.web import pages as web_pages

Token = Annotated[str, Query(max_length=512)]
Reference = Annotated[str, Path(max_length=24, pattern=REFERENCE_PATTERN)]


def _message(status: int, title: str, paragraphs: list[str]) -> Response[str]:
    env = feedback_env()
    return web_pages.message_page(
        env, status, title, paragraphs, (f"{env.base_url}/feedback", "Go to the feedback form")
    )


def _link_page(error: BadLink) -> Response[str]:
    return web_pages.link_problem(
        feedback_env(),
        "This link does not work",
        [
            "It may be mistyped, or more than 30 days old.",
            "You can still tell us whether the problem was solved: use the feedback form, and give "
            "your reference.",
        ],
        (f"{feedback_env().base_url}/feedback", "Go to the feedback form"),
    )


app = HttpApi(problem_page=_message, error_pages={BadLink: _link_page})


def _context() -> dict[str, Any]:
    env = feedback_env()
    settings = env.feedback
    return {
        **web_pages.page_context(env),
        "urgent_help": settings.urgent_help,
        "first_response_days": settings.first_response_days,
    }


def _form_page(status: int, values: dict[str, Any], errors: dict[str, str]) -> Response[str]:
    env = feedback_env()
    settings = env.feedback
    return page(
        status,
        "feedback",
        **_context(),
        title="Tell us about your care",
        values=values,
        errors=errors,
        kinds=KINDS,
        abouts=settings.about,
        categories=settings.categories,
        roles=ROLES,
        ratings=RATINGS,
        fft_question=FFT_QUESTION,
        action=f"{env.base_url}/feedback",
    )


@app.form_page(FeedbackForm)
def _form_again(errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    return _form_page(400, values, errors)


@app.get(
    "/feedback",
    summary="The feedback form (anonymous, or with an email address to hear back)",
    responses={200: html_page("The form")},
)
def feedback_form() -> Response[str]:
    return _form_page(200, {}, {})


@app.post(
    "/feedback",
    summary="Send feedback, a concern, a compliment or a journal entry (anonymous allowed)",
    status_code=202,
    responses={
        202: {
            "description": "Received, with an unguessable reference (a filled honeypot gets the same "
            "answer, and nothing is stored or sent; the same form sent twice gives the first reference)",
            "content": {
                "application/json": {"model": Accepted},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        400: error_response("Bad input, naming each bad field (the form again, for a browser)"),
        **refusals(UnknownCategory),
    },
)
def submit(form: Annotated[FeedbackForm, Body()]) -> Response[Any]:
    token = once_token(app)
    done = service().submit(form, clock.utc_now(), once=token[:64] if token else None)
    if wants_html(app.current_event.raw_event):
        env = feedback_env()
        return page(
            202,
            "feedback_sent",
            **_context(),
            title="Thank you: we have your feedback",
            reference=done.reference,
            urgent=done.urgent,
            named=bool(form.contact_email),
            status_url=links.status_url(env.base_url, done.reference),
        )
    return json_body(202, Accepted(reference=done.reference))


class FollowUpForm(FormModel):
    answer: Literal["yes", "partly", "no"]
    messages: ClassVar[dict[str, str]] = {"answer": "Choose yes, partly or no"}


def _follow_up(token: str) -> str:
    claims = tokens.verify(token, links.FOLLOW_UP, [signing_key()], clock.utc_now())
    return claims.subject


def _follow_up_page(token: str, status: int = 200, answered: str | None = None) -> Response[str]:
    reference = _follow_up(token)
    try:
        item = service().get(reference)
    except FeedbackNotFound:
        raise BadLink from None
    env = feedback_env()
    return page(
        status,
        "feedback_follow_up",
        **_context(),
        title="Was the problem solved?" if not answered else "Thank you for telling us",
        reference=reference,
        answers=ANSWERS,
        answered=answered or item.follow_up_answer,
        just_answered=answered is not None,
        reopened=answered in ("no", "partly"),
        action=f"{env.base_url}{links.FOLLOW_UP_PATH}?token={token}",
    )


@app.get(
    "/feedback/follow-up",
    summary="The follow-up question's page: was the problem solved? (a GET records nothing)",
    responses={200: html_page("The question, with three buttons"), 400: html_page("The link does not work")},
)
def follow_up_page(token: Token = "") -> Response[str]:
    return _follow_up_page(token)


@app.post(
    "/feedback/follow-up",
    summary="Answer the follow-up question: yes, partly or no ('no' and 'partly' reopen the item)",
    responses={200: html_page("Thank you"), 400: html_page("The link does not work")},
)
def follow_up(form: Annotated[FollowUpForm, Body()], token: Token = "") -> Response[str]:
    reference = _follow_up(token)
    try:
        service().answer_follow_up(reference, form.answer, clock.utc_now())
    except FeedbackNotFound:
        raise BadLink from None
    metrics.add_metric(name="FeedbackFollowUpAnswered", unit="Count", value=1)
    return _follow_up_page(token, answered=form.answer)


@app.get(
    "/feedback/<reference>",
    summary="A reference's status and public response (nothing personal)",
    responses={
        200: {
            "description": "The status",
            "content": {
                "application/json": {"model": PublicStatus},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        **refusals(FeedbackNotFound),
    },
)
def status(reference: Reference) -> Response[Any]:
    found = service().public_status(reference)
    if wants_html(app.current_event.raw_event):
        return page(200, "feedback_status", **_context(), title=f"Your feedback: {reference}", item=found)
    return json_body(200, found)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
