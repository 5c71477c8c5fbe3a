"""The console's working-group pages: create, edit, close, members and their lead."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic_core import PydanticCustomError

from functions.members.services import keys, member_admin
from shared import clock
from shared.api import actor
from shared.console.app import ConsoleRouter
from shared.email.address import normalise_email
from shared.errors import DomainError
from shared.groups import GroupInput, GroupNameTaken, GroupNotFound, GroupPatch
from shared.members.models import MemberStatus, MemberSummary
from shared.members.repository import MemberNotFound
from shared.web import html_page

router = ConsoleRouter()
GROUP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
MEMBER_ID = re.compile(r"^[0-9a-f-]{36}$")
NOTICES = {
    "created": "The working group was created.",
    "saved": "The changes were saved.",
    "closed": "The working group was closed. Its members keep it in their history. You can open it again.",
    "reopened": "The working group is open again.",
    "already": "They were in this group already: nothing changed.",
    "added": "The member was added to the group.",
    "removed": "The member was removed from the group.",
    "lead": "The group's lead was changed.",
}
GROUP_FIELDS = ("name", "purpose", "meeting_place", "lead_contact")


def _group_id(value: str) -> str:
    if not GROUP_ID.match(value):
        raise GroupNotFound(value)
    return value


def _groups_page(status: int, values: dict[str, str], errors: dict[str, str]) -> Response[str]:
    return router.page(
        "groups",
        title="Working groups",
        status=status,
        groups=member_admin().groups(),
        values=values,
        errors=errors,
        notice=router.notice(NOTICES),
    )


@router.get(
    "/console/groups",
    summary="Working groups, and a form to create one",
    responses={200: html_page("The groups")},
)
def groups() -> Response[str]:
    return _groups_page(200, {}, {})


@router.post(
    "/console/groups",
    summary="Create a working group",
    responses={303: {"description": "Created"}, 400: html_page("The form, with errors")},
)
def create_group() -> Response[str]:
    values = router.form()

    def create(form: GroupInput) -> Response[str]:
        group = member_admin().create_group(form, actor(router), clock.utc_now())
        return router.redirect(f"/console/groups/{group.id}?done=created")

    return router.submit(
        GroupInput,
        {**{k: values.get(k, "") for k in GROUP_FIELDS}, "public": "public" in values},
        lambda status, errors: _groups_page(status, values, errors),
        create,
        words={
            "name": "A group with this name exists already",
            "id": "A group with this name exists already",
        },
    )


def _group_page(
    group_id: str,
    status: int,
    values: dict[str, Any] | None,
    errors: dict[str, str],
    typed: str = "",
    candidates: Sequence[MemberSummary] = (),
) -> Response[str]:
    now = clock.utc_now()
    group = member_admin().get_group(group_id)
    shown: dict[str, Any] = (
        values
        if values is not None
        else {**{k: getattr(group, k) or "" for k in GROUP_FIELDS}, "public": group.public}
    )
    members = member_admin().group_members(group_id, now)
    lead = next((m for m in members if m.id == group.lead_member_id), None)
    return router.page(
        "group",
        title=group.name,
        status=status,
        group=group,
        values=shown,
        errors=errors,
        members=members,
        lead=lead,
        typed={"email": typed},
        candidates=candidates,
        notice=router.notice(NOTICES),
    )


@router.get(
    "/console/groups/<id>",
    summary="A working group: its details, members and lead",
    responses={200: html_page("The group"), 404: html_page("No such group")},
)
def group(id: str) -> Response[str]:
    return _group_page(_group_id(id), 200, None, {})


@router.post(
    "/console/groups/<id>",
    summary="Change a working group",
    responses={303: {"description": "Saved"}, 400: html_page("The form, with errors")},
)
def update_group(id: str) -> Response[str]:
    group_id = _group_id(id)
    current = member_admin().get_group(group_id)
    values = router.form()
    changes: dict[str, Any] = {
        k: values[k] for k in GROUP_FIELDS if k in values and values[k].strip() != (getattr(current, k) or "")
    }
    if ("public" in values) != current.public:  # the box is sent only when ticked
        changes["public"] = "public" in values

    def save(patch: GroupPatch) -> Response[str]:
        if changes:
            member_admin().update_group(group_id, patch, actor(router), clock.utc_now())
        return router.redirect(f"/console/groups/{group_id}?done=saved")

    return router.submit(
        GroupPatch, changes, lambda status, errors: _group_page(group_id, status, values, errors), save
    )


@router.get(
    "/console/groups/<id>/close",
    summary="Close a working group: the page that asks first",
    responses={200: html_page("The question"), 404: html_page("No such group")},
)
def close_group_question(id: str) -> Response[str]:
    group = member_admin().get_group(_group_id(id))
    return router.page("group_close", title=f"Close {group.name}?", group=group)


@router.post(
    "/console/groups/<id>/close", summary="Close a working group", responses={303: {"description": "Closed"}}
)
def close_group(id: str) -> Response[str]:
    group_id = _group_id(id)
    member_admin().close_group(group_id, actor(router), clock.utc_now())
    return router.redirect(f"/console/groups/{group_id}?done=closed")


@router.post(
    "/console/groups/<id>/reopen",
    summary="Open a closed working group again",
    responses={303: {"description": "Open again"}, 409: html_page("An open group has its name now")},
)
def reopen_group(id: str) -> Response[str]:
    group_id = _group_id(id)
    try:
        member_admin().reopen_group(group_id, actor(router), clock.utc_now())
    except GroupNameTaken:
        group = member_admin().get_group(group_id)
        return router.page(
            "message",
            title="This group cannot be opened again yet",
            status=409,
            paragraphs=[
                f"An open group is now called {group.name}. Two open groups cannot have one name.",
                "Rename or close that group first, then open this one again.",
            ],
            link=(f"/console/groups/{group_id}", f"Back to {group.name}"),
        )
    return router.redirect(f"/console/groups/{group_id}?done=reopened")


@router.post(
    "/console/groups/<id>/members",
    summary="Add a member to a working group: by email address, by name, or the one chosen when names match",
    responses={303: {"description": "Added"}, 400: html_page("The group, with the error")},
)
def add_member(id: str) -> Response[str]:
    group_id = _group_id(id)
    now = clock.utc_now()
    chosen = router.form().get("member_id", "")
    if chosen:  # picked from the list of members whose names matched
        if not MEMBER_ID.match(chosen):
            raise MemberNotFound(chosen)
        picked = member_admin().get(chosen, now)
        if not picked.taking_part:  # a member whose emails bounce is still a member
            return _group_page(
                group_id,
                409,
                None,
                {"email": "This person is not an active member: only members can join a group"},
            )
        return _add(group_id, picked.id, picked.working_groups, now)
    address = router.form().get("email", "").strip()
    plain = unicodedata.normalize("NFKC", address)
    looks_like_an_address = "@" in plain or ("." in plain and not any(c.isspace() for c in plain))
    if address and not looks_like_an_address:  # a name: members without email are found this way
        named = (
            member_admin()
            .search(
                q=address, status=MemberStatus.ACTIVE, role=None, group=None, limit=6, cursor=None, now=now
            )
            .items
        )
        if 1 < len(named) < 6:  # a few: the Secretary picks the one they mean
            return _group_page(
                group_id,
                200,
                None,
                {},
                typed=address,
                candidates=named,
            )
        if len(named) != 1:
            problem = (
                "No active member has a name like this: check the spelling, or give their email address"
                if not named
                else "More than 5 members have a name like this: "
                "give more of the name, or their email address"
            )
            return _group_page(group_id, 400, None, {"email": problem}, typed=address)
        return _add(group_id, named[0].id, named[0].working_groups, now)
    try:
        lookup_id = keys().email_lookup_id(normalise_email(address))
    except PydanticCustomError as refused:  # an address we could never send to: says why
        return _group_page(group_id, 400, None, {"email": refused.message()})
    except ValueError:
        return _group_page(
            group_id, 400, None, {"email": "Enter the member's email address, like name@example.org"}
        )
    found = member_admin().find_by_lookup_id(lookup_id, now)
    if found is None:
        return _group_page(group_id, 400, None, {"email": "No member has this email address"})
    if not found.taking_part:
        why = {
            MemberStatus.PENDING: "has not confirmed their email address yet",
            MemberStatus.UNSUBSCRIBED: "has unsubscribed",
            MemberStatus.SUPPRESSED: "cannot be emailed at the moment (open their page to see why)",
        }.get(found.status, "is not an active member")
        return _group_page(
            group_id, 409, None, {"email": f"This person {why}: only members can join a group"}
        )
    return _add(group_id, found.id, found.working_groups, now)


def _add(group_id: str, member_id: str, groups: list[str], now: datetime) -> Response[str]:
    if group_id in groups:
        return router.redirect(f"/console/groups/{group_id}?done=already")
    try:
        member_admin().add_to_group(group_id, member_id, actor(router), now)
    except DomainError as refused:
        return _group_page(group_id, refused.status, None, {"email": refused.detail})
    return router.redirect(f"/console/groups/{group_id}?done=added")


@router.post(
    "/console/groups/<id>/members/<member_id>/remove",
    summary="Remove a member from a working group",
    responses={303: {"description": "Removed"}},
)
def remove_member(id: str, member_id: str) -> Response[str]:
    group_id = _group_id(id)
    if not MEMBER_ID.match(member_id):
        raise MemberNotFound(member_id)
    member_admin().remove_from_group(group_id, member_id, actor(router), clock.utc_now())
    return router.redirect(f"/console/groups/{group_id}?done=removed")


@router.post(
    "/console/groups/<id>/lead",
    summary="Mark a member of the group as its lead",
    responses={303: {"description": "Changed"}},
)
def set_lead(id: str) -> Response[str]:
    group_id = _group_id(id)
    chosen = router.form().get("member_id", "")
    if chosen and not MEMBER_ID.match(chosen):
        raise MemberNotFound(chosen)
    member_admin().set_lead(group_id, chosen or None, actor(router), clock.utc_now())
    return router.redirect(f"/console/groups/{group_id}?done=lead")
