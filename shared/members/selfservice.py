"""What a member does from the links in their emails: preferences, unsubscribe, a copy of their
data, erasure. Every link is a signed, expiring token naming only the member's opaque id.

- Preferences: meeting reminders, newsletters, working groups (open ones only).
- Unsubscribe (RFC 8058): one POST, no login. After it nothing more is sent; signing up again needs
  a fresh opt-in that only the address's owner can confirm.
- A copy of their data, or erasure: asked for from the preferences page, confirmed from a link sent
  to their address (so nobody else can do it with a forwarded preferences link alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

from shared import tokens
from shared.audit import AuditTrail
from shared.consent import consent
from shared.email.account_suppression import AccountSuppressionList
from shared.email.mailer import Mailer, OutgoingEmail
from shared.email.render import render_email
from shared.email.unsubscribe import sent_to_current_address
from shared.errors import Conflict, DomainError
from shared.groups import GroupRepository, WorkingGroup, check_groups
from shared.keys import TokenKeys
from shared.members import links as purposes
from shared.members.gdpr import ErasureReceipt, Gdpr, MemberExport
from shared.members.models import (
    HEALTH_DATA_ROLES,
    Member,
    MemberStatus,
    Preferences,
    PreferencesForm,
    Role,
    withdraw_health_consent,
)
from shared.members.repository import Change, MemberNotFound, MemberRepository, StaleMember
from shared.members.service import (
    RESEND_INTERVAL,
    LinkNoLongerValid,
    Links,
    LinkUsed,
    MembershipSettings,
    NotActive,
)
from shared.members.unsubscribed import remove_profile, unsubscribing
from shared.observability import logger, metrics
from shared.send_once import SendKey, SendLedger

LinkKind = Literal["export", "erase"]


class StillSubscribed(Conflict):
    message = (
        "Your details were not removed, because you are still a member. To stop all emails and "
        "leave, use the unsubscribe link at the bottom of any email from us, or ask us to delete "
        "your details from your preferences page."
    )


class HealthConsentNeeded(DomainError):
    """A member chose a patient or carer role without ticking the health-data consent box."""

    message = "Choosing a patient or carer role needs your agreement that we may store it."
    fields: ClassVar[Mapping[str, str]] = {
        "consent_health_data": "To say you are a patient or carer, tick the box to agree that we may store "
        "it, or choose another option"
    }


class SelfService:
    def __init__(
        self,
        *,
        members: MemberRepository,
        groups: GroupRepository,
        mailer: Mailer,
        links: Links,
        keys: TokenKeys,
        gdpr: Gdpr,
        audit: AuditTrail,
        settings: MembershipSettings,
        ledger: SendLedger,
        account_suppressions: AccountSuppressionList,
    ) -> None:
        self._account_suppressions = account_suppressions
        self._ledger = ledger
        self._members = members
        self._groups = groups
        self._mailer = mailer
        self._links = links
        self._keys = keys
        self._gdpr = gdpr
        self._audit = audit
        self._settings = settings

    def member_for(self, token: str, purpose: tokens.Purpose, now: datetime) -> Member:
        claims = tokens.verify(token, purpose, [self._keys.token], now)
        member = self._members.get(claims.subject, now)
        if member is None or not sent_to_current_address(claims.nonce, member.lookup_id):
            raise LinkNoLongerValid
        return member

    # --- preferences --------------------------------------------------------------------------

    def preferences(self, token: str, now: datetime) -> tuple[Member, list[WorkingGroup]]:
        member = self.member_for(token, purposes.PREFERENCES, now)
        return member, self._groups.open()

    def save_preferences(
        self, token: str, form: PreferencesForm, now: datetime
    ) -> tuple[Member, list[WorkingGroup]]:
        """Preferences, working groups and the member's own details (name, phone, organisation,
        role), as the form sent them. Choosing a patient or carer role needs the health-data box
        ticked (unless their consent is already recorded) and records that consent, under the
        notice the server shows now; leaving such a role records the withdrawal. Returns the member
        as saved and the open groups (the page shows both)."""
        member = self.member_for(token, purposes.PREFERENCES, now)
        open_groups = self._groups.open()
        check_groups(form.working_groups, open_groups)
        preferences = Preferences(meeting_reminders=form.meeting_reminders, newsletters=form.newsletters)

        def apply(current: Member) -> Change:
            if current.status is not MemberStatus.ACTIVE:
                raise NotActive(current.status)
            # groups that have since closed stay as they were: a member cannot see them to untick them
            closed_kept = [g for g in current.working_groups if g not in {o.id for o in open_groups}]
            changes: dict[str, Any] = {"preferences": preferences, **form.details()}
            if form.role is not None and form.role is not current.role:
                changes.update(self._role_change(current, form.role, form.consent_health_data, now))
            return Change([*form.working_groups, *closed_kept], changes)

        updated = self._members.change(member.id, now, apply)
        _log_saved(member.id)
        return updated, open_groups

    def _role_change(self, member: Member, role: Role, ticked: bool, now: datetime) -> dict[str, Any]:
        notice = self._settings.privacy_notice_version
        if role in HEALTH_DATA_ROLES:
            if member.role in HEALTH_DATA_ROLES and member.health_consent_given:
                return {"role": role}  # patient to carer, or the other way: the consent covers both
            if not ticked:
                raise HealthConsentNeeded("consent_health_data")
            return {
                "role": role,
                "consents": [*member.consents, consent("health_data", notice, "web_form", now)],
            }
        if member.role in HEALTH_DATA_ROLES:
            return {**withdraw_health_consent(member, notice, "web_form", now), "role": role}
        return {"role": role}

    def withdraw_health_consent(self, token: str, now: datetime) -> Member:
        """The member withdraws consent to our holding that they are a patient or carer: a `given:
        false` record, and the role becomes `not_stated`. Works whatever their status."""
        member = self.member_for(token, purposes.PREFERENCES, now)
        notice = self._settings.privacy_notice_version

        def apply(current: Member) -> Change | None:
            changes = withdraw_health_consent(current, notice, "web_form", now)
            return Change(current.working_groups, changes) if changes else None

        updated = self._members.change(member.id, now, apply)
        _log_saved(member.id)
        return updated

    def remove_profile(self, token: str, now: datetime) -> Member:
        """An unsubscribed member asks for their profile to go now, not when the grace period ends."""
        member = self.member_for(token, purposes.PREFERENCES, now)
        if member.status is MemberStatus.ACTIVE:
            raise StillSubscribed
        if member.status is not MemberStatus.UNSUBSCRIBED:
            raise NotActive(member.status)
        if remove_profile(self._members, self._account_suppressions, member.id, now, grace=None):
            self._audit.record(
                actor="member", action="member.profile_removed", target=f"MEMBER#{member.id}", now=now
            )
            logger.info("profile removed at the member's request", extra={"member_id": member.id})
        return self._members.require(member.id, now)

    # --- unsubscribe --------------------------------------------------------------------------

    def already_unsubscribed(self, token: str, now: datetime) -> bool:
        """What the unsubscribe page shows: done already (unsubscribed, or suppressed), or a button."""
        member = self.member_for(token, purposes.UNSUBSCRIBE, now)
        return member.status not in (MemberStatus.ACTIVE, MemberStatus.PENDING)

    def removal_url(self, token: str, now: datetime) -> str | None:
        """For the unsubscribe page: where an unsubscribed member asks for their profile to go now
        (a fresh preferences link), or None when there is no profile left to remove."""
        member = self.member_for(token, purposes.UNSUBSCRIBE, now)
        if member.status is not MemberStatus.UNSUBSCRIBED or member.profile_removed_at is not None:
            return None
        return self._links.preferences(member, now)

    def unsubscribe(self, token: str, now: datetime) -> bool:
        """Returns False when there was nothing to do (already unsubscribed, or suppressed)."""
        member = self.member_for(token, purposes.UNSUBSCRIBE, now)
        was: list[MemberStatus] = []

        def apply(current: Member) -> Change | None:
            if current.status not in (MemberStatus.ACTIVE, MemberStatus.PENDING):
                return None
            was.append(current.status)
            changes = unsubscribing(current, now, self._settings.privacy_notice_version, "web_form")
            return Change(current.working_groups, changes)

        try:
            self._members.change(member.id, now, apply)
        except (StaleMember, MemberNotFound):
            return False
        if not was:
            return False
        logger.info("member unsubscribed", extra={"member_id": member.id, "was": was[-1]})
        metrics.add_metric(name="MemberUnsubscribed", unit="Count", value=1)
        return True

    # --- a copy of their data, erasure ------------------------------------------------------

    def request_link(self, token: str, kind: LinkKind, now: datetime) -> None:
        """Email the member a link to download their data, or to confirm erasure (at most one
        per kind every 10 minutes)."""
        member = self.member_for(token, purposes.PREFERENCES, now)
        if not member.email:
            return
        purpose = purposes.EXPORT if kind == "export" else purposes.ERASE
        url = self._links.self_service(purpose, member, now)
        content = render_email(
            f"{kind}_link",
            group_name=self._settings.group_name,
            contact=self._settings.contact,
            name=member.name,
            url=url,
            hours=int(purpose.lifetime.total_seconds() // 3600),
        )
        email = OutgoingEmail(member.email, content, f"{kind}_link", self._links.unsubscribe(member, now))
        sent = self._ledger.send_once(
            SendKey(f"MEMBER#{member.id}", f"{kind}_link"),
            lambda: self._mailer.send(email),
            now,
            not_within=RESEND_INTERVAL,
        )
        if sent is None:
            logger.info("self-service link not re-sent: sent recently", extra={"kind": kind})

    def _export_link(self, token: str, now: datetime) -> tuple[Member, SendKey, SendKey]:
        claims = tokens.verify(token, purposes.EXPORT, [self._keys.token], now)
        member = self._members.get(claims.subject, now)
        if member is None or not sent_to_current_address(claims.nonce, member.lookup_id):
            raise LinkNoLongerValid
        # showing the data, and downloading it, each claim the link's nonce once, in the member's
        # own partition (kept as long as the link lives)
        partition = f"MEMBER#{member.id}"
        return (
            member,
            SendKey(partition, "export_shown", claims.nonce),
            SendKey(partition, "export_download", claims.nonce),
        )

    def check_export_link(self, token: str, now: datetime) -> None:
        """The page the email's link opens: shows nothing of the data and uses nothing up, so a link
        scanner that follows it learns nothing and leaves the link to its owner."""
        _member, shown, _download = self._export_link(token, now)
        if self._ledger.claimed(shown):
            raise LinkUsed

    def show_export(self, token: str, now: datetime) -> MemberExport:
        """The data in plain words, from the first page's button: once per link (a fresh link can be
        asked for from the preferences page). A refresh, or a second person with the link, is told
        the link was used."""
        member, shown, _download = self._export_link(token, now)

        def show() -> MemberExport:
            self._audit.record(actor="member", action="member.export", target=f"MEMBER#{member.id}", now=now)
            return self._gdpr.export(member.id, now)

        export = self._ledger.send_once(shown, show, now, keep=purposes.EXPORT.lifetime)
        if export is None:
            raise LinkUsed
        return export

    def download_export(self, token: str, now: datetime) -> MemberExport:
        """The machine-readable copy, from the shown page's button: once per link. Downloading
        without showing first (a script) uses the link up as well."""
        member, shown, download = self._export_link(token, now)

        def fetch() -> MemberExport:
            self._audit.record(
                actor="member", action="member.export_download", target=f"MEMBER#{member.id}", now=now
            )
            return self._gdpr.export(member.id, now)

        export = self._ledger.send_once(download, fetch, now, keep=purposes.EXPORT.lifetime)
        if export is None:
            raise LinkUsed
        self._ledger.claim(shown, now, not_within=None, keep=purposes.EXPORT.lifetime)
        return export

    def check_erase_link(self, token: str, now: datetime) -> Member:
        return self.member_for(token, purposes.ERASE, now)

    def erase(self, token: str, now: datetime) -> ErasureReceipt:
        member = self.member_for(token, purposes.ERASE, now)
        # first, while we still know the address: off SES's own suppression list too
        self._account_suppressions.remove(member.email)
        return self._gdpr.erase(member.id, actor="member", now=now)


def _log_saved(member_id: str) -> None:
    """The one log line of any change a member makes to their record. Only someone who said they
    were a patient or carer can withdraw that consent, so the line (and its `location`, which names
    the function that logs) must read the same for a withdrawal as for any save, with no metric
    beside it in the log stream either."""
    logger.info("preferences saved", extra={"member_id": member_id})
