"""What a member does from the links in our emails: preferences, one-click unsubscribe (RFC 8058),
a copy of their data, and erasure."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from functions.members.env import members_env
from functions.members.pages import message_page, page_context
from functions.members.services import membership, self_service
from shared import clock
from shared.forms import FormModel
from shared.members.groups import WorkingGroup
from shared.members.models import Member, MemberStatus, PreferencesForm
from shared.members.retention import BACKUP_DAYS
from shared.members.service import LinkNoLongerValid
from shared.web import HTML_PAGE, html_page, json_body, page

router = Router()
Token = Annotated[str, Query(max_length=512, description="The signed token from the email link")]
LINK_PROBLEM = html_page("Expired or forged link, with how to get a new one")


class DataRequest(FormModel):
    kind: Literal["export", "erase"]


def _url(path: str, token: str) -> str:
    return f"{members_env().base_url}{path}?token={token}"


def _preferences_page(
    status: int, member: Member, groups: list[WorkingGroup], token: str, saved: bool
) -> Response[str]:
    now = clock.utc_now()
    links = membership().links
    return page(
        status,
        "preferences",
        **page_context(),
        title="Your preferences",
        member=member,
        active=member.status is MemberStatus.ACTIVE,
        groups=groups,
        action=_url("/members/preferences", token),
        data_action=_url("/members/data-requests", token),
        unsubscribe_url=links.unsubscribe(member.id, now),
        signup_url=links.signup(),
        saved=saved,
    )


@router.get(
    "/members/preferences", summary="See your preferences", responses={200: HTML_PAGE, 400: LINK_PROBLEM}
)
def show_preferences(token: Token = "") -> Response[str]:
    member, groups = self_service().preferences(token, clock.utc_now())
    return _preferences_page(200, member, groups, token, saved=False)


@router.post(
    "/members/preferences",
    summary="Change your preferences",
    responses={
        200: HTML_PAGE,
        400: LINK_PROBLEM,
        409: html_page("Not receiving emails (unsubscribed or suppressed): nothing changed"),
    },
)
def save_preferences(form: Annotated[PreferencesForm, Body()], token: Token = "") -> Response[str]:
    member, groups = self_service().save_preferences(token, form, clock.utc_now())
    return _preferences_page(200, member, groups, token, saved=True)


@router.get(
    "/members/unsubscribe",
    summary="A page with an unsubscribe button (link scanners do not unsubscribe)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM},
)
def unsubscribe_page(token: Token = "") -> Response[str]:
    done = self_service().already_unsubscribed(token, clock.utc_now())
    return page(
        200,
        "unsubscribe",
        **page_context(),
        title="Stop emails",
        done=done,
        action=_url("/members/unsubscribe", token),
        signup_url=membership().links.signup(),
    )


@router.post(
    "/members/unsubscribe",
    summary="Unsubscribe at once (RFC 8058 one-click: List-Unsubscribe=One-Click)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM},
)
def unsubscribe(token: Token = "") -> Response[str]:
    self_service().unsubscribe(token, clock.utc_now())
    return page(
        200,
        "unsubscribe",
        **page_context(),
        title="You have unsubscribed",
        done=True,
        action=None,
        signup_url=membership().links.signup(),
    )


@router.post(
    "/members/data-requests",
    summary="Ask for a copy of your data, or for erasure, by email",
    status_code=202,
    responses={202: HTML_PAGE, 400: LINK_PROBLEM},
)
def data_request(form: Annotated[DataRequest, Body()], token: Token = "") -> Response[str]:
    self_service().request_link(token, form.kind, clock.utc_now())
    what = (
        "download a copy of your data"
        if form.kind == "export"
        else "confirm that we should delete your details"
    )
    return message_page(
        202,
        "Check your email",
        [
            f"We have emailed you a link to {what}. It works for 24 hours.",
            "If nothing arrives within a few minutes, check your junk or spam folder.",
        ],
    )


@router.get(
    "/members/export",
    summary="Download everything held about you (JSON)",
    responses={
        200: {
            "description": "Every item held about the member",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        400: LINK_PROBLEM,
    },
)
def export(token: Token = "") -> Response[Any]:
    data = self_service().export(token, clock.utc_now())
    response = json_body(200, data)
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@router.get(
    "/members/erase", summary="A page to confirm erasure", responses={200: HTML_PAGE, 400: LINK_PROBLEM}
)
def erase_page(token: Token = "") -> Response[str]:
    self_service().check_erase_link(token, clock.utc_now())
    return page(
        200,
        "erase",
        **page_context(),
        title="Delete your details",
        done=False,
        action=_url("/members/erase", token),
        backup_days=BACKUP_DAYS,
    )


@router.post(
    "/members/erase", summary="Erase everything held about you", responses={200: HTML_PAGE, 400: LINK_PROBLEM}
)
def erase(token: Token = "") -> Response[str]:
    # a genuine link whose member is gone was used already (a double click): they are erased
    with contextlib.suppress(LinkNoLongerValid):
        self_service().erase(token, clock.utc_now())
    return page(
        200,
        "erase",
        **page_context(),
        title="Your details have been deleted",
        done=True,
        action=None,
        backup_days=BACKUP_DAYS,
    )
