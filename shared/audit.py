"""The audit trail of administrators' changes: who, what, when — and never a copy of personal data.

An entry names the administrator (their Cognito `sub`), the action, the target by its opaque id, and
the *names* of the fields that changed, never their values (a changed role is health data; a
changed name is a name). Entries live in their own table, keyed by target, so a member's export can
include what was done to their record; they expire after two years.
"""

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field

from shared.clock import epoch, iso
from shared.dynamo import BadCursor, decode_cursor, encode_cursor, from_item, query_all, start_key, to_item
from shared.dynamo import value as v
from shared.model import Model

RETENTION = timedelta(days=730)


class AuditEntry(Model):
    target: str  # e.g. MEMBER#<id>, GROUP#<id>
    at: str
    id: str
    actor: str  # the administrator's Cognito sub, or "member" for self-service
    action: str  # e.g. member.update, member.erase, group.create
    fields: list[str] = Field(default_factory=list)


class AuditPage(Model):
    items: list[AuditEntry]
    next: str | None


class AuditTrail:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def record(
        self, *, actor: str, action: str, target: str, now: datetime, fields: list[str] | None = None
    ) -> None:
        entry = AuditEntry(
            target=target,
            at=iso(now),
            # time-ordered, so entries made in the same second list in the order they were made
            id=f"{time.time_ns():020d}{uuid.uuid4().hex[:12]}",
            actor=actor,
            action=action,
            fields=sorted(fields or []),
        )
        item = {
            "target": entry.target,
            "sk": f"{entry.at}#{entry.id}",
            "month": entry.at[:7],
            **entry.model_dump(exclude={"target"}),
            "expires_at": epoch(now + RETENTION),
        }
        # Append-only: an entry is written once and never replaced (the functions' roles hold no
        # UpdateItem, DeleteItem or BatchWriteItem on this table either).
        self._db.put_item(
            TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(target)"
        )

    def for_target(self, target: str) -> list[AuditEntry]:
        items = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="target = :t",
            ExpressionAttributeValues={":t": v(target)},
        )
        return [AuditEntry.model_validate(item) for item in items]

    def month(self, month: str, limit: int, cursor: str | None) -> AuditPage:
        """Newest first, for one calendar month ("2026-11")."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_month",
            "KeyConditionExpression": "#m = :m",
            "ExpressionAttributeNames": {"#m": "month"},
            "ExpressionAttributeValues": {":m": v(month)},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            started = start_key(decode_cursor(cursor), ("target", "sk", "month"))
            if started["month"]["S"] != month:  # a cursor from another month's listing
                raise BadCursor("cursor is not valid")
            kwargs["ExclusiveStartKey"] = started
        try:
            page = self._db.query(**kwargs)
        except ClientError as exc:
            if cursor and exc.response.get("Error", {}).get("Code") == "ValidationException":
                raise BadCursor("cursor is not valid") from exc
            raise
        last = page.get("LastEvaluatedKey")
        return AuditPage(
            items=[AuditEntry.model_validate(from_item(i)) for i in page.get("Items", [])],
            next=encode_cursor(last) if last else None,
        )
