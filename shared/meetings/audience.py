"""Who a meeting or an announcement goes to, a page at a time, from the members table's indexes.

Never a scan: every active member is the `by_status` index's `active` partition, a role's members
the `by_role` index (then only the active ones), a working group's the `by_group` index (its active
members' membership items, whose profiles are read in one BatchGetItem). A page is at most `limit`
members and a cursor that says where the next starts, so one run serves 25 members or 100,000, and
each page is one message on the mail queue (`shared.meetings.mailing`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from shared.dynamo import batch_get, from_item
from shared.dynamo import value as v
from shared.members.models import Member, MemberStatus
from shared.members.repository import member_key, valid_members

PAGE = 25  # one TransactWriteItems of claims, one BatchWriteItem of marks, per page


class Page(NamedTuple):
    members: list[Member]
    cursor: dict[str, Any] | None  # where the next page starts; None: this was the last


def _parts(audience: Any) -> list[tuple[str, str]]:
    """(index, partition value) to read, in order: one per role for a roles audience."""
    kind = audience.type
    if kind in ("all", "newsletters"):
        return [("by_status", MemberStatus.ACTIVE.value)]
    if kind == "roles":
        return [("by_role", role.value) for role in audience.roles]
    return [("by_group", str(audience.id))]


_KEYS = {
    "by_status": ("status", ("pk", "sk", "status", "listed_at")),
    "by_role": ("role", ("pk", "sk", "role", "listed_at")),
    "by_group": ("group_id", ("pk", "sk", "group_id", "member_id")),
}


class Audiences:
    def __init__(self, client: Any, members_table: str) -> None:
        self._db = client
        self._table = members_table

    def page(self, audience: Any, cursor: dict[str, Any] | None, limit: int = PAGE) -> Page:
        parts = _parts(audience)
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
            m
            for m in valid_members(i for i in items if i.get("sk") == "PROFILE")
            if m.status is MemberStatus.ACTIVE
        ]
        last = found.get("LastEvaluatedKey")
        if last:
            following: dict[str, Any] | None = {"part": part, "key": last}
        elif part + 1 < len(parts):
            following = {"part": part + 1, "key": None}
        else:
            following = None
        return Page(members, following)

    def everyone(self, audience: Any) -> list[Member]:
        """Every member of the audience (for the console's lists of people to phone or write to)."""
        found: list[Member] = []
        cursor: dict[str, Any] | None = None
        while True:
            page = self.page(audience, cursor, limit=100)
            found += page.members
            if page.cursor is None:
                return found
            cursor = page.cursor
