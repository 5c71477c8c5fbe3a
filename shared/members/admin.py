"""What administrators do with members and working groups. Every change is audited (who, what,
when, and the names of the fields changed, never their values)."""

import csv
import io
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.audit import AuditTrail
from shared.clock import iso
from shared.consent import Channel, consent
from shared.dynamo import BadCursor, decode_cursor, encode_cursor
from shared.email.account_suppression import AccountSuppressionList
from shared.email.address import normalise_email
from shared.email.suppression import Suppression, SuppressionList
from shared.errors import Conflict, DamagedRecord, DomainError
from shared.forms import OWN_WORDS, FormModel, PatchModel
from shared.groups import (
    GroupId,
    GroupInput,
    GroupPatch,
    GroupRepository,
    GroupStatus,
    WorkingGroup,
    check_groups,
)
from shared.keys import TokenKeys
from shared.members.gdpr import ErasureReceipt, Gdpr, MemberExport
from shared.members.models import (
    HEALTH_DATA_ROLES,
    Consent,
    Member,
    MemberPage,
    MemberStatus,
    MemberSummary,
    Role,
    consents_for,
    withdraw_health_consent,
)
from shared.members.repository import Change, MemberRepository
from shared.members.service import Membership, check_notice
from shared.model import Model
from shared.text import Paragraphs, SingleLine, csv_cell, searchable

_PHONE_PATTERN = r"^\+?[0-9 ()-]{7,20}$"
CSV_COLUMNS = (
    "id",
    "name",
    "email",
    "phone",
    "postal_address",
    "role",
    "status",
    "organisation",
    "working_groups",
    "meeting_reminders",
    "newsletters",
    "created_at",
    "confirmed_at",
    "contact_consent",
    "contact_consent_at",
    "health_consent",
    "health_consent_at",
    "notice_version",
)


class InPersonMember(FormModel):
    """`POST /admin/members`: a member who joined in person, by phone or by post.

    With an email address they still confirm it (double opt-in); without one they are active at
    once, and notification runs list them for the Secretary to phone or post."""

    name: SingleLine = Field(min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=20, pattern=_PHONE_PATTERN)
    postal_address: Paragraphs | None = Field(None, max_length=300, validate_default=True)
    role: Role
    organisation: SingleLine | None = Field(None, max_length=120)
    working_groups: list[str] = Field(default_factory=list, max_length=20)
    consent_contact_in_person: bool = Field(False, validate_default=True)
    consent_health_data_in_person: bool = Field(False, validate_default=True)
    privacy_notice_version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")

    messages: ClassVar[dict[str, str]] = {
        "name": "Enter the member's name (up to 100 characters)",
        "name.empty": "Enter the member's name",
        "email": "Enter an email address in the correct format, or leave it out",
        "phone": "Enter a phone number of 7 to 20 digits, spaces and + ( ) - only, like 01908 123456",
        "postal_address": "Enter the postal address in 300 characters or fewer",
        "email.long": "An email address has 254 characters or fewer: check it",
        "role": "Choose the member's role",
        "working_groups": "Choose open working groups only",
        "consent_contact_in_person": "Confirm that the member agreed in person to be contacted",
        "consent_health_data_in_person": "A patient or carer role needs their explicit agreement, "
        "given in person",
        "privacy_notice_version": "Give the version of the privacy notice the member was shown",
    }

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise_email(value) if value else None

    @field_validator("consent_contact_in_person")
    @classmethod
    def _contact(cls, value: bool) -> bool:
        if not value:
            raise ValueError("consent is required")
        return value

    @field_validator("consent_health_data_in_person")
    @classmethod
    def _health(cls, value: bool, info: ValidationInfo) -> bool:
        if info.data.get("role") in HEALTH_DATA_ROLES and not value:
            raise ValueError("explicit consent is required for a patient or carer role")
        return value

    @field_validator("postal_address")
    @classmethod
    def _reachable(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not (value or info.data.get("email") or info.data.get("phone")):
            raise PydanticCustomError(OWN_WORDS, "Give an email address, a phone number or a postal address")
        return value


class MemberPatch(PatchModel):
    """`PATCH /admin/members/{id}`: only the fields given change; `""` clears phone, postal address
    or organisation; null and unknown fields are refused, naming them."""

    name: SingleLine | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=20, pattern=_PHONE_PATTERN)
    postal_address: Paragraphs | None = Field(None, max_length=300)
    organisation: SingleLine | None = Field(None, max_length=120)
    role: Role | None = None
    working_groups: list[GroupId] | None = Field(None, max_length=20)
    consent_health_data_in_person: bool = False

    clearable: ClassVar[frozenset[str]] = frozenset({"phone", "postal_address", "organisation"})
    messages: ClassVar[dict[str, str]] = {
        **InPersonMember.messages,
        "name": "Enter the member's name on one line, in 100 characters or fewer, without special symbols",
        "name.empty": "Enter the member's name",
        "consent_health_data_in_person": "A patient or carer role needs their explicit agreement: "
        "record it as given in person, or ask them to choose it themselves",
        "email": "An email address cannot be changed here, because its owner must confirm it: add the "
        "member again with the new address (they get a confirmation email), then erase the old record",
        "preferences": "Members choose their own preferences: send them a preferences link instead",
        "status": "A member's status changes by confirming, unsubscribing or erasure, not by editing",
    }


class MemberDetail(MemberSummary):
    consents: list[Consent]
    unsubscribed_at: str | None = None
    suppression: Suppression | None = None
    new_email: str | None = Field(
        None, description="A new address asked for and not yet confirmed by its owner (a link went to it)"
    )


class AtAGlance(Model):
    """The console's home page: how many members there are, and who needs the Secretary."""

    counts: dict[MemberStatus, int]
    without_email: int
    waiting: list[MemberSummary] = Field(description="Pending for more than two days: resend, or phone them")
    suppressed: list[MemberSummary] = Field(description="Their address bounced or complained")
    unreadable: list[str] = Field(default_factory=list, description="Ids of records that cannot be read")


WAITING_AFTER = timedelta(days=2)


class NoWayToReach(DomainError):
    message = "A member needs an email address, a phone number or a postal address."

    def __init__(self, field: str) -> None:
        super().__init__(
            field,
            fields={
                field: "Keep a phone number or a postal address: a member without email needs one, "
                "or we cannot reach them"
            },
        )


class HealthConsentMissing(DomainError):
    message = "Health data needs explicit consent."
    fields: ClassVar[Mapping[str, str]] = {
        "consent_health_data_in_person": "A patient or carer role needs the member's explicit "
        "agreement: set consent_health_data_in_person once they have given it"
    }


class UnsubscribedHere(Conflict):
    message = "This address belongs to a member who unsubscribed."
    fields: ClassVar[Mapping[str, str]] = {
        "email": "This address belongs to a member who unsubscribed. Find them with the search, open "
        "their page and choose 'Start emails to them again'"
    }


class NotPending(Conflict):
    message = "Only a member who has not confirmed yet can be sent a confirmation."


class NoEmail(Conflict):
    message = "This member has no email address; contact them by phone or post."


class NotInGroup(Conflict):
    message = "Only an active member of the group can lead it: add them to the group first."


class NotSubscribed(Conflict):
    """Unsubscribed or suppressed: nothing more is sent to them."""

    message = "This member unsubscribed or their address is suppressed: nothing is sent to them."


def as_administrators_see(record: dict[str, Any]) -> dict[str, Any]:
    """A member's fields as any administrator's view shows them (detail, export, list, CSV). Until
    its owner confirms, a sign-up's role, and the health-data consent that comes with a patient or
    carer role, are anyone's claim about whoever owns the address: neither is shown."""
    if record.get("confirmed_at") is not None:
        return record
    consents = [c for c in record.get("consents", []) if _kind(c) != "health_data"]
    return {**record, "role": None, "consents": consents}


def _kind(record: Consent | Mapping[str, Any]) -> str:
    return str(record.kind if isinstance(record, Consent) else record.get("kind"))


def consent_columns(member: Member) -> dict[str, str]:
    """The CSV's consent columns: the latest contact record (given or withdrawn, and when), health
    consent only while it holds, and the privacy notice the latest record shown was made under.

    A spreadsheet travels, so the health columns say "given" (and when) only for a confirmed member
    whose current patient or carer role rests on it, and are blank otherwise: "withdrawn" would tell
    every reader that someone now listed as, say, hospital staff once said they were a patient or
    carer. An unconfirmed sign-up shows none either: like its role, it is a stranger's claim about
    the address's owner until they confirm. (The member's own page in the console, and their export,
    still show the whole history: the evidence of what they agreed to and took back.)"""

    def latest(kind: str) -> Consent | None:
        return next((c for c in reversed(member.consents) if c.kind == kind), None)

    contact = latest("contact")
    health = latest("health_data")
    holds = (
        member.confirmed_at is not None
        and member.role in HEALTH_DATA_ROLES
        and health is not None
        and health.given
    )
    if not holds:
        health = None
    newest = max((c for c in (contact, health) if c), key=lambda c: c.at, default=None)

    def state(record: Consent | None) -> str:
        return "" if record is None else ("given" if record.given else "withdrawn")

    return {
        "contact_consent": state(contact),
        "contact_consent_at": contact.at if contact else "",
        "health_consent": state(health),
        "health_consent_at": health.at if health else "",
        "notice_version": newest.notice_version if newest else "",
    }


def forget_address(
    members: MemberRepository, account_suppressions: AccountSuppressionList, member_id: str, now: datetime
) -> None:
    """Before erasure: take the member's address off SES's account-level suppression list, while the
    stored record still says what it is (read raw, as erasure reads it: any record can be erased)."""
    raw = members.get_raw(member_id, now)
    address = raw.get("email") if raw else None
    account_suppressions.remove(address if isinstance(address, str) else None)


def _differs(member: Member, name: str, value: Any) -> bool:
    """Whether a patch's (validated) value for `name` differs from what the member has stored."""
    if name == "working_groups":
        return sorted(set(value)) != sorted(member.working_groups)
    return bool(getattr(member, name) != value)


class MemberAdmin:
    def __init__(
        self,
        *,
        members: MemberRepository,
        groups: GroupRepository,
        suppressions: SuppressionList,
        account_suppressions: AccountSuppressionList,
        audit: AuditTrail,
        gdpr: Gdpr,
        membership: Membership,
        keys: TokenKeys,
        privacy_notice_version: str,
    ) -> None:
        self._members = members
        self._groups = groups
        self._suppressions = suppressions
        self._account_suppressions = account_suppressions
        self._audit = audit
        self._gdpr = gdpr
        self._membership = membership
        self._keys = keys
        self._notice = privacy_notice_version

    # --- reading ----------------------------------------------------------------------------

    @property
    def privacy_notice_version(self) -> str:
        """The notice this deployment shows: what a member added in person was shown."""
        return self._notice

    def holder_of(self, email: str, now: datetime) -> Member | None:
        """The member holding this (normalised) address, if any."""
        return self._members.find_by_lookup_id(self._keys.email_lookup_id(email), now)

    def exists(self, member_id: str, now: datetime) -> bool:
        return self._members.get_raw(member_id, now) is not None

    def get(self, member_id: str, now: datetime) -> Member:
        return self._members.require(member_id, now)

    def view(self, member_id: str, actor: str, now: datetime) -> MemberDetail:
        """An administrator opens a member's record: that read is audited too, even when the record
        cannot be read whole (its page then shows what is stored)."""
        try:
            detail = self.detail(member_id, now)
        except DamagedRecord:
            self._audit.record(actor=actor, action="member.view", target=f"MEMBER#{member_id}", now=now)
            raise
        self._audit.record(actor=actor, action="member.view", target=f"MEMBER#{member_id}", now=now)
        return detail

    def detail(self, member_id: str, now: datetime) -> MemberDetail:
        member = self.get(member_id, now)
        suppression = self._suppressions.get(member.lookup_id) if member.lookup_id else None
        change = member.email_change
        shown = {
            **as_administrators_see(member.model_dump()),
            "suppression": suppression,
            "new_email": change.email if change and not change.confirmed_at else None,
        }
        return MemberDetail.model_validate(shown)

    def search(self, **filters: Any) -> MemberPage:
        members, next_cursor = self._search(**filters)
        return MemberPage(items=[MemberSummary.of(m) for m in members], next=next_cursor)

    def _search(
        self,
        *,
        q: str | None,
        status: MemberStatus | None,
        role: Role | None,
        group: str | None,
        limit: int,
        cursor: str | None,
        now: datetime,
    ) -> tuple[list[Member], str | None]:
        if q and "@" in q:
            # an address: one keyed look-up, never a scan
            try:
                lookup_id = self._keys.email_lookup_id(normalise_email(q))
            except ValueError:
                return [], None
            found = self._members.find_by_lookup_id(lookup_id, now)
            return ([found] if found and self._keep(found, status, role, None) else []), None
        if group:
            ids = self._members.group_member_ids(group)
            found_members = [m for m in self._members.get_many(ids, now) if self._keep(m, status, role, q)]
            offset = decode_cursor(cursor).get("offset") if cursor else 0
            if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= 100_000:
                raise BadCursor("cursor is not valid")
            page = found_members[offset : offset + limit]
            more = offset + limit < len(found_members)
            return page, encode_cursor({"offset": offset + limit}) if more else None
        return self._members.page(
            status=status, role=role, limit=limit, cursor=cursor, name_contains=q.casefold() if q else None
        )

    @staticmethod
    def _keep(member: Member, status: MemberStatus | None, role: Role | None, q: str | None) -> bool:
        return (
            (status is None or member.status is status)
            and (role is None or (member.confirmed_at is not None and member.role is role))
            and (not q or searchable(q) in searchable(member.name or ""))
        )

    def iter_search(self, **filters: Any) -> Iterator[MemberSummary]:
        for member in self._iter_members(**filters):
            yield MemberSummary.of(member)

    def _iter_members(self, **filters: Any) -> Iterator[Member]:
        cursor = None
        while True:
            members, cursor = self._search(limit=100, cursor=cursor, **filters)
            yield from members
            if cursor is None:
                return

    def csv(self, actor: str, now: datetime, **filters: Any) -> str:
        out = io.StringIO()
        # A UTF-8 byte-order mark first: without it Excel reads the file as Windows-1252 ("ZoÃ«").
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for member in self._iter_members(now=now, **filters):
            row = MemberSummary.of(member)
            data = row.model_dump(mode="json")
            data["working_groups"] = " ".join(row.working_groups)
            data["meeting_reminders"] = "yes" if row.preferences.meeting_reminders else "no"
            data["newsletters"] = "yes" if row.preferences.newsletters else "no"
            data.update(consent_columns(member))
            writer.writerow([csv_cell(data.get(column)) for column in CSV_COLUMNS])
        self._audit.record(
            actor=actor,
            action="members.download",
            target="MEMBERS",
            now=now,
            fields=sorted(k for k, val in filters.items() if val),
        )
        return out.getvalue()

    def summary(self, now: datetime) -> AtAGlance:
        counts = {status: self._members.count(status, now) for status in MemberStatus}
        waiting = [
            m
            for m in self.search(
                q=None, status=MemberStatus.PENDING, role=None, group=None, limit=100, cursor=None, now=now
            ).items
            if m.created_at < iso(now - WAITING_AFTER)
        ]
        suppressed = self.search(
            q=None, status=MemberStatus.SUPPRESSED, role=None, group=None, limit=10, cursor=None, now=now
        ).items
        return AtAGlance(
            counts=counts,
            without_email=len(self.offline(now)),
            waiting=waiting[:10],
            suppressed=suppressed,
            unreadable=self._members.unreadable(now)[:20],
        )

    def offline(self, now: datetime) -> list[MemberSummary]:
        """Members for the Secretary to phone or write to: active ones without email, and those whose
        emails bounce for good (suppressed after being active: still members, `Member.taking_part`),
        as on the meeting and announcement letters."""
        everyone = {"q": None, "role": None, "group": None, "now": now}
        without = self._iter_members(status=MemberStatus.ACTIVE, **everyone)
        bouncing = self._iter_members(status=MemberStatus.SUPPRESSED, **everyone)
        return [
            *(MemberSummary.of(m) for m in without if m.email is None),
            *(MemberSummary.of(m) for m in bouncing if m.taking_part),
        ]

    # --- changing ---------------------------------------------------------------------------

    def add(
        self,
        form: InPersonMember,
        actor: str,
        now: datetime,
        id: str | None = None,
        *,
        channel: Channel = "in_person",
        agreed_at: datetime | None = None,
    ) -> MemberDetail:
        """Add someone met in person (or, `channel`, who agreed on paper or by phone; `agreed_at`,
        when they agreed, if not now). With `id` (`shared.once`), a second submission of the same
        form shows the member the first added rather than adding them twice."""
        check_groups(form.working_groups, self._groups.open())
        check_notice(form.privacy_notice_version, self._notice)
        consents = [
            c.model_copy(update={"recorded_by": actor[:64]})
            for c in consents_for(form.role, self._notice, channel, agreed_at or now)
        ]
        if id and self._members.get_raw(id, now) is not None:
            return self.detail(id, now)
        if form.email:
            holder = self._members.find_by_lookup_id(self._keys.email_lookup_id(form.email), now)
            if holder is not None and holder.status is MemberStatus.UNSUBSCRIBED:
                raise UnsubscribedHere
        if form.email:
            member = self._membership.add_pending(form, consents, now, id)
        else:
            member = Member(
                id=id or str(uuid.uuid4()),
                name=form.name,
                email=None,
                phone=form.phone,
                postal_address=form.postal_address,
                role=form.role,
                organisation=form.organisation,
                working_groups=sorted(set(form.working_groups)),
                status=MemberStatus.ACTIVE,
                created_at=iso(now),
                confirmed_at=iso(now),
                consents=consents,
            )
            self._members.create_active(member)
        self._audit.record(
            actor=actor,
            action="member.add",
            target=f"MEMBER#{member.id}",
            now=now,
            fields=[k for k, val in form.model_dump().items() if val not in (None, [], False)],
        )
        return self.detail(member.id, now)

    def update(self, member_id: str, patch: MemberPatch, actor: str, now: datetime) -> MemberDetail:
        """Change what the patch gives that differs from what is stored. A patch that changes
        nothing (`{}`, or the stored values again) writes nothing, keeps the version and is not
        audited, as for working groups; the audit names the fields that really changed."""
        given = patch.given()
        given.pop("consent_health_data_in_person", None)
        open_groups = self._groups.open() if "working_groups" in given else []
        changed: list[str] = []

        def apply(member: Member) -> Change | None:
            differing = {k: val for k, val in given.items() if _differs(member, k, val)}
            changed[:] = sorted(differing)
            if not differing:
                return None
            after = {k: differing.get(k, getattr(member, k)) for k in ("email", "phone", "postal_address")}
            if not any(after.values()):  # the add form's rule: never left with no way to reach them
                raise NoWayToReach(next(k for k in ("postal_address", "phone") if k in differing))
            changes = {k: val for k, val in differing.items() if k != "working_groups"}
            role = differing.get("role")
            consents = list(member.consents)
            if role in HEALTH_DATA_ROLES:
                # the latest record decides: a withdrawn consent is no consent
                if patch.consent_health_data_in_person:
                    consents.append(consent("health_data", self._notice, "in_person", now))
                elif not member.health_consent_given:
                    raise HealthConsentMissing("consent_health_data_in_person")
            elif role is not None and member.role in HEALTH_DATA_ROLES:
                # away from patient or carer: recorded as a withdrawal, as when members do it themselves
                withdrawn = withdraw_health_consent(member, self._notice, "administrator", now)
                consents = withdrawn.get("consents", consents)
                if "rejoin" in withdrawn:
                    changes["rejoin"] = withdrawn["rejoin"]
            changes["consents"] = consents
            groups = member.working_groups
            if "working_groups" in differing:
                wanted = differing["working_groups"]
                check_groups([g for g in wanted if g not in member.working_groups], open_groups)
                groups = wanted
            return Change(groups, changes)

        self._members.change(member_id, now, apply)
        if changed:  # an edit that changed nothing is not an action to audit
            self._audit.record(
                actor=actor, action="member.update", target=f"MEMBER#{member_id}", now=now, fields=changed
            )
        return self.detail(member_id, now)

    def resend_confirmation(self, member_id: str, actor: str, now: datetime) -> bool:
        member = self.get(member_id, now)
        if member.status is not MemberStatus.PENDING and member.rejoin is None:
            raise NotPending(member.status)
        sent = self._membership.resend_confirmation(member, now)
        self._audit.record(
            actor=actor, action="member.resend_confirmation", target=f"MEMBER#{member.id}", now=now
        )
        return sent

    def send_preferences_link(self, member_id: str, actor: str, now: datetime) -> bool:
        member = self.get(member_id, now)
        if not member.email:
            raise NoEmail(member_id)
        if member.status not in (MemberStatus.ACTIVE, MemberStatus.PENDING):
            raise NotSubscribed(member.status)
        sent = self._membership.send_preferences_link(member, now)
        self._audit.record(
            actor=actor, action="member.preferences_link", target=f"MEMBER#{member.id}", now=now
        )
        return sent

    def lift_suppression(self, member_id: str, actor: str, now: datetime) -> MemberDetail:
        """Emails may go to the member's address again: off our list, and off SES's own (which would
        otherwise go on refusing it, and keep the plain address)."""
        member = self.get(member_id, now)
        self._account_suppressions.remove(member.email)
        if member.lookup_id:
            self._suppressions.lift(member.lookup_id)

        def restore(current: Member) -> Change | None:
            if current.status is not MemberStatus.SUPPRESSED:
                return None
            restored = current.status_before_suppression or MemberStatus.ACTIVE
            return Change(current.working_groups, {"status": restored, "status_before_suppression": None})

        self._members.change(member.id, now, restore)
        self._audit.record(
            actor=actor, action="member.lift_suppression", target=f"MEMBER#{member.id}", now=now
        )
        return self.detail(member.id, now)

    def export(self, member_id: str, actor: str, now: datetime) -> MemberExport:
        export = self._gdpr.export(member_id, now)
        self._audit.record(actor=actor, action="member.export", target=f"MEMBER#{member_id}", now=now)
        if export.profile.get("confirmed_at") is None:
            seen = as_administrators_see({**export.profile, "consents": export.consents})
            export = export.model_copy(
                update={"profile": {**export.profile, "role": None}, "consents": seen["consents"]}
            )
        return export

    def erase(self, member_id: str, actor: str, now: datetime) -> ErasureReceipt:
        forget_address(self._members, self._account_suppressions, member_id, now)
        return self._gdpr.erase(member_id, actor=actor, now=now)

    # --- working groups -----------------------------------------------------------------------

    def groups(self) -> list[WorkingGroup]:
        return self._groups.all()

    def create_group(self, data: GroupInput, actor: str, now: datetime) -> WorkingGroup:
        group = self._groups.create(data, now)
        self._audit.record(actor=actor, action="group.create", target=f"GROUP#{group.id}", now=now)
        return group

    def update_group(self, group_id: str, patch: GroupPatch, actor: str, now: datetime) -> WorkingGroup:
        changes = patch.model_dump(exclude_unset=True)
        group, changed = self._groups.apply(group_id, changes, now)
        if changed:  # an edit that changed nothing is not an action to audit
            self._audit.record(
                actor=actor,
                action="group.update",
                target=f"GROUP#{group_id}",
                now=now,
                fields=sorted(changes),
            )
        return group

    def close_group(self, group_id: str, actor: str, now: datetime) -> WorkingGroup:
        group, changed = self._groups.apply(group_id, {"status": GroupStatus.CLOSED}, now)
        if changed:  # closing a closed group again is no new action
            self._audit.record(actor=actor, action="group.close", target=f"GROUP#{group_id}", now=now)
        return group

    def reopen_group(self, group_id: str, actor: str, now: datetime) -> WorkingGroup:
        """Open a closed group again, under its name (refused if an open group has taken it since)."""
        group, changed = self._groups.apply(group_id, {"status": GroupStatus.OPEN}, now)
        if changed:
            self._audit.record(actor=actor, action="group.reopen", target=f"GROUP#{group_id}", now=now)
        return group

    def add_to_group(self, group_id: str, member_id: str, actor: str, now: datetime) -> MemberDetail:
        check_groups([group_id], self._groups.open())
        self._members.change(member_id, now, lambda m: Change([*m.working_groups, group_id]))
        self._audit.record(
            actor=actor,
            action="group.add_member",
            target=f"MEMBER#{member_id}",
            now=now,
            fields=["working_groups"],
        )
        return self.detail(member_id, now)

    def remove_from_group(self, group_id: str, member_id: str, actor: str, now: datetime) -> MemberDetail:
        group = self._groups.get(group_id)
        if group.lead_member_id == member_id:
            self._groups.update(group_id, {"lead_member_id": None}, now)
        self._members.change(member_id, now, lambda m: Change([g for g in m.working_groups if g != group_id]))
        self._audit.record(
            actor=actor,
            action="group.remove_member",
            target=f"MEMBER#{member_id}",
            now=now,
            fields=["working_groups"],
        )
        return self.detail(member_id, now)

    def set_lead(self, group_id: str, member_id: str | None, actor: str, now: datetime) -> WorkingGroup:
        """Mark a member of the group as its lead (None: the group has no lead)."""
        if member_id is not None:
            member = self.get(member_id, now)
            if group_id not in member.working_groups or member.status is not MemberStatus.ACTIVE:
                raise NotInGroup(member_id)
        group = self._groups.update(group_id, {"lead_member_id": member_id}, now)
        self._audit.record(
            actor=actor,
            action="group.set_lead",
            target=f"GROUP#{group_id}",
            now=now,
            fields=["lead_member_id"],
        )
        return group

    def group_members(self, group_id: str, now: datetime) -> list[MemberSummary]:
        self._groups.get(group_id)
        ids = self._members.group_member_ids(group_id)
        return sorted(
            (MemberSummary.of(m) for m in self._members.get_many(ids, now)),
            key=lambda m: (m.name or "").casefold(),
        )

    def get_group(self, group_id: str) -> WorkingGroup:
        return self._groups.get(group_id)

    def find_by_lookup_id(self, lookup_id: str, now: datetime) -> Member | None:
        return self._members.find_by_lookup_id(lookup_id, now)
