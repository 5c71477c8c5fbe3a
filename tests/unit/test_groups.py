"""Working groups against a DynamoDB that cancels a transaction because another write to the same
item is in flight (`TransactionConflict`), as real DynamoDB does when two administrators race."""

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.dynamo import to_item
from shared.groups import GroupChanged, GroupInput, GroupRepository, group_key

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Racing:
    """A table with no groups whose transactions are cancelled by a conflict `conflicts` times."""

    def __init__(self, conflicts: int) -> None:
        self.conflicts = conflicts
        self.transactions: list[list[dict[str, Any]]] = []

    def query(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Items": []}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.transactions.append(TransactItems)
        if len(self.transactions) <= self.conflicts:
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}]
            raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")
        return {}


def test_a_create_cancelled_by_a_conflicting_write_is_tried_again():
    table = Racing(conflicts=1)
    group = GroupRepository(table, "members").create(GroupInput(name="Alpha", purpose="x"), NOW)
    assert group.name == "Alpha" and len(table.transactions) == 2


def test_a_create_that_keeps_meeting_conflicts_is_a_409_to_try_again_never_a_500():
    table = Racing(conflicts=99)
    with pytest.raises(GroupChanged) as refused:
        GroupRepository(table, "members").create(GroupInput(name="Alpha", purpose="x"), NOW)
    assert refused.value.status == 409
    assert len(table.transactions) == 3


class Busy(Racing):
    """One stored group, whose changes meet an in-flight transaction `conflicts` times."""

    def __init__(self, conflicts: int) -> None:
        super().__init__(conflicts=conflicts)
        group = {"id": "alpha", "name": "Alpha", "purpose": "x", "status": "open", "version": 1}
        group |= {"created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"}
        self.item = {**to_item(group), **group_key("alpha")}

    def get_item(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Item": self.item}


@pytest.mark.parametrize("change", [{"purpose": "Support"}, {"name": "ALPHA"}, {"status": "closed"}])
def test_an_edit_that_meets_an_in_flight_transaction_is_tried_again_then_a_409(change):
    # (a change of capitals only is no rename: the group's write alone, like any edit and closing)
    assert GroupRepository(Busy(conflicts=1), "members").update("alpha", change, NOW).version == 2
    with pytest.raises(GroupChanged) as refused:
        GroupRepository(Busy(conflicts=99), "members").update("alpha", change, NOW)
    assert refused.value.status == 409


def test_a_single_write_that_meets_an_in_flight_transaction_is_a_409_to_try_again():
    # any repository's conditional write: never a 500 for a moment's overlap
    from shared.dynamo import WriteConflict, write_if

    def put_item(**_kwargs: Any) -> None:
        error = {"Code": "TransactionConflictException", "Message": "Transaction is ongoing"}
        raise ClientError({"Error": error}, "PutItem")

    with pytest.raises(WriteConflict) as refused:
        write_if(put_item, TableName="members", Item={})
    assert refused.value.status == 409
