"""The console's announcements: write news, preview it, send it now or at a set time, see how many
it went to (and how many were suppressed or have no email), and print letters for members without
email."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.meetings.services import admin, bounced, repo
from shared import clock
from shared.api import actor, made_once
from shared.console.app import ConsoleRouter
from shared.forms import on_boxes
from shared.meetings.models import AnnouncementInput
from shared.meetings.repository import AnnouncementNotFound
from shared.meetings.times import local
from shared.members.models import ROLE_LABELS, Role
from shared.web import html_page

router = ConsoleRouter()
ANNOUNCEMENT_ID = re.compile(r"^[0-9a-f-]{36}$")
NOTICES = {
    "sending": "The announcement is being sent now.",
    "scheduled": "The announcement will be sent at the time you chose.",
}


def _data(values: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: values[k] for k in ("subject", "body", "send_at") if values.get(k)}
    kind = values.get("audience_type", "newsletters")
    data["audience"] = {"type": kind}
    if kind == "roles":
        data["audience"]["roles"] = roles
    if kind == "working_group":
        data["audience"]["id"] = values.get("audience_group") or None
    return data


def _form(status: int, values: dict[str, Any], errors: dict[str, str], preview: Any = None) -> Response[str]:
    shown = on_boxes(errors, {"audience": "audience_type"})
    listed = admin().announcements()
    return router.page(
        "meetings/announcements",
        title="Announcements",
        status=status,
        values=values,
        errors=shown,
        preview=preview,
        roles=[(r.value, label) for r, label in ROLE_LABELS.items() if r is not Role.NOT_STATED],
        groups=[g for g in admin().groups() if g.status.value == "open"],
        announcements=listed,
        bounced={a.id: bounced(a.id) for a in listed if a.status != "scheduled"},
        notice=router.notice(NOTICES),
        local=lambda moment: local(moment, admin().settings.time_zone),
    )


@router.get(
    "/console/announcements",
    summary="Announcements: write one, and see those sent",
    responses={200: html_page("The announcements")},
)
def announcements() -> Response[str]:
    return _form(200, {"audience_type": "newsletters"}, {})


@router.post(
    "/console/announcements",
    summary="Preview an announcement, or send it (now or at a set time)",
    responses={
        200: html_page("The preview"),
        303: {"description": "Sent or scheduled"},
        400: html_page("Errors"),
    },
)
def announce() -> Response[str]:
    values = router.form()
    roles = router.form_lists().get("audience_roles", [])
    shown = {**values, "audience_roles": roles}

    def act(form: AnnouncementInput) -> Response[str]:
        if values.get("step") != "send":  # first the preview, with a button that sends
            return _form(200, shown, {}, preview=form)
        made = admin().announce(form, actor(router), clock.utc_now(), made_once(router))
        return router.redirect(f"/console/announcements?done={made.status.value}")

    return router.submit(
        AnnouncementInput, _data(values, roles), lambda status, errors: _form(status, shown, errors), act
    )


@router.get(
    "/console/announcements/<id>/letters",
    summary="An announcement as letters for the members without email it was meant for (prints)",
    responses={200: html_page("The letters")},
)
def letters(id: str) -> Response[str]:
    if not ANNOUNCEMENT_ID.match(id):
        raise AnnouncementNotFound(id[:64])
    announcement = repo().announcement(id)
    from functions.meetings.services import audiences
    from shared.meetings.audience import by_post

    people = [
        m
        for m in audiences().everyone(announcement.audience, unreachable=True)
        if by_post(m) and (announcement.audience.type != "newsletters" or m.preferences.newsletters)
    ]
    return router.page(
        "meetings/announcement_letters",
        title=f"Letters: {announcement.subject}",
        announcement=announcement,
        people=people,
        today=local(clock.utc_now(), admin().settings.time_zone),
    )
