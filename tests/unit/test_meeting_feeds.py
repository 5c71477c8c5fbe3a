"""A member's private calendar feed against a DynamoDB that cancels a transaction because another
write to the same item is in flight (`TransactionConflict`), as real DynamoDB does when a member
and an administrator change the feed at once (neither moto nor DynamoDB Local ever does)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.errors import Conflict
from shared.meetings.repository import FeedBusy, MeetingRepository
from tests.unit.test_groups import Racing

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class NoFeedYet(Racing):
    def get_item(self, **_kwargs: Any) -> dict[str, Any]:
        return {}


def test_a_feed_change_cancelled_by_a_conflicting_write_is_tried_again() -> None:
    table = NoFeedYet(conflicts=1)
    assert MeetingRepository(table, "meetings").set_feed("m1", "link-a", NOW) is False
    assert len(table.transactions) == 2


def test_a_feed_change_that_keeps_meeting_conflicts_is_a_409_never_a_500() -> None:
    table = NoFeedYet(conflicts=99)
    with pytest.raises(FeedBusy) as refused:
        MeetingRepository(table, "meetings").set_feed("m1", "link-a", NOW)
    assert isinstance(refused.value, Conflict) and refused.value.status == 409
    assert len(table.transactions) == 3
