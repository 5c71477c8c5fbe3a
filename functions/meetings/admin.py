"""Administrators' meeting routes: meetings and series, changes and cancellations, attendance for the
minutes, report-backs, and announcements (`shared.meetings.service.MeetingAdmin`).

API Gateway's JWT authorizer guards `/admin/*`; `HttpApi(group=ADMIN_GROUP)` checks the admins group
again before the request is parsed, and names each bad field in the body model's own words.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.meetings.services import admin, bounced
from shared import clock
from shared.api import HttpApi, actor, made_once
from shared.errors import DamagedRecord
from shared.groups import GroupNotFound
from shared.meetings.models import (
    Announcement,
    AnnouncementInput,
    AttendanceInput,
    CancelInput,
    Meeting,
    MeetingInput,
    MeetingPatch,
    SeriesInput,
)
from shared.meetings.repository import MeetingCancelled, MeetingChanged, MeetingNotFound
from shared.meetings.service import BadTime, SeriesTooLong, UnknownGroup
from shared.model import Model
from shared.observability import logger, metrics
from shared.web import ADMIN_GROUP, error_response, json_response, refusals

app = HttpApi(group=ADMIN_GROUP)
MeetingId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f-]{36}$")]
GroupId = Annotated[str, Path(max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")]
COMMON = {401: error_response("No token"), 403: error_response("Not an administrator")}
FOUND = {**refusals(MeetingNotFound), **COMMON}


class Meetings(Model):
    items: list[Meeting]


class AnnouncementSent(Announcement):
    bounced: int = Field(
        0, description="addresses that bounced for good or complained after it (they get no more email)"
    )


class Announcements(Model):
    items: list[AnnouncementSent]


class AttendanceRow(Model):
    member_id: str
    name: str | None
    told_at: str | None
    apologies: bool
    attendance: str | None
    reachable_by_email: bool
    email_bounces: bool = Field(
        default=False, description="Emails to them bounce for good: phone them or post a letter"
    )


class AttendanceList(Model):
    meeting: Meeting
    people: list[AttendanceRow]


def _created(model: Model) -> Response[Any]:
    return Response(201, "application/json", model.model_dump_json())


@app.get(
    "/admin/meetings",
    summary="Meetings from 60 days ago on, soonest first",
    responses={200: json_response("Meetings", Meetings), **COMMON},
)
def list_meetings() -> Meetings:
    return Meetings(items=admin().meetings(clock.utc_now()))


@app.post(
    "/admin/meetings",
    summary="Create a meeting (`starts_at` without an offset is London time)",
    status_code=201,
    responses={
        201: json_response("The meeting", Meeting),
        400: error_response("Bad input"),
        **refusals(BadTime, UnknownGroup),
        **COMMON,
    },
)
def create_meeting(data: Annotated[MeetingInput, Body()]) -> Response[Any]:
    return _created(admin().create(data, actor(app), clock.utc_now(), made_once(app)))


@app.post(
    "/admin/meetings/series",
    summary="Create a plenary series: one meeting per occurrence of the rule, each moved or cancelled alone",
    status_code=201,
    responses={
        201: json_response("The meetings made", Meetings),
        400: error_response("Bad input"),
        **refusals(BadTime, SeriesTooLong, UnknownGroup),
        **COMMON,
    },
)
def create_series(data: Annotated[SeriesInput, Body()]) -> Response[Any]:
    return _created(Meetings(items=admin().create_series(data, actor(app), clock.utc_now(), made_once(app))))


@app.get(
    "/admin/meetings/<id>",
    summary="One meeting",
    responses={200: json_response("The meeting", Meeting), **refusals(DamagedRecord), **FOUND},
)
def get_meeting(id: MeetingId) -> Meeting:
    return admin().get(id)


@app.patch(
    "/admin/meetings/<id>",
    summary="Change a meeting: a new time, place or link is sent to everyone already told, once the "
    "quick edits settle",
    responses={
        200: json_response("The meeting", Meeting),
        400: error_response("Bad input"),
        **refusals(MeetingChanged, MeetingCancelled, BadTime, UnknownGroup),
        **FOUND,
    },
)
def update_meeting(id: MeetingId, patch: Annotated[MeetingPatch, Body()]) -> Meeting:
    return admin().update(id, patch, actor(app), clock.utc_now())


@app.post(
    "/admin/meetings/<id>/cancel",
    summary="Cancel a meeting: everyone already told gets the cancellation at once",
    responses={200: json_response("The meeting", Meeting), **refusals(MeetingChanged), **FOUND},
)
def cancel_meeting(id: MeetingId, data: Annotated[CancelInput | None, Body()] = None) -> Meeting:
    return admin().cancel(id, data or CancelInput(), actor(app), clock.utc_now())


@app.get(
    "/admin/meetings/<id>/attendance",
    summary="The attendance section of the minutes: who was invited, sent apologies, came, or could "
    "not be emailed",
    responses={200: json_response("The list", AttendanceList), **FOUND},
)
def attendance(id: MeetingId) -> AttendanceList:
    sheet = admin().attendance(id, clock.utc_now())
    return AttendanceList(
        meeting=sheet.meeting,
        people=[
            AttendanceRow(
                member_id=row["member"].id if row.get("member") else str(row.get("member_id")),
                name=row["member"].name if row.get("member") else None,
                told_at=row.get("told_at"),
                apologies=row.get("response") == "apologies",
                attendance=row.get("attendance"),
                reachable_by_email=bool(row.get("reachable")),
                email_bounces=bool(row.get("bounced")),
            )
            for row in sheet.rows
        ],
    )


@app.post(
    "/admin/meetings/<id>/attendance",
    summary="Record who came (present, remote, apologies, absent), for the minutes",
    responses={200: json_response("The list", AttendanceList), 400: error_response("Bad input"), **FOUND},
)
def mark_attendance(id: MeetingId, data: Annotated[AttendanceInput, Body()]) -> AttendanceList:
    admin().mark_attendance(id, dict(data.marks), actor(app), clock.utc_now())
    return attendance(id)


class Received(Model):
    received: bool


@app.post(
    "/admin/meetings/<id>/report-backs/<group>",
    summary="Mark a working group's report-back for this plenary as received",
    responses={200: json_response("Marked", Received), **refusals(MeetingNotFound, GroupNotFound), **COMMON},
)
def report_back_received(id: MeetingId, group: GroupId) -> Received:
    admin().mark_report_back(id, group, actor(app), clock.utc_now())
    return Received(received=True)


@app.get(
    "/admin/announcements",
    summary="Announcements, newest first, with how many they went to",
    responses={200: json_response("Announcements", Announcements), **COMMON},
)
def list_announcements() -> Announcements:
    return Announcements(
        items=[
            AnnouncementSent(**a.model_dump(), bounced=0 if a.status == "scheduled" else bounced(a.id))
            for a in admin().announcements()
        ]
    )


@app.post(
    "/admin/announcements",
    summary="Email news to members (now, or at `send_at`, London time)",
    status_code=201,
    responses={
        201: json_response("The announcement", Announcement),
        400: error_response("Bad input"),
        **refusals(BadTime, UnknownGroup),
        **COMMON,
    },
)
def announce(data: Annotated[AnnouncementInput, Body()]) -> Response[Any]:
    return _created(admin().announce(data, actor(app), clock.utc_now(), made_once(app)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
