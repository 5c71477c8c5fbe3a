"""What sign-up reads of the meetings table: the next public meeting (`by_start` index). Apart from
`shared.meetings.repository` so that the members' functions, which need only this, do not import
the meetings capability's models on their cold start."""

from datetime import datetime
from typing import Any

from shared.clock import iso
from shared.dynamo import from_item
from shared.dynamo import value as v
from shared.model import Model

PUBLIC_LISTING = "public"
# a public meeting that was cancelled, kept in the calendar feeds (cancelled) until it starts
CANCELLED_LISTING = "public-cancelled"


class MeetingSummary(Model):
    """What sign-up's welcome and confirmation page say about the next meeting."""

    id: str
    title: str
    starts_at: str  # ISO 8601, UTC
    ends_at: str | None = None
    location: str | None = None


class MeetingReader:
    """Sign-up only needs the next public meeting."""

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
        items = [from_item(i) for i in page.get("Items", [])]
        if not items:
            return None
        item = items[0]
        place = item.get("location")
        if isinstance(place, dict):
            item = {**item, "location": ", ".join(str(place.get(k)) for k in ("name",) if place.get(k))}
        return MeetingSummary.model_validate(item)
