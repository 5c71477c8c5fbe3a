"""Who a meeting or an announcement goes to, a page at a time, from the members table's indexes.

Never a scan: every active member is the `by_status` index's `active` partition, a role's members
the `by_role` index (then only the active ones), a working group's the `by_group` index (its active
members' membership items, whose profiles are read in one BatchGetItem). A page is at most `limit`
members and a cursor that says where the next starts, so one run serves 25 members or 100,000, and
each page is one message on the mail queue (`shared.meetings.mailing`).

Mail goes to active members only. The minutes and the letters also count the members whose emails
bounce for good (`suppressed` after being active): they are still members and still invited, so the
Secretary phones or writes to them (`unreachable=True`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from shared.dynamo import batch_get, from_item
from shared.dynamo import value as v
from shared.members.models import Member, MemberStatus
from shared.members.repository import expired, member_key, valid_members

PAGE = 25  # one TransactWriteItems of claims, one BatchWriteItem of marks, per page


class Page(NamedTuple):
    members: list[Member]
    cursor: dict[str, Any] | None  # where the next page starts; None: this was the last


def _parts(audience: Any, unreachable: bool) -> list[tuple[str, str]]:
    """(index, partition value) to read, in order: one per role for a roles audience."""
    kind = audience.type
    if kind in ("all", "newsletters"):
        statuses = [MemberStatus.ACTIVE, MemberStatus.SUPPRESSED] if unreachable else [MemberStatus.ACTIVE]
        return [("by_status", status.value) for status in statuses]
    if kind == "roles":
        return [("by_role", role.value) for role in audience.roles]
    return [("by_group", str(audience.id))]


def invited(member: Member, unreachable: bool) -> bool:
    """An active member; with `unreachable`, also one whose emails bounce for good after being active."""
    return member.status is MemberStatus.ACTIVE or (unreachable and member.taking_part)


def bounced(member: Member) -> bool:
    """Invited, but emails to them bounce for good: phone or post."""
    return member.status is MemberStatus.SUPPRESSED


def by_post(member: Member) -> bool:
    """Reached by phone or post, not email: they have no address, or emails to it bounce."""
    return not member.email or bounced(member)


_KEYS = {
    "by_status": ("status", ("pk", "sk", "status", "listed_at")),
    "by_role": ("role", ("pk", "sk", "role", "listed_at")),
    "by_group": ("group_id", ("pk", "sk", "group_id", "member_id")),
}


class Audiences:
    def __init__(self, client: Any, members_table: str) -> None:
        self._db = client
        self._table = members_table

    def page(
        self, audience: Any, cursor: dict[str, Any] | None, limit: int = PAGE, unreachable: bool = False
    ) -> Page:
        parts = _parts(audience, unreachable)
        part = int((cursor or {}).get("part", 0))
        if part >= len(parts):
            return Page([], None)
        index, value = parts[part]
        attribute, _ = _KEYS[index]
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": attribute},
            "ExpressionAttributeValues": {":v": v(value)},
            "Limit": limit,
        }
        if cursor and cursor.get("key"):
            kwargs["ExclusiveStartKey"] = cursor["key"]
        found = self._db.query(**kwargs)
        items = [from_item(i) for i in found.get("Items", [])]
        if index == "by_group":  # membership items: read the profiles they name, in one call
            items = batch_get(self._db, self._table, [member_key(str(i["member_id"])) for i in items])
        members = [
            m for m in valid_members(i for i in items if i.get("sk") == "PROFILE") if invited(m, unreachable)
        ]
        last = found.get("LastEvaluatedKey")
        if last:
            following: dict[str, Any] | None = {"part": part, "key": last}
        elif part + 1 < len(parts):
            following = {"part": part + 1, "key": None}
        else:
            following = None
        return Page(members, following)

    def member(self, member_id: str, now: datetime) -> Member | None:
        """One member, if their record is there, can be read, and has not expired (an unconfirmed
        sign-up is not a member)."""
        items = batch_get(self._db, self._table, [member_key(member_id)])
        found = valid_members(item for item in items if not expired(item, now))
        return found[0] if found else None

    def everyone(self, audience: Any, unreachable: bool = False) -> list[Member]:
        """Every member of the audience; with `unreachable`, those whose emails bounce too (for the
        minutes and the console's lists of people to phone or write to)."""
        found: list[Member] = []
        cursor: dict[str, Any] | None = None
        while True:
            page = self.page(audience, cursor, limit=100, unreachable=unreachable)
            found += page.members
            if page.cursor is None:
                return found
            cursor = page.cursor
