"""The members table.

Items (one table, string keys `pk`/`sk`):
- `MEMBER#<id>` / `PROFILE`: the member, with their consents and preferences. Carries `status`,
  `role` and `listed_at` for the by_status and by_role indexes.
- `EMAIL#<lookup id>` / `EMAIL`: points an address's keyed hash at the member id. It makes an
  address unique (a conditional write) without putting the address in a key.

Pending sign-ups carry `expires_at` on both items, so DynamoDB's TTL purges them after 7 days.
TTL deletion can lag by days, so reads also treat an expired item as absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from botocore.exceptions import ClientError
from pydantic import ValidationError

from shared.clock import epoch
from shared.dynamo import (
    BadCursor,
    batch_delete,
    batch_get,
    decode_cursor,
    encode_cursor,
    from_item,
    query_all,
    retries,
    to_item,
    version_condition,
    write_if,
)
from shared.dynamo import start_key as checked_start_key
from shared.dynamo import value as v
from shared.errors import Conflict, DamagedRecord, NotFound
from shared.members.models import LEGACY_PENDING, Member, MemberStatus, Role, upgrade
from shared.observability import damaged_record
from shared.text import searchable

PROFILE = "PROFILE"
POINTER = "EMAIL"
STATUS_ORDER = (MemberStatus.ACTIVE, MemberStatus.PENDING, MemberStatus.UNSUBSCRIBED, MemberStatus.SUPPRESSED)


class AlreadyRegistered(Conflict):
    """Another sign-up holds this address (a race, or a double click)."""

    message = "Already registered."
    fields: ClassVar[Mapping[str, str]] = {
        "email": "A member already has this email address: find them with the search (?q=<address>)"
    }


class MemberNotFound(NotFound):
    """No such member: erased, or an unconfirmed sign-up that expired."""

    message = "No such member (erased, or an unconfirmed sign-up that expired)."


class StaleMember(Conflict):
    """The member changed since it was read; the caller's decision no longer holds."""

    message = "The member changed while you were editing: reload and try again."


def member_key(member_id: str) -> dict[str, Any]:
    return {"pk": v(f"MEMBER#{member_id}"), "sk": v(PROFILE)}


def pointer_key(lookup_id: str) -> dict[str, Any]:
    return {"pk": v(f"EMAIL#{lookup_id}"), "sk": v(POINTER)}


def expired(item: Mapping[str, Any], now: datetime) -> bool:
    """A record past its `expires_at` (an unconfirmed sign-up), which DynamoDB's TTL has not yet
    deleted: read as not there."""
    expires = item.get("expires_at")
    return expires is not None and int(expires) <= epoch(now)


class MemberRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- reads ------------------------------------------------------------------------------

    def get_raw(self, member_id: str, now: datetime) -> dict[str, Any] | None:
        """The stored profile as plain values, without validating it (erasure must work on any
        record, even one that would not validate)."""
        found = self._db.get_item(TableName=self._table, Key=member_key(member_id), ConsistentRead=True)
        if "Item" not in found:
            return None
        item = from_item(found["Item"])
        return None if expired(item, now) else item

    def get(self, member_id: str, now: datetime) -> Member | None:
        """The member, read in the current shape; `DamagedRecord` (with what is stored) if the record
        cannot be read even so, so a page can show what it can, and export and erasure still work."""
        item = self.get_raw(member_id, now)
        if item is None:
            return None
        try:
            return _member(item)
        except ValidationError:
            damaged_record("member", member_id)
            raise DamagedRecord("member", member_id, item) from None

    def require(self, member_id: str, now: datetime) -> Member:
        member = self.get(member_id, now)
        if member is None:
            raise MemberNotFound(member_id)
        return member

    def find_by_lookup_id(self, lookup_id: str, now: datetime) -> Member | None:
        found = self._db.get_item(TableName=self._table, Key=pointer_key(lookup_id), ConsistentRead=True)
        if "Item" not in found:
            return None
        pointer = from_item(found["Item"])
        if expired(pointer, now):
            return None
        return self.get(pointer["member_id"], now)

    def find_with_suppression(self, lookup_id: str, now: datetime) -> tuple[Member | None, bool]:
        """The member holding an address (if any) and whether the address is suppressed, reading
        the address pointer and the suppression entry in one consistent BatchGetItem."""
        pointer, suppressed = self._pointer_and_suppression(lookup_id, now)
        member = self.get(pointer["member_id"], now) if pointer else None
        return member, suppressed

    def holds_with_suppression(self, lookup_id: str, now: datetime) -> tuple[bool, bool]:
        """Whether any record holds an address (its pointer is live) and whether it is suppressed:
        the same one read, without reading or validating the member it points to, so a record
        that no longer validates can never make a caller think the address is free."""
        pointer, suppressed = self._pointer_and_suppression(lookup_id, now)
        return pointer is not None, suppressed

    def _pointer_and_suppression(self, lookup_id: str, now: datetime) -> tuple[dict[str, Any] | None, bool]:
        from shared.email.suppression import suppression_key

        keys = [pointer_key(lookup_id), suppression_key(lookup_id)]
        found = batch_get(self._db, self._table, keys, consistent=True)
        pointer = next((i for i in found if i["sk"] == POINTER and not expired(i, now)), None)
        suppressed = any(i["sk"] == "SUPPRESSION" and i.get("suppressed") for i in found)
        return pointer, suppressed

    def page(
        self,
        *,
        status: MemberStatus | None,
        role: Role | None,
        limit: int,
        cursor: str | None,
        name_contains: str | None = None,
    ) -> tuple[list[Member], str | None]:
        """One page of members, newest first. Never scans: each filter is an index query."""
        state = decode_cursor(cursor) if cursor else {}
        if role is not None:
            partitions: tuple[tuple[str, str], ...] = (("by_role", role.value),)
        elif status is not None:
            partitions = (("by_status", status.value),)
        else:
            partitions = tuple(("by_status", s.value) for s in STATUS_ORDER)
        part = state.get("part", 0)
        if not isinstance(part, int) or not 0 <= part < len(partitions) or set(state) - {"part", "key"}:
            raise BadCursor("cursor is not valid")
        index_key = "role" if partitions[part][0] == "by_role" else "status"
        start_key = (
            checked_start_key(state["key"], ("pk", "sk", index_key, "listed_at")) if "key" in state else None
        )
        members: list[Member] = []
        while part < len(partitions) and len(members) < limit:
            index, key_value = partitions[part]
            key_name = "role" if index == "by_role" else "status"
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": index,
                "KeyConditionExpression": "#k = :k",
                "ExpressionAttributeNames": {"#k": key_name},
                "ExpressionAttributeValues": {":k": v(key_value)},
                "ScanIndexForward": False,
                "Limit": limit - len(members),
            }
            filters = []
            if role is not None and status is not None:
                filters.append("#s = :s")
                query["ExpressionAttributeNames"]["#s"] = "status"
                query["ExpressionAttributeValues"][":s"] = v(status.value)
            if name_contains:
                # a name search reads the index partitions and filters; fine for hundreds of members
                # (records written before accents were dropped hold the name in lower case only)
                filters.append("(contains(name_search, :q) OR contains(name_search, :raw))")
                query["ExpressionAttributeValues"][":q"] = v(searchable(name_contains))
                query["ExpressionAttributeValues"][":raw"] = v(name_contains.casefold())
            if filters:
                query["FilterExpression"] = " AND ".join(filters)
            if start_key:
                query["ExclusiveStartKey"] = start_key
            try:
                page = self._db.query(**query)
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ValidationException" and start_key:
                    raise BadCursor("cursor is not valid") from exc
                raise
            members.extend(valid_members(from_item(item) for item in page.get("Items", [])))
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                part += 1
        if part >= len(partitions):
            return members, None
        return members, encode_cursor({"part": part, "key": start_key} if start_key else {"part": part})

    def unreadable(self, now: datetime) -> list[str]:
        """The ids of the member records that cannot be read, whatever their status: for the
        console's "needs attention", so a record that lists and exports skip is found and put right
        (or erased). Ids only: nothing of what they hold."""
        found: list[str] = []
        for status in [*MemberStatus, LEGACY_PENDING]:
            items = query_all(
                self._db,
                TableName=self._table,
                IndexName="by_status",
                KeyConditionExpression="#k = :k",
                ExpressionAttributeNames={"#k": "status"},
                ExpressionAttributeValues={":k": v(str(status))},
            )
            for item in items:
                if expired(item, now):
                    continue
                try:
                    _member(item)
                except ValidationError:
                    found.append(str(item.get("pk", "")).removeprefix("MEMBER#"))
        return found

    def count(self, status: MemberStatus, now: datetime) -> int:
        """How many members have `status` (a count query on the index: no item is read out).
        Expired pending sign-ups, which DynamoDB's TTL has not removed yet, are not counted."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_status",
            "KeyConditionExpression": "#k = :k",
            "FilterExpression": "attribute_not_exists(expires_at) OR expires_at > :now",
            "ExpressionAttributeNames": {"#k": "status"},
            "ExpressionAttributeValues": {":k": v(status.value), ":now": {"N": str(epoch(now))}},
            "Select": "COUNT",
        }
        total = 0
        while True:
            page = self._db.query(**query)
            total += int(page.get("Count", 0))
            if not page.get("LastEvaluatedKey"):
                return total
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def unsubscribed_before(self, cutoff: str, now: datetime) -> list[Member]:
        """Unsubscribed members who unsubscribed at or before `cutoff` (one by_status partition,
        filtered: a few hundred members at most)."""
        items = query_all(
            self._db,
            TableName=self._table,
            IndexName="by_status",
            KeyConditionExpression="#s = :s",
            FilterExpression="unsubscribed_at <= :cutoff",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": v(MemberStatus.UNSUBSCRIBED.value), ":cutoff": v(cutoff)},
        )
        return valid_members(item for item in items if not expired(item, now))

    # --- writes -----------------------------------------------------------------------------

    def create_pending(self, member: Member, now: datetime, also: dict[str, Any] | None = None) -> None:
        """Store a new pending member and claim its address, atomically; `also` is one more `Put`
        for the same transaction (the send-once claim of its first confirmation email)."""
        assert member.lookup_id and member.expires_at
        profile = _item(member, version=1)
        pointer = {
            **pointer_key(member.lookup_id),
            **to_item({"member_id": member.id, "expires_at": member.expires_at}),
        }
        self._conditional(
            self._db.transact_write_items,
            conflict=AlreadyRegistered,
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": profile,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": pointer,
                        # free, or held by a pending sign-up that has expired but not yet been purged
                        "ConditionExpression": "attribute_not_exists(pk) OR expires_at <= :now",
                        "ExpressionAttributeValues": {":now": v(epoch(now))},
                    }
                },
                *([{"Put": also}] if also else []),
            ],
        )

    def replace_pending(self, member: Member) -> None:
        """Overwrite a pending sign-up with newer details, if nobody else changed it meanwhile."""
        item = _item(member, version=member.version + 1)
        locked, values = version_condition(member.version)
        condition = f"({locked}) AND #s IN (:pending, :legacy_pending)"
        values[":pending"] = v(MemberStatus.PENDING.value)
        values[":legacy_pending"] = v(LEGACY_PENDING)
        self._conditional(
            self._db.put_item,
            TableName=self._table,
            Item=item,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def activate(self, member: Member, nonce: str, confirmed_at: str, also: dict[str, Any]) -> None:
        """pending -> active, once: the nonce is consumed, and both items stop expiring. `also` is
        one more `Put` for the same transaction: the send-once claim of the welcome email, so a
        confirmation and its one welcome are claimed together."""
        assert member.lookup_id
        self._conditional(
            self._db.transact_write_items,
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": member_key(member.id),
                        # the role joins the by_role index only now, confirmed by the address's owner
                        "UpdateExpression": "SET #s = :active, confirmed_at = :at, "
                        "#r = :role REMOVE expires_at, confirm_nonce, pending_role ADD version :one",
                        "ConditionExpression": "#s IN (:pending, :legacy_pending) AND confirm_nonce = :nonce",
                        "ExpressionAttributeNames": {"#s": "status", "#r": "role"},
                        "ExpressionAttributeValues": {
                            ":active": v(MemberStatus.ACTIVE.value),
                            ":pending": v(MemberStatus.PENDING.value),
                            ":legacy_pending": v(LEGACY_PENDING),
                            ":nonce": v(nonce),
                            ":at": v(confirmed_at),
                            ":one": v(1),
                            ":role": v(member.role.value),
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": pointer_key(member.lookup_id),
                        "UpdateExpression": "REMOVE expires_at",
                        "ConditionExpression": "member_id = :id",
                        "ExpressionAttributeValues": {":id": v(member.id)},
                    }
                },
                # active members are listed in their working groups
                *[
                    {"Put": {"TableName": self._table, "Item": _group_membership_item(member, g)}}
                    for g in member.working_groups
                ],
                {"Put": also},
            ],
        )

    def move_address(self, member: Member, changes: dict[str, Any], now: datetime) -> Member:
        """Give the member a new address (`changes` holds `email` and `lookup_id`): the profile, the
        new address's pointer (refused if another member holds the address: AlreadyRegistered) and
        the old one's removal, in one transaction conditional on the version read."""
        lookup_id = str(changes["lookup_id"])
        pointer: dict[str, Any] = {**pointer_key(lookup_id), **to_item({"member_id": member.id})}
        expires_at = changes.get("expires_at", member.expires_at)
        if expires_at is not None:
            pointer["expires_at"] = v(expires_at)
        also: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": pointer,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if member.lookup_id and member.lookup_id != lookup_id:
            also.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": pointer_key(member.lookup_id),
                        "ConditionExpression": "member_id = :id",
                        "ExpressionAttributeValues": {":id": v(member.id)},
                    }
                }
            )
        try:
            return self.write_profile(member, member.working_groups, changes=changes, also=also)
        except StaleMember:
            # the profile changed, or the new address is held: say which
            holder = self.find_by_lookup_id(lookup_id, now)
            if holder is not None and holder.id != member.id:
                raise AlreadyRegistered from None
            raise

    # --- lifecycle (issue: preferences, unsubscribe, suppression, erasure) ----------------------

    def save(self, member: Member, expected_status: MemberStatus | None = None) -> Member:
        """Write the whole profile back, if nobody changed it since it was read (its version) and it
        still has `expected_status`. Returns the member as stored (with its new version)."""
        locked, values = version_condition(member.version)
        condition = f"attribute_exists(pk) AND ({locked})"
        kwargs: dict[str, Any] = {}
        if expected_status is not None:
            condition += " AND #s = :expected"
            kwargs = {"ExpressionAttributeNames": {"#s": "status"}}
            values[":expected"] = v(expected_status.value)
        stored = _validated(member, version=member.version + 1)
        self._conditional(
            self._db.put_item,
            TableName=self._table,
            Item=_item(stored, version=stored.version),
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            **kwargs,
        )
        return stored

    def create_active(self, member: Member) -> None:
        """An active member added by an administrator (in person, perhaps without email)."""
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item(member, version=1),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if member.lookup_id:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {**pointer_key(member.lookup_id), **to_item({"member_id": member.id})},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        items += [
            {"Put": {"TableName": self._table, "Item": _group_membership_item(member, g)}}
            for g in member.working_groups
        ]
        self._conditional(self._db.transact_write_items, conflict=AlreadyRegistered, TransactItems=items)

    def write_profile(
        self,
        member: Member,
        groups: list[str],
        changes: dict[str, Any] | None = None,
        also: list[dict[str, Any]] | None = None,
    ) -> Member:
        """Write the profile with `changes` and these working groups, in one transaction; members
        taking part (`Member.taking_part`: active, or their emails bounce) also get the membership
        items the by_group index lists. `also`: more items for the same transaction (an address's
        pointers)."""
        updated = _validated(
            member,
            version=member.version + 1,
            **{**(changes or {}), "working_groups": sorted(set(groups))},
        )
        locked, values = version_condition(member.version)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item(updated, version=updated.version),
                    "ConditionExpression": f"attribute_exists(pk) AND ({locked})",
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        wanted = set(updated.working_groups) if updated.taking_part else set()
        if updated.status is not member.status:
            # every item is written again (a Put of one that exists changes nothing), so a record
            # left by an older rule (suppression used to delete a member's items) is whole again
            # once their status moves on
            to_put, to_delete = sorted(wanted), sorted(set(member.working_groups) - wanted)
        else:
            listed = set(member.working_groups) if member.taking_part else set()
            to_put, to_delete = sorted(wanted - listed), sorted(listed - wanted)
        items += [
            {"Put": {"TableName": self._table, "Item": _group_membership_item(updated, g)}} for g in to_put
        ]
        items += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": v(f"MEMBER#{member.id}"), "sk": v(f"GROUP#{g}")},
                }
            }
            for g in to_delete
        ]
        if member.lookup_id and updated.expires_at != member.expires_at:
            # the address pointer expires (or stops expiring) together with the profile
            pointer: dict[str, Any] = {
                "TableName": self._table,
                "Key": pointer_key(member.lookup_id),
                "ConditionExpression": "member_id = :id",
                "ExpressionAttributeValues": {":id": v(member.id)},
            }
            if updated.expires_at is None:
                pointer["UpdateExpression"] = "REMOVE expires_at"
            else:
                pointer["UpdateExpression"] = "SET expires_at = :e"
                pointer["ExpressionAttributeValues"][":e"] = v(updated.expires_at)
            items.append({"Update": pointer})
        items += also or []
        self._conditional(self._db.transact_write_items, TransactItems=items)
        return updated

    def change(self, member_id: str, now: datetime, mutate: Callable[[Member], Change | None]) -> Member:
        """Read the member, let `mutate` decide the change from what is stored *now*, and write it,
        conditional on the version read. A lost race is retried on the fresh record (so a member's
        preference save and an administrator's edit both land), then answered with StaleMember (a
        409). `mutate` returns None when there is nothing to do, or raises to refuse."""
        for _ in retries(StaleMember(member_id)):
            member = self.require(member_id, now)
            decided = mutate(member)
            if decided is None:
                return member
            try:
                return self.write_profile(member, decided.groups, changes=decided.fields)
            except StaleMember:
                continue
        raise AssertionError("unreachable: retries() raises when the attempts run out")

    def mark_suppressed(self, lookup_id: str, now: datetime) -> bool:
        """The member holding a suppressed address (if any) becomes `suppressed`; lifting the
        suppression restores their previous status. Safe to repeat (a retried SES event). A member
        who has unsubscribed stays unsubscribed (nothing is sent to them anyway), so that the grace
        period and the removal of their profile still apply to them."""
        pointer = self.find_by_lookup_id(lookup_id, now)
        if pointer is None:
            return False
        changed = False

        def suppress(member: Member) -> Change | None:
            nonlocal changed
            if member.status in (MemberStatus.SUPPRESSED, MemberStatus.UNSUBSCRIBED):
                return None
            changed = True
            return Change(
                member.working_groups,
                {"status": MemberStatus.SUPPRESSED, "status_before_suppression": member.status},
            )

        self.change(pointer.id, now, suppress)
        return changed

    def group_member_ids(self, group_id: str) -> list[str]:
        items = query_all(
            self._db,
            TableName=self._table,
            IndexName="by_group",
            KeyConditionExpression="group_id = :g",
            ExpressionAttributeValues={":g": v(group_id)},
        )
        return [item["member_id"] for item in items]

    def get_many(self, member_ids: list[str], now: datetime) -> list[Member]:
        items = batch_get(self._db, self._table, [member_key(i) for i in member_ids])
        members = valid_members(data for data in items if not expired(data, now))
        order = {member_id: n for n, member_id in enumerate(member_ids)}
        return sorted(members, key=lambda m: order.get(m.id, 0))

    def partition(self, member_id: str) -> list[dict[str, Any]]:
        """Every item stored under the member (profile, group memberships, notification records)."""
        return query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": v(f"MEMBER#{member_id}")},
            ConsistentRead=True,
        )

    def erase(self, member_id: str, lookup_id: str | None) -> int:
        """Delete every item of the member and their address pointer. Returns the items deleted."""
        keys = [{"pk": v(item["pk"]), "sk": v(item["sk"])} for item in self.partition(member_id)]
        if lookup_id:
            keys.append(pointer_key(lookup_id))
        return batch_delete(self._db, self._table, keys)

    def _conditional(self, call: Any, conflict: type[Exception] = StaleMember, **kwargs: Any) -> None:
        """Make a conditional write; a failed condition raises `conflict` (the caller's meaning)."""
        if not write_if(call, **kwargs):
            raise conflict


def _validated(member: Member, **changes: Any) -> Member:
    """The member with `changes`, validated again: `model_copy(update=...)` does not validate, and
    an unvalidated value (a null role, a name with a line break) must never reach the table."""
    return Member.model_validate({**member.model_dump(), **changes})


def _item(member: Member, version: int) -> dict[str, Any]:
    """The profile item of `member` as it will be stored, validated, at `version`."""
    return {**member_key(member.id), **to_item(_attributes(_validated(member, version=version)))}


def _attributes(member: Member) -> dict[str, Any]:
    data = member.model_dump(mode="json")
    if member.confirmed_at is None:
        # Anyone can type any address and "patient" into the form: until the address's owner confirms,
        # the role is kept aside (`pending_role`), out of the by_role index and out of admin lists.
        data["pending_role"] = data.pop("role")
    data["entity"] = "member"
    data["name_search"] = searchable(member.name) if member.name else None
    data["listed_at"] = f"{member.created_at}#{member.id}"
    return data


def _group_membership_item(member: Member, group_id: str) -> dict[str, Any]:
    return to_item(
        {
            "pk": f"MEMBER#{member.id}",
            "sk": f"GROUP#{group_id}",
            "entity": "group_membership",
            "group_id": group_id,
            "member_id": member.id,
        }
    )


def _member(item: dict[str, Any]) -> Member:
    if "role" not in item and "pending_role" in item:  # an unconfirmed sign-up's role, kept aside
        item = {**item, "role": item["pending_role"]}
    return Member.model_validate(upgrade(item))


def valid_members(items: Iterable[dict[str, Any]]) -> list[Member]:
    """The items that validate; one that does not is logged by id, counted and skipped, so one bad
    record can never take down a list, a CSV or a notification run."""
    found = []
    for item in items:
        try:
            found.append(_member(item))
        except ValidationError:
            damaged_record("member", str(item.get("id", "?")))
    return found


@dataclass(frozen=True)
class Change:
    """What `MemberRepository.change` writes: the member's groups and the profile fields to set."""

    groups: list[str]
    fields: dict[str, Any] = field(default_factory=dict)


__all__ = ["AlreadyRegistered", "BadCursor", "Change", "MemberNotFound", "MemberRepository", "StaleMember"]
