"""Send an email (or any message) at most once per (subject, kind, occurrence): the one way every
capability keeps a retried event, a redelivered message or a double click from sending twice.

    ledger.send_once(SendKey("MEMBER#<id>", "reminder", "<meeting id>#7d"), send, now)

1. Claim: a conditional PutItem of `<subject> / SENT#<kind>#<occurrence>`, which fails if the claim
   exists (or, with `not_within`, if it is younger than that: "at most one every 10 minutes").
2. Send.
3. If sending fails, release the claim (delete it), so a retry can send; then re-raise.

The claim lives in the subject's own partition (e.g. `MEMBER#<id>`), so erasing the subject erases its
send history too, and it expires by TTL (`keep`). A lost claim race means someone else is sending:
nothing is sent here and `send_once` returns None.

When the claim belongs with another write (a new member and its first confirmation), `claim_put` is
the claim as one `Put` of that write's TransactWriteItems, and `send_claimed` does steps 2 and 3.

**Many at once, surviving a crash** (`send_batch`, for mailings to many members): the claims of a
page of recipients are written in one transaction, as *claimed*, with the time; each email is sent;
then all are marked *sent* in one batch. A sender that dies after claiming but before sending leaves
claims that are only *claimed*: once they are older than `lease` (the queue's visibility timeout, after
which the message is delivered again), the retry takes them over and sends. So nothing is lost, and a
duplicate can only happen if the sender dies in the instant between SES accepting an email and the
batch that marks it sent (README, "Meetings": the window).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from botocore.exceptions import ClientError

from shared.clock import epoch, iso
from shared.dynamo import failed_conditions, to_item, write_if
from shared.dynamo import value as v

CLAIMED = "claimed"
SENT = "sent"

T = TypeVar("T")
# how long a claim ("this email was sent, then") is kept unless a caller says otherwise
SEND_HISTORY = timedelta(days=30)


class SendKey(NamedTuple):
    subject: str  # the partition key of whom it is sent to, e.g. "MEMBER#<id>"
    kind: str  # what is sent: "preferences_link", "reminder", ...
    occurrence: str = "-"  # which one: a meeting and offset, a feedback update id, or "-" for "any"

    @property
    def key(self) -> dict[str, Any]:
        return {"pk": v(self.subject), "sk": v(f"SENT#{self.kind}#{self.occurrence}")}


class SendLedger:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def claim_put(
        self,
        key: SendKey,
        now: datetime,
        *,
        not_within: timedelta | None = None,
        keep: timedelta = SEND_HISTORY,
    ) -> dict[str, Any]:
        """The claim as PutItem arguments (also a TransactWriteItems `Put`): it fails if the claim
        exists, or, with `not_within`, if it is younger than that."""
        condition = "attribute_not_exists(pk)"
        values: dict[str, Any] = {}
        if not_within is not None:
            condition += " OR sent_at <= :cutoff"
            values[":cutoff"] = v(iso(now - not_within))
        item = {
            **key.key,
            **to_item(
                {"entity": "sent", "kind": key.kind, "sent_at": iso(now), "expires_at": epoch(now + keep)}
            ),
        }
        put: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = values
        return put

    def claim(self, key: SendKey, now: datetime, *, not_within: timedelta | None, keep: timedelta) -> bool:
        return write_if(self._db.put_item, **self.claim_put(key, now, not_within=not_within, keep=keep))

    def claimed(self, key: SendKey) -> bool:
        """Whether `key` was claimed (sent, or being sent) and the claim has not lapsed."""
        found = self._db.get_item(TableName=self._table, Key=key.key, ConsistentRead=True)
        return "Item" in found

    def release(self, key: SendKey, now: datetime) -> None:
        """Undo this request's claim (only if it is still ours)."""
        with contextlib.suppress(ClientError):
            self._db.delete_item(
                TableName=self._table,
                Key=key.key,
                ConditionExpression="sent_at = :mine",
                ExpressionAttributeValues={":mine": v(iso(now))},
            )

    def send_once(
        self,
        key: SendKey,
        send: Callable[[], T],
        now: datetime,
        *,
        not_within: timedelta | None = None,
        keep: timedelta = SEND_HISTORY,
    ) -> T | None:
        """`send()`'s result, or None when it was already sent (or is being sent) under this key."""
        if not self.claim(key, now, not_within=not_within, keep=keep):
            return None
        return self.send_claimed(key, send, now)

    def send_claimed(self, key: SendKey, send: Callable[[], T], now: datetime) -> T:
        """`send()`'s result, for a claim this request already wrote at `now` (see `claim_put`);
        the claim is released if sending fails, so a retry can send."""
        try:
            return send()
        except BaseException:
            self.release(key, now)
            raise

    # --- many at once ----------------------------------------------------------------------------

    def _lease_put(self, key: SendKey, now: datetime, lease: timedelta, keep: timedelta) -> dict[str, Any]:
        """A claim that a later attempt may take over once it is older than `lease` and still only
        claimed (its sender died before it could say the email went)."""
        item = {
            **key.key,
            **to_item(
                {
                    "entity": "sent",
                    "kind": key.kind,
                    "state": CLAIMED,
                    "sent_at": iso(now),
                    "expires_at": epoch(now + keep),
                }
            ),
        }
        return {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk) OR (#state = :claimed AND sent_at <= :lapsed)",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {":claimed": v(CLAIMED), ":lapsed": v(iso(now - lease))},
        }

    def claim_many(
        self, keys: list[SendKey], now: datetime, *, lease: timedelta, keep: timedelta = SEND_HISTORY
    ) -> list[SendKey]:
        """Claim up to 100 keys in one transaction; those already sent, or claimed by a sender still
        within its lease, are left out. Returns the keys this call claimed."""
        wanted = list(keys)
        while wanted:
            puts = [{"Put": self._lease_put(key, now, lease, keep)} for key in wanted]
            failed = failed_conditions(self._db.transact_write_items, TransactItems=puts)
            if not failed:
                return wanted
            wanted = [key for n, key in enumerate(wanted) if n not in failed]
        return []

    def confirm_many(
        self, keys: list[SendKey], now: datetime, keep: timedelta = SEND_HISTORY
    ) -> list[dict[str, Any]]:
        """The writes that mark claimed keys as sent (for `shared.dynamo.batch_write` with others)."""
        return [
            {
                **key.key,
                **to_item(
                    {
                        "entity": "sent",
                        "kind": key.kind,
                        "state": SENT,
                        "sent_at": iso(now),
                        "expires_at": epoch(now + keep),
                    }
                ),
            }
            for key in keys
        ]

    def release_many(self, keys: list[SendKey]) -> None:
        """Undo claims whose email was not sent (SES refused it): a retry may send them."""
        for key in keys:
            with contextlib.suppress(ClientError):
                self._db.delete_item(
                    TableName=self._table,
                    Key=key.key,
                    ConditionExpression="#state = :claimed",
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={":claimed": v(CLAIMED)},
                )
