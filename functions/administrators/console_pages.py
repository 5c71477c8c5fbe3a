"""Administrators: who they are, inviting one, removing one, resetting two-step sign-in."""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import Response

from functions.administrators.services import administrators
from shared import clock
from shared.administrators.service import AdministratorNotFound, Invitation
from shared.api import actor
from shared.console.app import ConsoleRouter, administrators_named
from shared.web import html_page

router = ConsoleRouter()
SUB = re.compile(r"^[0-9a-f-]{36}$")
NOTICES = {
    "invited": "The invitation was sent. They get an email from Amazon Cognito with a temporary password, "
    "then set a password of their own and an authenticator app when they first sign in.",
    "removed": "They are no longer an administrator, and were signed out.",
    "reset": "Their two-step sign-in was reset. When they next sign in, they set up their authenticator "
    "app again.",
}
ACTIONS = {
    "remove": ("Remove this administrator?", "Remove them"),
    "reset": ("Reset their two-step sign-in?", "Reset it"),
}


def _sub(value: str) -> str:
    if not SUB.match(value):
        raise AdministratorNotFound(value[:40])
    return value


@router.get(
    "/console/administrators",
    summary="The administrators: who they are, and whether their two-step sign-in is set up",
    responses={200: html_page("The list")},
)
def listing() -> Response[str]:
    return router.page(
        "administrators/list",
        title="Administrators",
        people=administrators().all(),
        me=router.admin.sub if router.admin else "",
        notice=router.notice(NOTICES),
    )


def _invite_form(status: int, values: dict[str, str], errors: dict[str, str]) -> Response[str]:
    return router.page(
        "administrators/invite", title="Invite an administrator", status=status, values=values, errors=errors
    )


@router.get(
    "/console/administrators/invite",
    summary="Invite an administrator: the form",
    responses={200: html_page("The form")},
)
def invite_form() -> Response[str]:
    return _invite_form(200, {}, {})


@router.post(
    "/console/administrators/invite",
    summary="Invite an administrator (Cognito emails them a temporary password)",
    responses={303: {"description": "Back to the list"}, 400: html_page("The form, with errors")},
)
def invite() -> Response[str]:
    values = router.form()

    def send(form: Invitation) -> Response[str]:
        now = clock.utc_now()
        invited = administrators().invite(form, actor(router), now)
        # so the audit trail names them before their first sign-in (which records it again)
        administrators_named().remember(invited.sub, form.name, now)
        return router.redirect("/console/administrators?done=invited")

    return router.submit(
        Invitation,
        {k: values.get(k, "") for k in ("name", "email")},
        lambda status, errors: _invite_form(status, values, errors),
        send,
    )


@router.get(
    "/console/administrators/<sub>/<what>",
    summary="Remove an administrator, or reset their two-step sign-in: the page that asks first",
    responses={200: html_page("The question"), 404: html_page("No such administrator")},
)
def confirm(sub: str, what: str) -> Response[str]:
    if what not in ACTIONS:
        raise AdministratorNotFound(what[:20])
    person = administrators().get(_sub(sub))
    title, button = ACTIONS[what]
    return router.page(
        "administrators/confirm",
        title=title,
        person=person,
        what=what,
        button=button,
        yourself=router.admin is not None and router.admin.sub == person.sub,
    )


@router.post(
    "/console/administrators/<sub>/<what>",
    summary="Remove an administrator, or reset their two-step sign-in",
    responses={303: {"description": "Back to the list"}, 409: html_page("Not yourself, nor the last one")},
)
def act(sub: str, what: str) -> Response[str]:
    sub = _sub(sub)
    if what == "remove":
        administrators().remove(sub, actor(router), clock.utc_now())
        return router.redirect("/console/administrators?done=removed")
    if what == "reset":
        administrators().reset_two_step(sub, actor(router), clock.utc_now())
        return router.redirect("/console/administrators?done=reset")
    raise AdministratorNotFound(what[:20])
