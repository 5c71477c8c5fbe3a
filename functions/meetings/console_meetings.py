"""The console's meeting pages: the list and the month's calendar, a meeting (who was told, what was
sent, apologies), creating and changing a meeting or a plenary series in London time, cancelling one,
previews of its emails, the attendance for the minutes (printable), letters for members without
email (printable), and the working groups' report-backs.

Every page runs the same domain service as the JSON admin API (`shared.meetings.service`), so both
keep one audit trail, with the signed-in administrator as the actor.
"""

from __future__ import annotations

import calendar as month_grid
import re
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.meetings.services import admin, mailing_preview
from shared import clock
from shared.api import actor, made_once
from shared.console.app import ConsoleRouter
from shared.forms import on_boxes
from shared.meetings.models import (
    ATTENDANCE_LABELS,
    Attendance,
    CancelInput,
    Kind,
    Meeting,
    MeetingInput,
    MeetingPatch,
    MeetingStatus,
    SeriesInput,
)
from shared.meetings.repository import MeetingNotFound
from shared.meetings.times import local, local_input, short_when
from shared.members.models import ROLE_LABELS, Member, MemberStatus, Role
from shared.members.repository import MemberNotFound
from shared.timefmt import meeting_when
from shared.web import html_page

router = ConsoleRouter()
MEETING_ID = re.compile(r"^[0-9a-f-]{36}$")
MONTH = re.compile(r"^20[0-9]{2}-(0[1-9]|1[0-2])$")
NOTICES = {
    "created": "The meeting was created. Its reminders will go out on time.",
    "series": "The meetings were created, one for each date.",
    "saved": "The changes were saved. Everyone already told will get one update once you stop editing.",
    "unchanged": "Nothing was changed.",
    "cancelled": "The meeting was cancelled. Everyone already told is being sent the cancellation now.",
    "attendance": "The attendance was saved.",
    "received": "The report was marked as received.",
    "feed_stopped": "The feed was stopped. Their calendar app will show no more meetings from it.",
    "no_feed": "They had no private calendar feed, so there was nothing to stop.",
}
# what a notice about a member's feed may say, by whether they have one now (a stale or copied
# address never says "stopped" beside a feed that is live)
FEED_NOTICES = {True: (), False: ("feed_stopped", "no_feed")}
FORM_FIELDS = ("title", "starts_at", "duration_minutes", "online_link", "agenda", "note")


def _id(value: str) -> str:
    if not MEETING_ID.match(value):
        raise MeetingNotFound(value[:64])
    return value


def _tz() -> str:
    return admin().settings.time_zone


def _when(meeting: Meeting) -> str:
    return meeting_when(meeting.starts_at, meeting.ends_at, _tz())


def _roles() -> list[tuple[str, str]]:
    return [(r.value, label) for r, label in ROLE_LABELS.items() if r is not Role.NOT_STATED]


def _form_data(values: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """The flat form as the model's shape (a location and an audience inside)."""
    data: dict[str, Any] = {k: values[k] for k in (*FORM_FIELDS, "kind") if values.get(k, "") != ""}
    data["location"] = {
        "name": values.get("location_name", ""),
        "address": values.get("location_address", ""),
        "accessibility": values.get("location_accessibility") or None,
    }
    kind = values.get("audience_type", "all")
    data["audience"] = {"type": kind}
    if kind == "roles":
        data["audience"]["roles"] = roles
    if kind == "working_group":
        data["audience"]["id"] = values.get("audience_group") or None
    return data


def _values_of(meeting: Meeting) -> dict[str, Any]:
    return {
        "kind": meeting.kind.value,
        "title": meeting.title,
        "starts_at": local_input(meeting.starts_at, _tz()),
        "duration_minutes": str(meeting.duration_minutes),
        "online_link": meeting.online_link or "",
        "agenda": meeting.agenda or "",
        "note": meeting.note or "",
        "location_name": meeting.location.name,
        "location_address": meeting.location.address,
        "location_accessibility": meeting.location.accessibility or "",
        "audience_type": meeting.audience.type,
        "audience_roles": [r.value for r in meeting.audience.roles],
        "audience_group": meeting.audience.id or "",
    }


BOXES = {  # a field of the place, the audience or the rule, beside the form's own box
    "location": "location_name",
    "location.name": "location_name",
    "location.address": "location_address",
    "location.accessibility": "location_accessibility",
    "audience": "audience_type",
    "rule": "rule",
    "rule.time": "time",
    "rule.first_month": "first_month",
    "rule.until": "until",
}


def _errors(errors: dict[str, str]) -> dict[str, str]:
    return on_boxes(errors, BOXES)


# --- the list and the calendar -------------------------------------------------------------------


@router.get(
    "/console/meetings",
    summary="Meetings: what needs attention, the coming and recent meetings, and a month's calendar",
    responses={200: html_page("The meetings")},
)
def meetings() -> Response[str]:
    now = clock.utc_now()
    tz = _tz()
    month = router.query("month") or local(now, tz).strftime("%Y-%m")
    if not MONTH.match(month):
        month = local(now, tz).strftime("%Y-%m")
    found = admin().meetings(now, past_days=400, ahead_days=400)
    upcoming = [m for m in found if m.ends_at >= clock.iso(now)]
    recent = [m for m in found if m.ends_at < clock.iso(now)][-10:][::-1]
    attention = []
    for meeting in upcoming:
        if meeting.status is MeetingStatus.SCHEDULED and local(meeting.starts_at, tz) - local(
            now, tz
        ) < timedelta(days=21):
            _, without = admin().letters(meeting.id)
            if without:
                attention.append(
                    (meeting, f"{len(without)} invited cannot be emailed: phone them or post a letter")
                )
    year, number = (int(part) for part in month.split("-"))
    by_day: dict[int, list[Meeting]] = {}
    for meeting in found:
        start = local(meeting.starts_at, tz)
        if start.year == year and start.month == number:
            by_day.setdefault(start.day, []).append(meeting)
    previous = f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
    following = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return router.page(
        "meetings/list",
        title="Meetings",
        upcoming=upcoming,
        recent=recent,
        attention=attention,
        when=_when,
        short=lambda m: short_when(m.starts_at, tz),
        notice=router.notice(NOTICES),
        weeks=month_grid.Calendar().monthdayscalendar(year, number),
        by_day=by_day,
        month=month,
        month_name=datetime(year, number, 1).strftime("%B %Y"),
        previous=previous,
        following=following,
    )


# --- making and changing ---------------------------------------------------------------------


def _meeting_form(
    status: int, values: dict[str, Any], errors: dict[str, str], meeting: Meeting | None = None
) -> Response[str]:
    return router.page(
        "meetings/form",
        title="Change the meeting" if meeting else "New meeting",
        status=status,
        meeting=meeting,
        values=values,
        errors=_errors(errors),
        roles=_roles(),
        groups=[g for g in admin().groups() if g.status.value == "open"],
    )


@router.get(
    "/console/meetings/new", summary="The form for a new meeting", responses={200: html_page("The form")}
)
def new_meeting() -> Response[str]:
    return _meeting_form(200, {"kind": "plenary", "duration_minutes": "90", "audience_type": "all"}, {})


@router.post(
    "/console/meetings/new",
    summary="Create a meeting",
    responses={303: {"description": "Created"}, 400: html_page("The form, with errors")},
)
def create_meeting() -> Response[str]:
    values = router.form()
    roles = router.form_lists().get("audience_roles", [])
    data = _form_data(values, roles)

    def create(form: MeetingInput) -> Response[str]:
        meeting = admin().create(form, actor(router), clock.utc_now(), made_once(router))
        return router.redirect(f"/console/meetings/{meeting.id}?done=created")

    return router.submit(
        MeetingInput,
        data,
        lambda status, errors: _meeting_form(status, {**values, "audience_roles": roles}, errors),
        create,
    )


def _series_form(status: int, values: dict[str, Any], errors: dict[str, str]) -> Response[str]:
    return router.page(
        "meetings/series",
        title="New series of plenary meetings",
        status=status,
        values=values,
        errors=_errors(errors),
    )


@router.get(
    "/console/meetings/series",
    summary="The form for a series of plenary meetings",
    responses={200: html_page("The form")},
)
def new_series() -> Response[str]:
    today = local(clock.utc_now(), _tz())
    return _series_form(
        200,
        {
            "every_months": "2",
            "nth": "2",
            "weekday": "TU",
            "time": "12:30",
            "duration_minutes": "90",
            "title": "Plenary meeting",
            "first_month": today.strftime("%Y-%m"),
            "until": f"{today.year}-12-31",
        },
        {},
    )


@router.post(
    "/console/meetings/series",
    summary="Create a series of plenary meetings: one meeting per date",
    responses={303: {"description": "Created"}, 400: html_page("The form, with errors")},
)
def create_series() -> Response[str]:
    values = router.form()
    data = _form_data(values, [])
    data.pop("kind", None)
    data.pop("starts_at", None)
    data.pop("note", None)
    data["rule"] = {
        k: values.get(k, "") for k in ("every_months", "weekday", "nth", "time", "first_month", "until")
    }

    def create(form: SeriesInput) -> Response[str]:
        admin().create_series(form, actor(router), clock.utc_now(), made_once(router))
        return router.redirect("/console/meetings?done=series")

    return router.submit(
        SeriesInput, data, lambda status, errors: _series_form(status, values, errors), create
    )


@router.get(
    "/console/meetings/<id>",
    summary="A meeting: its details, who was told, and what to do next",
    responses={200: html_page("The meeting")},
)
def meeting(id: str) -> Response[str]:
    meeting_id = _id(id)
    now = clock.utc_now()
    sheet = admin().attendance(meeting_id, now)
    told = [row for row in sheet.rows if row.get("told_at")]
    return router.page(
        "meetings/meeting",
        title=sheet.meeting.title,
        meeting=sheet.meeting,
        when=_when(sheet.meeting),
        notice=router.notice(NOTICES),
        told=told,
        apologies=[row for row in sheet.rows if row.get("response") == "apologies"],
        invited=len(sheet.rows),
        without_email=[row for row in sheet.rows if row.get("member") and not row["member"].email],
        report_backs=admin().report_backs(meeting_id) if sheet.meeting.kind is Kind.PLENARY else [],
        past=sheet.meeting.ends_at < clock.iso(now),
        offsets=admin().settings.offsets,
        audience_words=_audience_words(sheet.meeting),
    )


def _sample_member() -> Member:
    """Who a preview is addressed to: a made-up member, so no real person's data is shown."""
    return Member(
        id="00000000-0000-4000-8000-000000000000",
        name="A member",
        email="a.member@example.org",
        role=Role.OBSERVER,
        status=MemberStatus.ACTIVE,
        created_at=clock.iso(clock.utc_now()),
        lookup_id="preview",
    )


def _audience_words(meeting: Meeting) -> str:
    audience = meeting.audience
    if audience.type == "all":
        return "Every member"
    if audience.type == "roles":
        return "Members who are: " + ", ".join(ROLE_LABELS[r] for r in audience.roles)
    name = next((g.name for g in admin().groups() if g.id == audience.id), audience.id)
    return f"The members of {name}"


@router.get(
    "/console/meetings/<id>/edit",
    summary="The form to change a meeting",
    responses={200: html_page("The form")},
)
def edit_meeting(id: str) -> Response[str]:
    found = admin().get(_id(id))
    return _meeting_form(200, _values_of(found), {}, found)


@router.post(
    "/console/meetings/<id>/edit",
    summary="Change a meeting (only what changed is saved, audited and sent)",
    responses={303: {"description": "Saved"}, 400: html_page("The form, with errors")},
)
def save_meeting(id: str) -> Response[str]:
    meeting_id = _id(id)
    current = admin().get(meeting_id)
    values = router.form()
    roles = router.form_lists().get("audience_roles", [])
    wanted = _form_data(values, roles)
    wanted.pop("kind", None)
    before = _form_data(_values_of(current), [r.value for r in current.audience.roles])
    changes = {k: val for k, val in wanted.items() if before.get(k) != val}
    for field in ("online_link", "agenda", "note"):
        if field not in wanted and before.get(field):
            changes[field] = ""  # an emptied box clears it

    def save(patch: MeetingPatch) -> Response[str]:
        if not patch.given():
            return router.redirect(f"/console/meetings/{meeting_id}?done=unchanged")
        admin().update(meeting_id, patch, actor(router), clock.utc_now())
        return router.redirect(f"/console/meetings/{meeting_id}?done=saved")

    return router.submit(
        MeetingPatch,
        changes,
        lambda status, errors: _meeting_form(status, {**values, "audience_roles": roles}, errors, current),
        save,
    )


@router.get(
    "/console/meetings/<id>/cancel",
    summary="Cancel a meeting? (a page that asks first)",
    responses={200: html_page("The question")},
)
def cancel_question(id: str) -> Response[str]:
    found = admin().get(_id(id))
    return router.page(
        "meetings/cancel", title=f"Cancel {found.title}?", meeting=found, when=_when(found), errors={}
    )


@router.post(
    "/console/meetings/<id>/cancel", summary="Cancel a meeting", responses={303: {"description": "Cancelled"}}
)
def cancel(id: str) -> Response[str]:
    meeting_id = _id(id)
    found = admin().get(meeting_id)

    def act(data: CancelInput) -> Response[str]:
        admin().cancel(meeting_id, data, actor(router), clock.utc_now())
        return router.redirect(f"/console/meetings/{meeting_id}?done=cancelled")

    return router.submit(
        CancelInput,
        {"reason": router.form().get("reason") or None},
        lambda status, errors: router.page(
            "meetings/cancel",
            title=f"Cancel {found.title}?",
            status=status,
            meeting=found,
            when=_when(found),
            errors=errors,
        ),
        act,
    )


@router.get(
    "/console/meetings/<id>/preview",
    summary="What the reminder, update or cancellation email of this meeting says, before it goes",
    responses={200: html_page("The email")},
)
def preview(id: str) -> Response[str]:
    found = admin().get(_id(id))
    which = router.query("email") or "reminder"
    if which not in ("reminder", "update", "cancelled"):
        which = "reminder"
    shown = found
    if which == "cancelled" and found.status is not MeetingStatus.CANCELLED:
        shown = Meeting.model_validate(
            {**found.model_dump(), "status": MeetingStatus.CANCELLED, "sequence": found.sequence + 1}
        )
    extra: dict[str, Any] = {"days": min(admin().settings.offsets)}
    if which == "update":
        from shared.meetings import mailing

        before = found.pending_change.before if found.pending_change else found.calendar_view()
        extra = {
            "changes": mailing.describe_changes(before, found, _tz())
            or [{"what": "Nothing yet", "before": "–", "after": "–"}]
        }
    email = mailing_preview().compose(shown, which, _sample_member(), clock.utc_now(), **extra)
    return router.page(
        "meetings/preview",
        title=f"Preview: {email.content.subject}",
        meeting=found,
        which=which,
        subject=email.content.subject,
        text=email.content.text,
        method=email.calendar.method if email.calendar else None,
    )


# --- the minutes -----------------------------------------------------------------------------


@router.get(
    "/console/meetings/<id>/attendance",
    summary="The attendance for the minutes: who was invited, sent apologies, came, or could not be "
    "emailed (prints)",
    responses={200: html_page("The attendance")},
)
def attendance(id: str) -> Response[str]:
    sheet = admin().attendance(_id(id), clock.utc_now())
    return router.page(
        "meetings/attendance",
        title=f"Attendance: {sheet.meeting.title}",
        meeting=sheet.meeting,
        when=_when(sheet.meeting),
        rows=sheet.rows,
        labels={a.value: label for a, label in ATTENDANCE_LABELS.items()},
        notice=router.notice(NOTICES),
    )


@router.post(
    "/console/meetings/<id>/attendance", summary="Record who came", responses={303: {"description": "Saved"}}
)
def mark_attendance(id: str) -> Response[str]:
    meeting_id = _id(id)
    marks: dict[str, Attendance | None] = {}
    for name, value in router.form().items():
        if name.startswith("mark-") and MEETING_ID.match(name[5:]):
            marks[name[5:]] = Attendance(value) if value in {a.value for a in Attendance} else None
    admin().mark_attendance(meeting_id, marks, actor(router), clock.utc_now())
    return router.redirect(f"/console/meetings/{meeting_id}/attendance?done=attendance")


@router.get(
    "/console/meetings/<id>/letters",
    summary="Letters for the invited members without email, to print and post (A4, large print)",
    responses={200: html_page("The letters")},
)
def letters(id: str) -> Response[str]:
    found, people = admin().letters(_id(id))
    return router.page(
        "meetings/letters",
        title=f"Letters: {found.title}",
        meeting=found,
        when=_when(found),
        people=people,
        today=local(clock.utc_now(), _tz()),
    )


@router.post(
    "/console/meetings/<id>/report-backs/<group>",
    summary="Mark a working group's report-back as received",
    responses={303: {"description": "Marked"}},
)
def report_back(id: str, group: str) -> Response[str]:
    meeting_id = _id(id)
    admin().mark_report_back(meeting_id, group[:60], actor(router), clock.utc_now())
    return router.redirect(f"/console/meetings/{meeting_id}?done=received")


@router.get(
    "/console/meetings/feeds/<member_id>",
    summary="A member's private calendar feed: whether they have one, and a button to stop it",
    responses={200: html_page("The feed")},
)
def calendar_feed(member_id: str) -> Response[str]:
    found, has_feed = _feed(member_id)
    return router.page(
        "meetings/feed",
        title="Private calendar feed",
        member=found,
        has_feed=has_feed,
        notice=router.notice(NOTICES, only=FEED_NOTICES[has_feed]),
    )


@router.post(
    "/console/meetings/feeds/<member_id>",
    summary="Stop a member's private calendar feed (for one who cannot reach their preferences page)",
    responses={303: {"description": "Stopped"}},
)
def stop_calendar_feed(member_id: str) -> Response[str]:
    found, _ = _feed(member_id)
    stopped = admin().stop_feed(found.id, actor(router), clock.utc_now())
    return router.redirect(
        f"/console/meetings/feeds/{found.id}?done={'feed_stopped' if stopped else 'no_feed'}"
    )


def _feed(member_id: str) -> tuple[Member, bool]:
    """The member and whether they have a feed; a page about anyone else is a 404."""
    found, has_feed = (
        admin().feed_of(member_id, clock.utc_now()) if MEETING_ID.match(member_id) else (None, False)
    )
    if found is None:
        raise MemberNotFound(member_id[:64])
    return found, has_feed
