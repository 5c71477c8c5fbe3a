"""A member's new email address: asked for by the member (preferences page) or by an administrator on
their behalf (console), and theirs only when the new address's owner presses the button.

The record, its history, groups and consents stay as they are: only the address moves. Until the
button is pressed, the member keeps the old address (`Member.email_change` holds the new one, with
the nonce its link carries). Pressing it moves the address pointer and the profile in one
transaction (`MemberRepository.move_address`) and tells the old address, once, that it changed. An
unconfirmed sign-up with a mistyped address is simply given the new one and a new confirmation: its
confirmation is itself the proof. A member without email is given one the same way as a member with
one (the link goes to the new address; there is no old one to tell).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator

from shared import tokens
from shared.audit import AuditTrail
from shared.clock import iso
from shared.email.address import normalise_email
from shared.email.mailer import Mailer, OutgoingEmail
from shared.email.render import render_email
from shared.errors import Conflict, DamagedRecord, DomainError
from shared.forms import FormModel
from shared.keys import TokenKeys
from shared.members import links as purposes
from shared.members.models import EmailChange, Member, MemberStatus
from shared.members.repository import AlreadyRegistered, Change, MemberRepository, StaleMember
from shared.members.service import (
    CONFIRM_EMAIL,
    RESEND_INTERVAL,
    LinkNoLongerValid,
    Links,
    Membership,
    MembershipSettings,
    NotActive,
    SignupUnreadable,
)
from shared.observability import logger, metrics
from shared.send_once import SendKey, SendLedger
from shared.timefmt import parse_iso

CHANGE_LINK_EMAIL, CHANGED_NOTICE_EMAIL = "email_change", "email_changed"


class NewAddressForm(FormModel):
    """A new email address, from the console (for a member) or the member's preferences page."""

    email: str = Field(min_length=3, max_length=254)

    messages: ClassVar[dict[str, str]] = {
        "email": "Enter the new email address, like name@example.org",
    }

    @field_validator("email")
    @classmethod
    def _deliverable(cls, value: str) -> str:
        return normalise_email(value)


class SameAddress(DomainError):
    status = 400
    message = "That is the address already."
    fields: ClassVar[dict[str, str]] = {"email": "This is already the member's email address"}


class AddressTaken(Conflict):
    message = "Another member has this email address."
    fields: ClassVar[dict[str, str]] = {
        "email": "Another member has this email address: search for it on the Members page"
    }


# an active member, or one whose emails stopped because the address bounced or complained (the
# usual reason to change it); an unconfirmed sign-up is given the new address at once
CHANGEABLE = frozenset({MemberStatus.ACTIVE, MemberStatus.SUPPRESSED})


class ChangeRequested(StrEnum):
    SENT = "sent"  # a link went to the new address
    ALREADY_SENT = "already_sent"  # the same new address was asked for in the last 10 minutes
    NOT_SENT = "not_sent"  # emails to the new address are blocked (it bounced or complained before)
    REPLACED = "replaced"  # an unconfirmed sign-up: the address replaced, a new confirmation sent


class ChangeLink(StrEnum):
    CONFIRM = "confirm"  # the page shows its button
    DONE = "done"  # already confirmed (the button pressed twice, or the link opened again)


def masked(address: str) -> str:
    """`a…@example.org`: enough for its owner to recognise, not enough to read out."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


class AddressChanges:
    def __init__(
        self,
        *,
        members: MemberRepository,
        membership: Membership,
        keys: TokenKeys,
        mailer: Mailer,
        ledger: SendLedger,
        audit: AuditTrail,
        settings: MembershipSettings,
    ) -> None:
        self._members = members
        self._membership = membership
        self._keys = keys
        self._mailer = mailer
        self._ledger = ledger
        self._audit = audit
        self._settings = settings
        self._links = Links(settings.base_url, keys)

    # --- asking ----------------------------------------------------------------------------------

    def request(self, member: Member, new_email: str, actor: str, now: datetime) -> ChangeRequested:
        """Ask for `new_email` to become the member's address. `actor` is "member" (their own
        preferences page) or the administrator's id; the request is audited either way."""
        lookup_id = self._keys.email_lookup_id(new_email)
        if member.email == new_email:
            raise SameAddress
        holder = self._members.find_by_lookup_id(lookup_id, now)
        if holder is not None and holder.id != member.id:
            raise AddressTaken
        if member.status is MemberStatus.PENDING:
            outcome = self._replace_unconfirmed(member, new_email, lookup_id, now)
        elif member.status in CHANGEABLE:
            outcome = self._ask_new_address(member, new_email, lookup_id, actor, now)
        else:
            raise NotActive(member.status)
        if outcome is not ChangeRequested.ALREADY_SENT:
            self._audit.record(
                actor=actor, action="member.email_change_requested", target=f"MEMBER#{member.id}", now=now
            )
        return outcome

    def _replace_unconfirmed(
        self, member: Member, new_email: str, lookup_id: str, now: datetime
    ) -> ChangeRequested:
        changes = {"email": new_email, "lookup_id": lookup_id, "confirm_nonce": secrets.token_urlsafe(16)}
        try:
            moved = self._members.move_address(member, changes, now)
        except AlreadyRegistered:
            raise AddressTaken from None
        key = SendKey(f"MEMBER#{member.id}", CONFIRM_EMAIL, lookup_id[:16])
        sent = self._ledger.send_once(key, lambda: self._membership.send_confirmation(moved, now), now)
        return ChangeRequested.REPLACED if sent is not False else ChangeRequested.NOT_SENT

    def _ask_new_address(
        self, member: Member, new_email: str, lookup_id: str, actor: str, now: datetime
    ) -> ChangeRequested:
        asked = member.email_change
        if (
            asked is not None
            and asked.confirmed_at is None
            and asked.email == new_email
            and now - parse_iso(asked.requested_at) < RESEND_INTERVAL
        ):
            return ChangeRequested.ALREADY_SENT
        change = EmailChange(
            email=new_email,
            lookup_id=lookup_id,
            nonce=secrets.token_urlsafe(16),
            requested_at=iso(now),
            requested_by=actor[:64],
        )

        def ask(current: Member) -> Change:
            if current.status not in CHANGEABLE:
                raise NotActive(current.status)
            return Change(current.working_groups, {"email_change": change})

        self._members.change(member.id, now, ask)
        key = SendKey(f"MEMBER#{member.id}", CHANGE_LINK_EMAIL, change.nonce)
        sent = self._ledger.send_once(key, lambda: self._send_link(member, change, actor, now), now)
        logger.info("email change requested", extra={"member_id": member.id, "sent": bool(sent)})
        return ChangeRequested.SENT if sent else ChangeRequested.NOT_SENT

    def _send_link(self, member: Member, change: EmailChange, actor: str, now: datetime) -> bool:
        token = tokens.issue(self._keys.token, purposes.EMAIL_CHANGE, member.id, change.nonce, now)
        content = render_email(
            CHANGE_LINK_EMAIL,
            group_name=self._settings.group_name,
            contact=self._settings.contact,
            by_member=actor == "member",
            confirm_url=self._links.email_change(token),
            hours=int(purposes.EMAIL_CHANGE.lifetime.total_seconds() // 3600),
        )
        sent = self._mailer.send(OutgoingEmail(change.email, content, CHANGE_LINK_EMAIL, None))
        if sent is not None:
            metrics.add_metric(name="EmailSent_email_change", unit="Count", value=1)
        return sent is not None

    # --- the link in the email to the new address --------------------------------------------------

    def _linked(self, token: str, now: datetime) -> tuple[Member, EmailChange]:
        claims = tokens.verify(token, purposes.EMAIL_CHANGE, [self._keys.token], now)
        try:
            member = self._members.get(claims.subject, now)
        except DamagedRecord:
            raise SignupUnreadable from None
        change = member.email_change if member is not None else None
        if member is None or change is None or change.nonce != claims.nonce:
            raise LinkNoLongerValid  # erased, or a newer request replaced this one
        return member, change

    def check_link(self, token: str, now: datetime) -> tuple[ChangeLink, str]:
        """What the link's page shows (the new address, masked). Reads only: a GET changes nothing."""
        member, change = self._linked(token, now)
        if change.confirmed_at is not None:
            return ChangeLink.DONE, masked(change.email)
        if member.status not in CHANGEABLE:
            raise LinkNoLongerValid
        return ChangeLink.CONFIRM, masked(change.email)

    def confirm(self, token: str, now: datetime) -> str:
        """The page's button: the new address becomes the member's, once; the old address is told.
        Returns the new address, masked. Pressed again, it is already done."""
        member, change = self._linked(token, now)
        if change.confirmed_at is not None:
            return masked(change.email)
        if member.status not in CHANGEABLE:
            raise LinkNoLongerValid
        done = change.model_copy(update={"confirmed_at": iso(now)})
        changes: dict[str, Any] = {"email": change.email, "lookup_id": change.lookup_id, "email_change": done}
        if member.status is MemberStatus.SUPPRESSED:  # the old address bounced; the new one works
            changes |= {
                "status": member.status_before_suppression or MemberStatus.ACTIVE,
                "status_before_suppression": None,
            }
        try:
            self._members.move_address(member, changes, now)
        except AlreadyRegistered:
            raise AddressTaken from None
        except StaleMember:  # a double click: the other press moved it a moment ago
            return masked(change.email)
        self._audit.record(
            actor="member", action="member.email_changed", target=f"MEMBER#{member.id}", now=now
        )
        logger.info("member email changed", extra={"member_id": member.id})
        metrics.add_metric(name="MemberEmailChanged", unit="Count", value=1)
        if member.email:
            key = SendKey(f"MEMBER#{member.id}", CHANGED_NOTICE_EMAIL, change.nonce)
            self._ledger.send_once(key, lambda: self._tell_old_address(member, change.email, now), now)
        return masked(change.email)

    def _tell_old_address(self, member: Member, new_email: str, now: datetime) -> bool:
        assert member.email
        content = render_email(
            CHANGED_NOTICE_EMAIL,
            group_name=self._settings.group_name,
            contact=self._settings.contact,
            name=member.name,
            new_address=masked(new_email),
        )
        return self._mailer.send(OutgoingEmail(member.email, content, CHANGED_NOTICE_EMAIL, None)) is not None
