"""Administrators' working-group routes, and the audit trail."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import Field

from functions.members.services import audit, member_admin
from shared import clock
from shared.api import actor
from shared.audit import AuditPage
from shared.forms import FormModel
from shared.groups import (
    GroupChanged,
    GroupExists,
    GroupInput,
    GroupNameTaken,
    GroupNotFound,
    GroupPatch,
    WorkingGroup,
)
from shared.members.admin import MemberDetail, NotInGroup
from shared.members.repository import MemberNotFound, StaleMember
from shared.model import Model
from shared.web import error_response, json_response, refusals

router = Router()
GroupId = Annotated[str, Path(max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")]
MemberId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f-]{36}$")]
COMMON = {401: error_response("No token"), 403: error_response("Not an administrator")}
NOT_FOUND = {**refusals(GroupNotFound), **COMMON}
GROUP_OR_MEMBER = {**refusals(GroupNotFound, MemberNotFound), **COMMON}


class Groups(Model):
    items: list[WorkingGroup]


class AddMember(FormModel):
    member_id: str = Field(pattern=r"^[0-9a-f-]{36}$")


@router.get(
    "/admin/groups",
    summary="All working groups, open and closed",
    responses={200: json_response("Groups", Groups), **COMMON},
)
def list_groups() -> Groups:
    return Groups(items=member_admin().groups())


@router.post(
    "/admin/groups",
    summary="Create a working group",
    status_code=201,
    responses={
        201: json_response("The group", WorkingGroup),
        400: error_response("Bad input"),
        **refusals(GroupExists, GroupNameTaken),
        **COMMON,
    },
)
def create_group(data: Annotated[GroupInput, Body()]) -> Response[Any]:
    group = member_admin().create_group(data, actor(router), clock.utc_now())
    return Response(201, "application/json", group.model_dump_json())


@router.patch(
    "/admin/groups/<id>",
    summary="Change a working group",
    responses={
        200: json_response("The group", WorkingGroup),
        **refusals(GroupNameTaken, GroupChanged),
        **NOT_FOUND,
    },
)
def update_group(id: GroupId, patch: Annotated[GroupPatch, Body()]) -> WorkingGroup:
    return member_admin().update_group(id, patch, actor(router), clock.utc_now())


@router.post(
    "/admin/groups/<id>/close",
    summary="Close a working group (members keep their history)",
    responses={200: json_response("The group", WorkingGroup), **refusals(GroupChanged), **NOT_FOUND},
)
def close_group(id: GroupId) -> WorkingGroup:
    return member_admin().close_group(id, actor(router), clock.utc_now())


@router.post(
    "/admin/groups/<id>/members",
    summary="Add a member to a working group",
    responses={200: json_response("The member", MemberDetail), **refusals(StaleMember), **GROUP_OR_MEMBER},
)
def add_group_member(id: GroupId, body: Annotated[AddMember, Body()]) -> MemberDetail:
    return member_admin().add_to_group(id, body.member_id, actor(router), clock.utc_now())


@router.delete(
    "/admin/groups/<id>/members/<member_id>",
    summary="Remove a member from a working group",
    responses={
        200: json_response("The member", MemberDetail),
        **refusals(NotInGroup, StaleMember),
        **GROUP_OR_MEMBER,
    },
)
def remove_group_member(id: GroupId, member_id: MemberId) -> MemberDetail:
    return member_admin().remove_from_group(id, member_id, actor(router), clock.utc_now())


@router.get(
    "/admin/audit",
    summary="The audit trail of administrators' changes, newest first",
    responses={200: json_response("One page of entries", AuditPage), **COMMON},
)
def audit_trail(
    month: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; default this month")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditPage:
    return audit().month(month or clock.iso(clock.utc_now())[:7], limit, cursor)
