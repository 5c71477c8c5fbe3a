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

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.clock import epoch
from shared.dynamo import (
    BadCursor,
    decode_cursor,
    encode_cursor,
    from_item,
    is_condition_failure,
    query_all,
    to_item,
)
from shared.dynamo import value as v
from shared.members.models import Member, MemberStatus, Role

PROFILE = "PROFILE"
POINTER = "EMAIL"
STATUS_ORDER = (MemberStatus.ACTIVE, MemberStatus.PENDING, MemberStatus.UNSUBSCRIBED, MemberStatus.SUPPRESSED)


class AlreadyRegistered(Exception):
    """Another sign-up holds this address (a race, or a double click)."""


class MemberNotFound(Exception):
    """No such member: erased, or an unconfirmed sign-up that expired."""


class StaleMember(Exception):
    """The member changed since it was read; the caller's decision no longer holds."""


def member_key(member_id: str) -> dict[str, Any]:
    return {"pk": v(f"MEMBER#{member_id}"), "sk": v(PROFILE)}


def pointer_key(lookup_id: str) -> dict[str, Any]:
    return {"pk": v(f"EMAIL#{lookup_id}"), "sk": v(POINTER)}


def _expired(item: dict[str, Any], now: datetime) -> bool:
    expires = item.get("expires_at")
    return expires is not None and int(expires) <= epoch(now)


class MemberRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- reads ------------------------------------------------------------------------------

    def get(self, member_id: str, now: datetime) -> Member | None:
        found = self._db.get_item(TableName=self._table, Key=member_key(member_id), ConsistentRead=True)
        if "Item" not in found:
            return None
        item = from_item(found["Item"])
        return None if _expired(item, now) else _member(item)

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
        if _expired(pointer, now):
            return None
        return self.get(pointer["member_id"], now)

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
        part = int(state.get("part", 0))
        start_key = state.get("key")
        if not 0 <= part < len(partitions) or (start_key is not None and not isinstance(start_key, dict)):
            raise BadCursor("cursor is not valid")
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
                filters.append("contains(name_search, :q)")
                query["ExpressionAttributeValues"][":q"] = v(name_contains)
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
            members.extend(_member(from_item(item)) for item in page.get("Items", []))
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                part += 1
        if part >= len(partitions):
            return members, None
        return members, encode_cursor({"part": part, "key": start_key} if start_key else {"part": part})

    # --- writes -----------------------------------------------------------------------------

    def create_pending(self, member: Member, now: datetime) -> None:
        """Store a new pending member and claim its address, atomically."""
        assert member.lookup_id and member.expires_at
        profile = {**member_key(member.id), **to_item(_attributes(member))}
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
            ],
        )

    def replace_pending(self, member: Member, expected_sent_at: str | None) -> None:
        """Overwrite a pending sign-up with newer details, if nobody else changed it meanwhile."""
        item = {**member_key(member.id), **to_item(_attributes(member))}
        condition = "#s = :pending AND "
        values: dict[str, Any] = {":pending": v(MemberStatus.PENDING.value)}
        if expected_sent_at is None:
            condition += "attribute_not_exists(confirmation_sent_at)"
        else:
            condition += "confirmation_sent_at = :sent"
            values[":sent"] = v(expected_sent_at)
        self._conditional(
            self._db.put_item,
            TableName=self._table,
            Item=item,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def set_timestamp(self, member_id: str, field: str, at: str | None, expected: str | None) -> None:
        """Set (or clear, with at=None) a *_sent_at field, if it still holds `expected`."""
        names = {"#f": field}
        values: dict[str, Any] = {}
        if expected is None:
            condition = "attribute_exists(pk) AND attribute_not_exists(#f)"
        else:
            condition = "#f = :expected"
            values[":expected"] = v(expected)
        if at is None:
            update = "REMOVE #f"
        else:
            update = "SET #f = :at"
            values[":at"] = v(at)
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": member_key(member_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        self._conditional(self._db.update_item, **kwargs)

    def activate(self, member: Member, nonce: str, confirmed_at: str) -> None:
        """pending -> active, once: the nonce is consumed, and both items stop expiring."""
        assert member.lookup_id
        self._conditional(
            self._db.transact_write_items,
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": member_key(member.id),
                        # welcome_sent_at is claimed here too: exactly one welcome email
                        "UpdateExpression": "SET #s = :active, confirmed_at = :at, welcome_sent_at = :at "
                        "REMOVE expires_at, confirm_nonce",
                        "ConditionExpression": "#s = :pending AND confirm_nonce = :nonce",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":active": v(MemberStatus.ACTIVE.value),
                            ":pending": v(MemberStatus.PENDING.value),
                            ":nonce": v(nonce),
                            ":at": v(confirmed_at),
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
                    {"Put": {"TableName": self._table, "Item": _membership(member, g)}}
                    for g in member.working_groups
                ],
            ],
        )

    # --- lifecycle (issue: preferences, unsubscribe, suppression, erasure) ----------------------

    def save(self, member: Member, expected_status: MemberStatus | None = None) -> None:
        """Write the whole profile back, if it still exists (and still has `expected_status`)."""
        condition = "attribute_exists(pk)"
        kwargs: dict[str, Any] = {}
        if expected_status is not None:
            condition += " AND #s = :expected"
            kwargs = {
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":expected": v(expected_status.value)},
            }
        self._conditional(
            self._db.put_item,
            TableName=self._table,
            Item={**member_key(member.id), **to_item(_attributes(member))},
            ConditionExpression=condition,
            **kwargs,
        )

    def create_active(self, member: Member) -> None:
        """An active member added by an administrator (in person, perhaps without email)."""
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**member_key(member.id), **to_item(_attributes(member))},
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
            {"Put": {"TableName": self._table, "Item": _membership(member, g)}} for g in member.working_groups
        ]
        self._conditional(self._db.transact_write_items, conflict=AlreadyRegistered, TransactItems=items)

    def set_groups(self, member: Member, groups: list[str], changes: dict[str, Any] | None = None) -> Member:
        """Change a member's working groups (and other profile fields) in one transaction; active
        members also get the membership items the by_group index lists."""
        updated = member.model_copy(update={**(changes or {}), "working_groups": sorted(set(groups))})
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**member_key(member.id), **to_item(_attributes(updated))},
                    "ConditionExpression": "attribute_exists(pk) AND #s = :s",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":s": v(member.status.value)},
                }
            }
        ]
        listed = set(member.working_groups) if member.status is MemberStatus.ACTIVE else set()
        wanted = set(updated.working_groups) if updated.status is MemberStatus.ACTIVE else set()
        items += [
            {"Put": {"TableName": self._table, "Item": _membership(updated, g)}}
            for g in sorted(wanted - listed)
        ]
        items += [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": v(f"MEMBER#{member.id}"), "sk": v(f"GROUP#{g}")},
                }
            }
            for g in sorted(listed - wanted)
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
        self._conditional(self._db.transact_write_items, TransactItems=items)
        return updated

    def mark_suppressed(self, lookup_id: str, now: datetime) -> bool:
        """The member holding a suppressed address (if any) becomes `suppressed`; lifting the
        suppression restores their previous status."""
        member = self.find_by_lookup_id(lookup_id, now)
        if member is None or member.status is MemberStatus.SUPPRESSED:
            return False
        try:
            self.set_groups(
                member,
                member.working_groups,
                changes={"status": MemberStatus.SUPPRESSED, "status_before_suppression": member.status},
            )
        except StaleMember:
            return False
        return True

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
        members: list[Member] = []
        for start in range(0, len(member_ids), 100):
            keys = [member_key(i) for i in member_ids[start : start + 100]]
            request: dict[str, Any] = {self._table: {"Keys": keys}}
            while request:
                page = self._db.batch_get_item(RequestItems=request)
                for item in page.get("Responses", {}).get(self._table, []):
                    data = from_item(item)
                    if not _expired(data, now):
                        members.append(_member(data))
                request = page.get("UnprocessedKeys") or {}
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

    def erase(self, member: Member) -> int:
        """Delete every item of the member and their address pointer. Returns the items deleted."""
        keys = [{"pk": v(item["pk"]), "sk": v(item["sk"])} for item in self.partition(member.id)]
        if member.lookup_id:
            keys.append(pointer_key(member.lookup_id))
        for start in range(0, len(keys), 25):
            request: dict[str, Any] = {
                self._table: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
            }
            while request:
                page = self._db.batch_write_item(RequestItems=request)
                request = page.get("UnprocessedItems") or {}
        return len(keys)

    def _conditional(self, call: Any, conflict: type[Exception] = StaleMember, **kwargs: Any) -> None:
        """Make a conditional write; a failed condition raises `conflict` (the caller's meaning)."""
        try:
            call(**kwargs)
        except ClientError as exc:
            if is_condition_failure(exc):
                raise conflict from exc
            raise


def _attributes(member: Member) -> dict[str, Any]:
    data = member.model_dump(mode="json")
    data["entity"] = "member"
    data["name_search"] = member.name.casefold()
    data["listed_at"] = f"{member.created_at}#{member.id}"
    return data


def _membership(member: Member, group_id: str) -> dict[str, Any]:
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
    return Member.model_validate(item)


__all__ = ["AlreadyRegistered", "BadCursor", "MemberNotFound", "MemberRepository", "StaleMember"]
