"""Administrators' member routes: list, search, add, change, export, erase, and email links."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.members.services import address_changes, member_admin
from shared import clock
from shared.api import actor, made_once
from shared.email.mailer import EmailNotSent
from shared.errors import DamagedRecord
from shared.members.addresses import AddressTaken, ChangeRequested, NewAddressForm, SameAddress
from shared.members.admin import (
    InPersonMember,
    MemberDetail,
    MemberPatch,
    NoEmail,
    NotPending,
    UnsubscribedHere,
)
from shared.members.gdpr import ErasureReceipt, MemberExport
from shared.members.models import MemberPage, MemberStatus, MemberSummary, Role
from shared.members.repository import AlreadyRegistered, MemberNotFound, StaleMember
from shared.members.service import NotActive
from shared.model import Model
from shared.web import error_response, json_response, refusals

router = Router()
MemberId = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f-]{36}$")]
COMMON = {401: error_response("No token"), 403: error_response("Not an administrator")}
NOT_FOUND = {**refusals(MemberNotFound), **COMMON}


class Sent(Model):
    sent: bool


class OfflineMembers(Model):
    """Members the Secretary phones or writes to: no email address, or emails to them bounce."""

    items: list[MemberSummary]


SearchText = Annotated[
    str | None, Query(max_length=100, description="Part of a name, or a whole email address")
]
GroupFilter = Annotated[str | None, Query(max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")]


@router.get(
    "/admin/members",
    summary="List and search members, newest first",
    responses={
        200: json_response("One page of members", MemberPage),
        400: error_response("Bad filter or cursor"),
        **COMMON,
    },
)
def list_members(
    q: SearchText = None,
    status: Annotated[MemberStatus | None, Query()] = None,
    role: Annotated[Role | None, Query()] = None,
    group: GroupFilter = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> MemberPage:
    return member_admin().search(
        q=q, status=status, role=role, group=group, limit=limit, cursor=cursor, now=clock.utc_now()
    )


@router.get(
    "/admin/members.csv",
    summary="Download the membership list as CSV (same filters)",
    responses={
        200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
        **COMMON,
    },
)
def members_csv(
    q: SearchText = None,
    status: Annotated[MemberStatus | None, Query()] = None,
    role: Annotated[Role | None, Query()] = None,
    group: GroupFilter = None,
) -> Response[str]:
    body = member_admin().csv(actor(router), clock.utc_now(), q=q, status=status, role=role, group=group)
    return Response(
        200,
        "text/csv; charset=utf-8",
        body,
        headers={"Content-Disposition": 'attachment; filename="members.csv"', "Cache-Control": "no-store"},
    )


@router.post(
    "/admin/members",
    summary="Add a member who joined in person, by phone or by post",
    status_code=201,
    responses={
        201: json_response("The member", MemberDetail),
        400: error_response("Bad input"),
        **refusals(AlreadyRegistered, UnsubscribedHere, EmailNotSent),
        **COMMON,
    },
)
def add_member(form: Annotated[InPersonMember, Body()]) -> Response[Any]:
    detail = member_admin().add(form, actor(router), clock.utc_now(), made_once(router))
    return Response(201, "application/json", detail.model_dump_json())


@router.get(
    "/admin/offline-members",
    summary="Members without email, or whose emails bounce: to phone or post",
    responses={200: json_response("Members to contact by phone or post", OfflineMembers), **COMMON},
)
def offline_members() -> OfflineMembers:
    return OfflineMembers(items=member_admin().offline(clock.utc_now()))


@router.get(
    "/admin/members/<id>",
    summary="One member, with consents and any suppression",
    responses={200: json_response("The member", MemberDetail), **refusals(DamagedRecord), **NOT_FOUND},
)
def get_member(id: MemberId) -> MemberDetail:
    return member_admin().view(id, actor(router), clock.utc_now())


@router.patch(
    "/admin/members/<id>",
    summary="Change a member's role, groups or contact details",
    responses={
        200: json_response("The member", MemberDetail),
        400: error_response("Bad input"),
        **refusals(StaleMember, AlreadyRegistered),
        **NOT_FOUND,
    },
)
def update_member(id: MemberId, patch: Annotated[MemberPatch, Body()]) -> MemberDetail:
    return member_admin().update(id, patch, actor(router), clock.utc_now())


@router.delete(
    "/admin/members/<id>",
    summary="Erase a member from every table (GDPR)",
    responses={
        200: json_response("What was deleted and what was kept", ErasureReceipt),
        **refusals(StaleMember),
        **NOT_FOUND,
    },
)
def erase_member(id: MemberId) -> ErasureReceipt:
    return member_admin().erase(id, actor(router), clock.utc_now())


@router.get(
    "/admin/members/<id>/export",
    summary="Everything held about a member (GDPR subject access)",
    responses={200: json_response("The export", MemberExport), **NOT_FOUND},
)
def export_member(id: MemberId) -> MemberExport:
    return member_admin().export(id, actor(router), clock.utc_now())


@router.post(
    "/admin/members/<id>/resend-confirmation",
    summary="Send the confirmation email again",
    responses={
        200: json_response("Whether it was sent (at most every 10 minutes)", Sent),
        **refusals(NotPending, EmailNotSent),
        **NOT_FOUND,
    },
)
def resend_confirmation(id: MemberId) -> Sent:
    return Sent(sent=member_admin().resend_confirmation(id, actor(router), clock.utc_now()))


@router.post(
    "/admin/members/<id>/preferences-link",
    summary="Email the member a fresh preferences link",
    responses={
        200: json_response("Whether it was sent (at most every 10 minutes)", Sent),
        **refusals(NoEmail, EmailNotSent),
        **NOT_FOUND,
    },
)
def preferences_link(id: MemberId) -> Sent:
    return Sent(sent=member_admin().send_preferences_link(id, actor(router), clock.utc_now()))


class EmailChangeAsked(Model):
    outcome: ChangeRequested


@router.post(
    "/admin/members/<id>/email",
    summary="Change or add a member's email address: a link goes to the new address, which becomes theirs "
    "when its owner presses its button (an unconfirmed sign-up's address is replaced at once, with a new "
    "confirmation)",
    status_code=202,
    responses={
        202: json_response("What happened: sent, already_sent, not_sent or replaced", EmailChangeAsked),
        **refusals(SameAddress, AddressTaken, NotActive),
        **NOT_FOUND,
    },
)
def change_email(id: MemberId, form: Annotated[NewAddressForm, Body()]) -> EmailChangeAsked:
    now = clock.utc_now()
    member = member_admin().get(id, now)
    return EmailChangeAsked(outcome=address_changes().request(member, form.email, actor(router), now))


@router.delete(
    "/admin/members/<id>/suppression",
    summary="Lift a bounce or complaint suppression",
    responses={200: json_response("The member", MemberDetail), **refusals(StaleMember), **NOT_FOUND},
)
def lift_suppression(id: MemberId) -> MemberDetail:
    return member_admin().lift_suppression(id, actor(router), clock.utc_now())
