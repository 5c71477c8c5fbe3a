"""Public meeting routes: the list and the calendar feed, members' private feeds, and what a member
does from a reminder's links (apologies) and from their preferences page (their calendar link).

Every link from an email shows a page with a button on GET and changes nothing: the POST acts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.meetings.env import meetings_env
from functions.meetings.services import audit, keys, repo, settings
from shared import clock, tokens
from shared.api import HttpApi
from shared.email.unsubscribe import sent_to_current_address
from shared.errors import BadLink, NotFound
from shared.forms import FormModel
from shared.meetings import calendar, links
from shared.meetings.models import Attendance, Meeting, MeetingStatus
from shared.meetings.repository import MeetingNotFound, expiry
from shared.members import links as member_links
from shared.members.models import MemberStatus
from shared.members.repository import MemberRepository
from shared.model import Model
from shared.observability import logger, metrics
from shared.timefmt import meeting_when
from shared.web import HTML_PAGE, html_page, json_response, page, pages, refusals

Token = Annotated[str, Query(max_length=512)]


def _message(status: int, title: str, paragraphs: list[str]) -> Response[str]:
    return pages.message_page(meetings_env(), status, title, paragraphs)


def _link_page(error: BadLink) -> Response[str]:
    logger.info("link refused", extra={"reason": type(error).__name__})
    return pages.link_problem(
        meetings_env(),
        error.title,
        [
            "Links in our meeting emails work for 60 days.",
            "To send apologies, reply to the email, or ring us. We will note them for you.",
        ],
    )


app = HttpApi(problem_page=_message, error_pages={BadLink: _link_page})


class FeedNotFound(NotFound):
    message = "No calendar has this address: it may have been turned off."


# --- the public list and feed --------------------------------------------------------------------


class PublicLocation(Model):
    name: str
    address: str
    accessibility: str | None = None


class PublicMeeting(Model):
    id: str
    title: str
    kind: str
    starts_at: str = Field(description="UTC")
    ends_at: str = Field(description="UTC")
    when: str = Field(description="In words, in UK time")
    location: PublicLocation
    online_link: str | None = None
    agenda: str | None = None


class PublicMeetings(Model):
    items: list[PublicMeeting]


def _public(meeting: Meeting) -> PublicMeeting:
    return PublicMeeting(
        id=meeting.id,
        title=meeting.title,
        kind=meeting.kind.value,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        when=meeting_when(meeting.starts_at, meeting.ends_at, settings().time_zone),
        location=PublicLocation.model_validate(meeting.location.model_dump()),
        online_link=meeting.online_link,
        agenda=meeting.agenda,
    )


CALENDAR_HEADERS = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


def _ics(body: bytes, filename: str, private: bool = False) -> Response[str]:
    headers = {
        **CALENDAR_HEADERS,
        "Content-Disposition": f'inline; filename="{filename}"',
    }
    if private:
        headers["Cache-Control"] = "private, max-age=300"
        headers.pop("Access-Control-Allow-Origin")
    return Response(200, "text/calendar; charset=utf-8", body.decode("utf-8"), headers=headers)


@app.get(
    "/meetings",
    summary="Upcoming public meetings",
    responses={200: json_response("The meetings, soonest first", PublicMeetings)},
)
def list_meetings() -> Response[Any]:
    found = repo().upcoming_public(clock.utc_now())
    body = PublicMeetings(items=[_public(m) for m in found]).model_dump_json()
    return Response(200, "application/json", body, headers=dict(CALENDAR_HEADERS))


@app.get(
    "/meetings.ics",
    summary="Upcoming public meetings as an iCalendar feed (RFC 5545, METHOD:PUBLISH) to subscribe to",
    responses={
        200: {"description": "The feed", "content": {"text/calendar": {"schema": {"type": "string"}}}}
    },
)
def public_feed() -> Response[str]:
    now = clock.utc_now()
    body = calendar.feed(
        repo().upcoming_public(now, cancelled=True),
        name=settings().group_name,
        time_zone=settings().time_zone,
        now=now,
    )
    return _ics(body, "meetings.ics")


@app.get(
    "/meetings/feeds/<token>",
    summary="A member's private feed: the public meetings and their own working groups' meetings",
    responses={
        200: {"description": "The feed", "content": {"text/calendar": {"schema": {"type": "string"}}}},
        **refusals(FeedNotFound),
    },
)
def private_feed(
    token: Annotated[str, Path(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
) -> Response[str]:
    now = clock.utc_now()
    member_id = repo().member_of_feed(token)
    member = _members().get(member_id, now) if member_id else None
    if member is None or not member.taking_part:  # their calendar still reads it if emails bounce
        raise FeedNotFound
    mine = set(member.working_groups)
    public = {m.id for m in repo().upcoming_public(now, cancelled=True)}
    found = [  # a cancelled one stays in it, cancelled, as in the public feed
        m
        for m in repo().between(clock.iso(now - timedelta(days=1)), clock.iso(now + timedelta(days=400)))
        if m.id in public or (m.audience.type == "working_group" and m.audience.id in mine)
    ]
    body = calendar.feed(
        found, name=settings().group_name, time_zone=settings().time_zone, now=now, public=False
    )
    return _ics(body, "my-meetings.ics", private=True)


def _members() -> MemberRepository:
    from shared.aws import client

    table = meetings_env().members_table
    assert table is not None
    return MemberRepository(client("dynamodb"), table)


# --- a member's calendar link (from their preferences page) --------------------------------------


def _member_from_preferences(token: str) -> Any:
    now = clock.utc_now()
    claims = tokens.verify(token, member_links.PREFERENCES, [keys().token], now)
    member = _members().get(claims.subject, now)
    if (
        member is None
        or member.status is not MemberStatus.ACTIVE
        or not sent_to_current_address(claims.nonce, member.lookup_id)
    ):
        raise BadLink
    return member


def _calendar_page(token: str, status: int = 200, done: str | None = None) -> Response[str]:
    member = _member_from_preferences(token)
    feed_token = repo().feed_token_of(member.id)
    base = settings().base_url
    return page(
        status,
        "meetings_calendar",
        **pages.page_context(meetings_env()),
        title="Your meetings in your calendar",
        feed_url=links.feed_url(base, feed_token) if feed_token else None,
        public_url=f"{base}/meetings.ics",
        action=f"{base}/meetings/calendar?token={token}",
        preferences_url=f"{base}/members/preferences?token={token}",
        done=done,
    )


@app.get(
    "/meetings/calendar",
    summary="A member's private calendar link: see it, make one, or turn it off (from their "
    "preferences page)",
    responses={200: HTML_PAGE, 400: html_page("The link does not work")},
)
def calendar_page(token: Token = "") -> Response[str]:
    return _calendar_page(token)


class CalendarForm(FormModel):
    action: Literal["make", "stop"]
    messages: ClassVar[dict[str, str]] = {"action": "Use the page's buttons"}


@app.post(
    "/meetings/calendar",
    summary="Make (or replace) a member's private calendar link, or turn it off",
    responses={200: HTML_PAGE, 400: html_page("The link does not work")},
)
def calendar_change(form: Annotated[CalendarForm, Body()], token: Token = "") -> Response[str]:
    member = _member_from_preferences(token)
    now = clock.utc_now()
    if form.action == "make":
        repo().set_feed(member.id, links.new_feed_token(), now)
    else:
        repo().set_feed(member.id, None, now)
    logger.info("private calendar link changed", extra={"member_id": member.id, "action": form.action})
    return _calendar_page(token, done=form.action)


# --- apologies (from a reminder's link) ----------------------------------------------------------


def _apology(token: str) -> tuple[str, Meeting]:
    now = clock.utc_now()
    claims = tokens.verify(token, links.APOLOGIES, [keys().token], now)
    try:
        meeting = repo().get(claims.nonce)
    except MeetingNotFound:
        raise BadLink from None
    if _members().get(claims.subject, now) is None:  # erased since: nothing of theirs is written again
        raise BadLink
    return claims.subject, meeting


def _apologies_page(token: str, status: int = 200, done: bool = False) -> Response[str]:
    member_id, meeting = _apology(token)
    record = repo().person(meeting.id, member_id) or {}
    base = settings().base_url
    return page(
        status,
        "meetings_apologies",
        **pages.page_context(meetings_env()),
        title="Send your apologies" if record.get("response") != "apologies" else "Your apologies are noted",
        meeting=meeting,
        when=meeting_when(meeting.starts_at, meeting.ends_at, settings().time_zone),
        sent=record.get("response") == "apologies",
        cancelled=meeting.status is MeetingStatus.CANCELLED,
        past=meeting.ends_at < clock.iso(clock.utc_now()),
        action=f"{base}/meetings/apologies?token={token}",
        done=done,
    )


@app.get(
    "/meetings/apologies",
    summary="The page a reminder's apologies link opens: one button (a GET records nothing)",
    responses={200: HTML_PAGE, 400: html_page("The link does not work")},
)
def apologies_page(token: Token = "") -> Response[str]:
    return _apologies_page(token)


class ApologiesForm(FormModel):
    action: Literal["send", "withdraw"] = "send"
    messages: ClassVar[dict[str, str]] = {"action": "Use the page's buttons"}


@app.post(
    "/meetings/apologies",
    summary="Send apologies for a meeting (or take them back): the page's button",
    responses={200: HTML_PAGE, 400: html_page("The link does not work")},
)
def apologies(form: Annotated[ApologiesForm, Body()], token: Token = "") -> Response[str]:
    member_id, meeting = _apology(token)
    now = clock.utc_now()
    if meeting.status is MeetingStatus.SCHEDULED and meeting.ends_at >= clock.iso(now):
        response = Attendance.APOLOGIES if form.action == "send" else None
        expires = expiry(meeting.ends_at, settings().retention_days)
        repo().record_response(meeting.id, member_id, response, "response", now, expires)
        audit().record(
            actor="member",
            action="meeting.apologies" if response else "meeting.apologies_withdrawn",
            target=f"MEETING#{meeting.id}",
            now=now,
        )
        metrics.add_metric(name="Apologies", unit="Count", value=1 if response else -1)
    return _apologies_page(token, done=True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
