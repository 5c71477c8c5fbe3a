"""What an administrator does for a member who asked by phone, in person, by letter or by email:
stop all emails, change what they hear about, or start emails again after they unsubscribed.

Each is recorded as the member's own choice would be, plus how they told us and who recorded it: an
unsubscribe or a new agreement to be contacted is a consent record (`channel` = how they told us,
`recorded_by` = the administrator), and every change is in the audit trail. A change that changes
nothing writes nothing and is not audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from shared.audit import AuditTrail
from shared.clock import iso
from shared.consent import Told, consent
from shared.errors import Conflict
from shared.forms import FormModel
from shared.members.models import Member, MemberStatus, Preferences
from shared.members.repository import Change, MemberRepository
from shared.members.unsubscribed import unsubscribing
from shared.observability import logger, metrics

HOW_MESSAGE = "Say how they told you: by phone, in person, by letter or by email"


class TheyToldUs(FormModel):
    """How the member told the administrator what they want."""

    how: Told

    messages: ClassVar[dict[str, str]] = {"how": HOW_MESSAGE}


class EmailChoices(TheyToldUs):
    meeting_reminders: bool = False
    newsletters: bool = False

    messages: ClassVar[dict[str, str]] = {
        "how": HOW_MESSAGE,
        "meeting_reminders": "Tick the box, or leave it empty",
        "newsletters": "Tick the box, or leave it empty",
    }


class StartAgain(TheyToldUs):
    agreed: bool = Field(False, validate_default=True)

    messages: ClassVar[dict[str, str]] = {
        "how": HOW_MESSAGE,
        "agreed": "Tick the box to say they agreed that we may contact them again",
    }

    @field_validator("agreed")
    @classmethod
    def _agreed(cls, value: bool) -> bool:
        if not value:
            raise ValueError("their agreement is needed")
        return value


class NotReceivingEmails(Conflict):
    message = "They do not get emails from us now: there is nothing to stop or change."


class CannotStartAgain(Conflict):
    message = (
        "Emails can start again only for a member who unsubscribed, whose details we still hold, and "
        "who confirmed their email address when they joined. Otherwise add them again."
    )


class OnBehalf:
    def __init__(self, *, members: MemberRepository, audit: AuditTrail, privacy_notice_version: str) -> None:
        self._members = members
        self._audit = audit
        self._notice = privacy_notice_version

    def _record(self, member_id: str, action: str, fields: list[str], actor: str, now: datetime) -> None:
        self._audit.record(actor=actor, action=action, target=f"MEMBER#{member_id}", now=now, fields=fields)

    def unsubscribe(self, member_id: str, told: TheyToldUs, actor: str, now: datetime) -> bool:
        """Stop all emails, as their own unsubscribe link would. False if they were already
        unsubscribed (nothing is written or audited)."""
        done = False

        def apply(current: Member) -> Change | None:
            nonlocal done
            if current.status is MemberStatus.UNSUBSCRIBED:
                return None
            if current.status not in (MemberStatus.ACTIVE, MemberStatus.PENDING, MemberStatus.SUPPRESSED):
                raise NotReceivingEmails
            done = True
            changes = unsubscribing(current, now, self._notice, told.how)
            changes["consents"][-1] = changes["consents"][-1].model_copy(update={"recorded_by": actor[:64]})
            return Change(current.working_groups, changes)

        self._members.change(member_id, now, apply)
        if done:
            self._record(member_id, "member.unsubscribed_for", [told.how], actor, now)
            logger.info("member unsubscribed by an administrator", extra={"member_id": member_id})
            metrics.add_metric(name="MemberUnsubscribedForThem", unit="Count", value=1)
        return done

    def email_choices(self, member_id: str, choices: EmailChoices, actor: str, now: datetime) -> list[str]:
        """What they hear about. Returns the choices that changed (none: nothing written)."""
        wanted = Preferences(meeting_reminders=choices.meeting_reminders, newsletters=choices.newsletters)
        changed: list[str] = []

        def apply(current: Member) -> Change | None:
            if current.status is not MemberStatus.ACTIVE:
                raise NotReceivingEmails
            changed[:] = [
                name
                for name in ("meeting_reminders", "newsletters")
                if getattr(current.preferences, name) != getattr(wanted, name)
            ]
            return Change(current.working_groups, {"preferences": wanted}) if changed else None

        self._members.change(member_id, now, apply)
        if changed:
            self._record(member_id, "member.email_choices_for", [*changed, choices.how], actor, now)
        return changed

    def start_again(self, member_id: str, told: StartAgain, actor: str, now: datetime) -> None:
        """An unsubscribed member who asked to hear from us again: active, with their groups and email
        choices as they were, and a new record of their agreement to be contacted (how, and who
        recorded it)."""

        def apply(current: Member) -> Change:
            if (
                current.status is not MemberStatus.UNSUBSCRIBED
                or current.profile_removed_at is not None
                or current.confirmed_at is None
            ):
                raise CannotStartAgain
            agreed = consent("contact", self._notice, told.how, now, recorded_by=actor[:64])
            changes: dict[str, Any] = {
                "status": MemberStatus.ACTIVE,
                "unsubscribed_at": None,
                "expires_at": None,
                "consents": [*current.consents, agreed],
                "rejoin": None,
                "confirm_nonce": None,  # their email choices stay as they were, like their groups
            }
            return Change(current.working_groups, changes)

        self._members.change(member_id, now, apply)
        self._record(member_id, "member.started_again_for", [told.how], actor, now)
        logger.info(
            "member subscribed again by an administrator", extra={"member_id": member_id, "at": iso(now)}
        )
