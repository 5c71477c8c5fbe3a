"""A section's publication record, in the publishing capability's own table: who may publish now
(a lease), which version numbers are taken, which versions are kept, and what happened.

One item, `pk = SITE#<section>`, `sk = PUBLICATION`:
- `lock_owner`, `lock_until`: the lease of the publication or rollback under way. A second one is
  refused (`PublicationBusy`, a 409) until it ends, or until its lease runs out (longer than any
  function may run, so a crashed holder can never act after another took over);
- `next_version`: the last number handed out; numbers are never reused, so a version that failed
  half-way can never be mistaken for another;
- `pending`: the version the lease holder is writing; still there at the next acquisition, it means
  that publication stopped half-way, and its leftovers are cleaned up first;
- `head`: the newest complete version (its routes are all written), which the next one builds on;
- `versions`: the complete versions kept, newest first, with who published them and what changed;
- `history`: the last publications and rollbacks.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from shared.clock import epoch, iso
from shared.dynamo import from_item, is_condition_failure, write_if
from shared.dynamo import value as v
from shared.errors import Conflict

HISTORY_KEPT = 30


class PublicationBusy(Conflict):
    message = "Someone else is publishing just now. Nothing was changed: wait a minute and try again."


class VersionInfo(NamedTuple):
    version: int
    at: str
    actor: str
    files: int
    written: int
    changed: int


class LedgerState(NamedTuple):
    head: int | None
    pending: int | None
    versions: list[VersionInfo]
    history: list[dict[str, Any]]
    meta: dict[str, Any]


def _state(item: dict[str, Any] | None) -> LedgerState:
    item = item or {}
    versions = [
        VersionInfo(
            int(e["version"]),
            str(e.get("at", "")),
            str(e.get("actor", "")),
            int(e.get("files", 0)),
            int(e.get("written", 0)),
            int(e.get("changed", 0)),
        )
        for e in item.get("versions", [])
    ]
    head = item.get("head")
    pending = item.get("pending")
    return LedgerState(
        int(head) if head is not None else None,
        int(pending) if pending is not None else None,
        versions,
        list(item.get("history", [])),
        dict(item.get("meta", {})),
    )


class Ledger:
    def __init__(self, client: Any, table: str, section: str, lease: timedelta) -> None:
        self._db = client
        self._table = table
        self._key = {"pk": v(f"SITE#{section}"), "sk": v("PUBLICATION")}
        self._lease = lease

    def state(self) -> LedgerState:
        found = self._db.get_item(TableName=self._table, Key=self._key, ConsistentRead=True).get("Item")
        return _state(from_item(found) if found else None)

    def acquire(self, owner: str, now: datetime) -> LedgerState:
        """Take the lease (PublicationBusy if someone holds it). Returns the record as it was before:
        DynamoDB hands back the old item with the very write that takes the lease."""
        try:
            found = self._db.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET lock_owner = :owner, lock_until = :until",
                ConditionExpression="attribute_not_exists(lock_until) OR lock_until < :now",
                ExpressionAttributeValues={
                    ":owner": v(owner),
                    ":until": v(epoch(now + self._lease)),
                    ":now": v(epoch(now)),
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise PublicationBusy() from None
            raise
        return _state(from_item(found.get("Attributes") or {}))

    def allocate(self, owner: str) -> int:
        """A new version number for the lease holder, marked pending until it is committed."""
        found = self._db.update_item(
            TableName=self._table,
            Key=self._key,
            UpdateExpression="SET next_version = if_not_exists(next_version, :zero) + :one",
            ConditionExpression="lock_owner = :owner",
            ExpressionAttributeValues={":zero": v(0), ":one": v(1), ":owner": v(owner)},
            ReturnValues="UPDATED_NEW",
        )
        version = int(from_item(found["Attributes"])["next_version"])
        self._db.update_item(
            TableName=self._table,
            Key=self._key,
            UpdateExpression="SET pending = :pending",
            ConditionExpression="lock_owner = :owner",
            ExpressionAttributeValues={":pending": v(version), ":owner": v(owner)},
        )
        return version

    def commit(
        self,
        owner: str,
        info: VersionInfo,
        kept: list[VersionInfo],
        meta: dict[str, Any],
        history: list[dict[str, Any]],
    ) -> None:
        """The version is complete: it becomes the head, and the kept versions are these. Refused
        (PublicationBusy) if the lease was lost meanwhile, so two publishers can never both commit."""
        entries = [info._asdict() for info in kept]
        if not write_if(
            self._db.update_item,
            TableName=self._table,
            Key=self._key,
            UpdateExpression="SET head = :head, versions = :versions, meta = :meta, history = :history "
            "REMOVE pending",
            ConditionExpression="lock_owner = :owner",
            ExpressionAttributeValues={
                ":head": v(info.version),
                ":versions": v([to_plain(e) for e in entries]),
                ":meta": v(meta),
                ":history": v(history[:HISTORY_KEPT]),
                ":owner": v(owner),
            },
        ):
            raise PublicationBusy()

    def record(self, owner: str, history: list[dict[str, Any]], *, clear_pending: bool = False) -> None:
        update = "SET history = :history" + (" REMOVE pending" if clear_pending else "")
        write_if(
            self._db.update_item,
            TableName=self._table,
            Key=self._key,
            UpdateExpression=update,
            ConditionExpression="lock_owner = :owner",
            ExpressionAttributeValues={":history": v(history[:HISTORY_KEPT]), ":owner": v(owner)},
        )

    def release(self, owner: str) -> None:
        """Give the lease back. Never raises: it is called on the way out of a failed publication,
        whose own error matters more, and a lease that is not given back runs out by itself."""
        with contextlib.suppress(ClientError):
            write_if(
                self._db.update_item,
                TableName=self._table,
                Key=self._key,
                UpdateExpression="REMOVE lock_owner, lock_until",
                ConditionExpression="lock_owner = :owner",
                ExpressionAttributeValues={":owner": v(owner)},
            )


def to_plain(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value is not None}


def history_entry(action: str, version: int | None, actor: str, now: datetime, **more: Any) -> dict[str, Any]:
    return to_plain({"action": action, "version": version, "actor": actor, "at": iso(now), **more})
