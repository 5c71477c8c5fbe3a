"""Reading meetings. The meetings capability writes them; sign-up only needs the next one.

A meeting item carries the sparse `listing` key ("public") only while it is scheduled and public,
so the `by_start` index holds exactly the upcoming public meetings, in start order.
"""

from datetime import datetime
from typing import Any

from shared.clock import iso
from shared.dynamo import from_item
from shared.dynamo import value as v
from shared.model import Model

PUBLIC_LISTING = "public"


class MeetingSummary(Model):
    id: str
    title: str
    starts_at: str  # ISO 8601, UTC
    ends_at: str | None = None
    location: str | None = None


class MeetingReader:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def next_public(self, now: datetime) -> MeetingSummary | None:
        page = self._db.query(
            TableName=self._table,
            IndexName="by_start",
            KeyConditionExpression="listing = :l AND starts_at >= :now",
            ExpressionAttributeValues={":l": v(PUBLIC_LISTING), ":now": v(iso(now))},
            Limit=1,
        )
        items = page.get("Items", [])
        return MeetingSummary.model_validate(from_item(items[0])) if items else None
