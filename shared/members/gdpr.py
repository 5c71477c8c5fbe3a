"""UK GDPR rights: a copy of everything held about a member, and erasure from every table.

Neither needs a scan: a member's own items are one partition (`MEMBER#<id>`), their address pointer
is found from the lookup id on their profile, and the audit trail is keyed by target. What other
capabilities hold about them comes from the subject-rights register (`shared.privacy.register`):
the export asks each holder, and erasure erases from each before the member's own records go, so a
person's meeting replies or feedback are never left behind.

What erasure keeps, and why:
- anonymous counts (`STATS`/`MEMBERSHIP`: how many members were erased), no identifiers at all;
- audit entries about the member: an opaque id, an action and field *names*; once the profile is
  gone the id points at nobody;
- a suppression entry, if the address bounced or complained: a keyed hash of the address with no
  member id, so the address is never emailed again. Soft-bounce counting for an address that is not
  suppressed is deleted.
"""

from datetime import datetime
from typing import Any

from pydantic import Field

from shared.audit import AuditEntry, AuditTrail
from shared.clock import iso
from shared.dynamo import value as v
from shared.email.suppression import Suppression, SuppressionList, suppression_key
from shared.errors import DamagedRecord
from shared.groups import GroupRepository
from shared.members.models import Consent, Preferences
from shared.members.repository import MemberNotFound, MemberRepository
from shared.model import Model
from shared.privacy.register import Person, Register

# Internal fields that are not information about the person (a single-use secret, the keyed hash
# that stands for the address in table keys, bookkeeping), and what has its own section.
_NOT_EXPORTED = {
    "confirm_nonce",
    "consents",
    "preferences",
    "working_groups",
    "rejoin",
    "lookup_id",
    "status_before_suppression",
    "expires_at",
    "version",
}


_MACHINERY = {
    "pk",
    "sk",
    "listed_at",
    "schema_version",
    "confirm_nonce",
    "lookup_id",
    "expires_at",
    "version",
    "name_search",
    "entity",
}


def unconfirmed_claims_hidden(raw: dict[str, Any]) -> dict[str, Any]:
    """A stored record as an administrator may see it: until its owner confirms, a sign-up's role,
    a rejoin request and the health-data consent that comes with a patient or carer role are
    anyone's claim about whoever owns the address, so they are left out (as `as_administrators_see`
    leaves them out of a record that can be read)."""
    if raw.get("confirmed_at"):
        return dict(raw)
    shown = {k: val for k, val in raw.items() if k not in ("pending_role", "role", "rejoin")}
    if isinstance(shown.get("consents"), list):
        shown["consents"] = [
            c for c in shown["consents"] if not (isinstance(c, dict) and c.get("kind") == "health_data")
        ]
    return shown


def _plain_value(value: Any) -> Any:
    """A stored value as plain data: text, a number, true or false, a list or a mapping of those."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    return str(value)


def _each(values: Any, model: type[Model]) -> list[Model]:
    """Each of `values` that `model` can read; the others are left out (they are in the profile)."""
    found = []
    for value in values if isinstance(values, list) else []:
        try:
            found.append(model.model_validate(value))
        except ValueError:
            continue
    return found


class GroupMembership(Model):
    id: str
    name: str | None


class MemberExport(Model):
    """Everything held about one member, for a subject access request."""

    exported_at: str
    profile: dict[str, Any]
    consents: list[Consent]
    preferences: Preferences
    working_groups: list[GroupMembership]
    pending_rejoin: dict[str, Any] | None
    suppression: Suppression | None
    notifications: list[dict[str, Any]] = Field(description="Meetings and other notices sent to them")
    audit: list[AuditEntry] = Field(description="Administrators' changes to their record")
    elsewhere: dict[str, Any] = Field(
        default_factory=dict, description="What each other part of the system holds about them, by part"
    )
    damaged: bool = Field(
        False, description="The stored record could not be read whole: its profile is given as stored"
    )


class ErasureReceipt(Model):
    member_id: str
    erased_at: str
    items_deleted: int
    kept: list[str]


class Gdpr:
    def __init__(
        self,
        *,
        members: MemberRepository,
        groups: GroupRepository,
        suppressions: SuppressionList,
        audit: AuditTrail,
        client: Any,
        members_table: str,
        register: Register | None = None,
    ) -> None:
        self._members = members
        self._groups = groups
        self._suppressions = suppressions
        self._audit = audit
        self._db = client
        self._members_table = members_table
        self._register = register or Register([])

    def export(self, member_id: str, now: datetime) -> MemberExport:
        try:
            member = self._members.require(member_id, now)
        except DamagedRecord as damaged:
            return self._damaged_export(member_id, damaged.raw, now)
        names = {g.id: g.name for g in self._groups.all()}
        notifications = self._notifications(member.id)
        return MemberExport(
            exported_at=iso(now),
            profile=member.model_dump(
                mode="json",
                # a new address waiting to be confirmed is theirs to see; its link's secret is not
                exclude={**dict.fromkeys(_NOT_EXPORTED, True), "email_change": {"nonce", "lookup_id"}},
            ),
            consents=member.consents,
            preferences=member.preferences,
            working_groups=[GroupMembership(id=g, name=names.get(g)) for g in member.working_groups],
            pending_rejoin=member.rejoin.model_dump(mode="json") if member.rejoin else None,
            suppression=self._suppressions.get(member.lookup_id) if member.lookup_id else None,
            notifications=notifications,
            audit=self._audit.for_target(f"MEMBER#{member.id}"),
            elsewhere=self._register.export(Person(member.id, member.lookup_id)),
        )

    def _notifications(self, member_id: str) -> list[dict[str, Any]]:
        """What was sent to them: every item of their partition but the profile and group marks."""
        return [
            {k: val for k, val in item.items() if k not in ("pk",)}
            for item in self._members.partition(member_id)
            if item["sk"] != "PROFILE" and not str(item["sk"]).startswith("GROUP#")
        ]

    def _damaged_export(self, member_id: str, raw: dict[str, Any], now: datetime) -> MemberExport:
        """A record that cannot be read still gives its owner everything it holds: each part that
        can be read, read, and the rest as it is stored (as plain text where it is not plain data)."""
        lookup_id = raw.get("lookup_id") if isinstance(raw.get("lookup_id"), str) else None
        raw = unconfirmed_claims_hidden(raw)
        if isinstance(raw.get("email_change"), dict):
            raw = {
                **raw,
                "email_change": {
                    k: val for k, val in raw["email_change"].items() if k not in ("nonce", "lookup_id")
                },
            }
        consents = [c for c in _each(raw.get("consents"), Consent) if isinstance(c, Consent)]
        preferences = next(iter(_each([raw.get("preferences")], Preferences)), Preferences())
        groups = [g for g in raw.get("working_groups") or [] if isinstance(g, str)]
        names = {g.id: g.name for g in self._groups.all()}
        return MemberExport(
            exported_at=iso(now),
            # all of it as stored, but the machinery (keys, the address's hash, a single-use secret)
            profile={k: _plain_value(val) for k, val in raw.items() if k not in _MACHINERY},
            consents=consents,
            preferences=preferences if isinstance(preferences, Preferences) else Preferences(),
            working_groups=[GroupMembership(id=g, name=names.get(g)) for g in groups],
            pending_rejoin=raw.get("rejoin") if isinstance(raw.get("rejoin"), dict) else None,
            suppression=self._suppressions.get(lookup_id) if lookup_id else None,
            notifications=self._notifications(member_id),
            audit=self._audit.for_target(f"MEMBER#{member_id}"),
            elsewhere=self._register.export(Person(member_id, lookup_id)),
            damaged=True,
        )

    def erase(self, member_id: str, actor: str, now: datetime) -> ErasureReceipt:
        # The raw record, not the model: erasure must work on any stored record, valid or not.
        raw = self._members.get_raw(member_id, now)
        if raw is None:
            raise MemberNotFound(member_id)
        lookup_id = raw.get("lookup_id") if isinstance(raw.get("lookup_id"), str) else None
        # what other capabilities hold first: if one fails, the member is still here to erase again
        elsewhere = self._register.erase(Person(member_id, lookup_id))
        for group in self._groups.all():  # a group they led names them no more
            if group.lead_member_id == member_id:
                self._groups.update(group.id, {"lead_member_id": None}, now)
        deleted = self._members.erase(member_id, lookup_id) + elsewhere
        kept = ["anonymous count of erased members", "audit entries naming no one (ids and field names)"]
        if lookup_id:
            suppression = self._suppressions.get(lookup_id)
            if suppression and suppression.suppressed:
                kept.append("suppression of the address (a keyed hash), so it is never emailed again")
            elif suppression:
                self._db.delete_item(TableName=self._members_table, Key=suppression_key(lookup_id))
        self._db.update_item(
            TableName=self._members_table,
            Key={"pk": v("STATS"), "sk": v("MEMBERSHIP")},
            UpdateExpression="ADD erased_members :one",
            ExpressionAttributeValues={":one": v(1)},
        )
        self._audit.record(actor=actor, action="member.erase", target=f"MEMBER#{member_id}", now=now)
        return ErasureReceipt(member_id=member_id, erased_at=iso(now), items_deleted=deleted, kept=kept)
