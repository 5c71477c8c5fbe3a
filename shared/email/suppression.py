"""The suppression list: addresses that must never be emailed again.

A hard bounce or a complaint suppresses an address at once; soft bounces are counted and suppress
it after 3 within 30 days. Entries are keyed by the address's lookup id (a keyed hash), never the
address, and carry no member id, so they can outlive an erased member: an address that complained
must not be emailed because someone re-entered it.

Every email goes through the `Mailer`, which asks `is_suppressed` first: no email of any kind goes
to a suppressed address.
"""

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from shared.clock import epoch, iso
from shared.dynamo import WriteConflict, batch_get, from_item, retries, to_item, write_if
from shared.dynamo import value as v
from shared.email.address import normalise_email
from shared.keys import AddressLookup
from shared.model import Model

SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)
SK = "SUPPRESSION"

Reason = Literal["hard_bounce", "complaint", "soft_bounces"]
# The `ref` tag a mailing puts on its emails (`OutgoingEmail.ref`), as SES hands it back in events
MAILING_REF = r"^[A-Za-z0-9_-]{1,100}$"


class SoftBounce(Model):
    at: str
    message_id: str


class Suppression(Model):
    lookup_id: str
    suppressed: bool = False
    reason: Reason | None = None
    suppressed_at: str | None = None
    # the mailing whose email made the address bounce for good or complain (its `ref` tag), so the
    # mailing's page can count its bounces: the members table's `by_mailing` index
    mailing: str | None = Field(None, pattern=MAILING_REF)
    soft_bounces: list[SoftBounce] = Field(default_factory=list)
    version: int = 0


def suppression_key(lookup_id: str) -> dict[str, Any]:
    return {"pk": v(f"SUPPRESSION#{lookup_id}"), "sk": v(SK)}


def address_lookup_id(keys: AddressLookup, address: str) -> str:
    """The keyed hash an address is stored under, for an address as SES reports it (normalised as
    at sign-up; one that does not parse as an email address is lower-cased)."""
    try:
        return keys.email_lookup_id(normalise_email(address))
    except ValueError:
        return keys.email_lookup_id(address.strip().lower())


class SuppressionList:
    def __init__(self, client: Any, table_name: str, keys: AddressLookup | None) -> None:
        """`keys`: to hash an address (None for a mailer that only ever asks by lookup id, as a
        mailing to members does: `suppressed_among`)."""
        self._db = client
        self._table = table_name
        self._keys = keys

    def lookup_id(self, address: str) -> str:
        if self._keys is None:
            raise RuntimeError("this suppression list reads by lookup id only: it was given no lookup key")
        return address_lookup_id(self._keys, address)

    def get(self, lookup_id: str) -> Suppression | None:
        found = self._db.get_item(TableName=self._table, Key=suppression_key(lookup_id), ConsistentRead=True)
        return Suppression.model_validate(from_item(found["Item"])) if "Item" in found else None

    def is_suppressed(self, address: str) -> bool:
        entry = self.get(self.lookup_id(address))
        return bool(entry and entry.suppressed)

    def suppressed_among(self, lookup_ids: list[str]) -> set[str]:
        """Which of these addresses (by their lookup ids, as members' records hold them) must not be
        emailed: one BatchGetItem for a whole page of a mailing, instead of one read per email."""
        keys = [suppression_key(i) for i in dict.fromkeys(lookup_ids)]
        found = batch_get(self._db, self._table, keys, consistent=True)
        return {str(item["pk"]).removeprefix("SUPPRESSION#") for item in found if item.get("suppressed")}

    def suppress(self, lookup_id: str, reason: Reason, now: datetime, mailing: str | None = None) -> bool:
        """Suppress at once. Returns True if this call changed the address to suppressed."""
        for _ in retries(WriteConflict()):
            entry = self.get(lookup_id) or Suppression(lookup_id=lookup_id)
            if entry.suppressed:
                return False
            updated = entry.model_copy(
                update={"suppressed": True, "reason": reason, "suppressed_at": iso(now), "mailing": mailing}
            )
            if self._save(updated, entry.version, expires_at=None):
                return True
        raise AssertionError("unreachable: retries() raises when the attempts run out")

    def soft_bounce(self, lookup_id: str, message_id: str, now: datetime, mailing: str | None = None) -> bool:
        """Count a soft bounce (once per message). Returns True if it tipped the address into
        suppression."""
        for _ in retries(WriteConflict()):
            entry = self.get(lookup_id) or Suppression(lookup_id=lookup_id)
            if entry.suppressed or any(b.message_id == message_id for b in entry.soft_bounces):
                return False
            window_start = iso(now - SOFT_BOUNCE_WINDOW)
            recent = [b for b in entry.soft_bounces if b.at > window_start]
            recent.append(SoftBounce(at=iso(now), message_id=message_id))
            tipped = len(recent) >= SOFT_BOUNCE_LIMIT
            updated = entry.model_copy(
                update={
                    "soft_bounces": recent,
                    "suppressed": tipped,
                    "reason": "soft_bounces" if tipped else None,
                    "suppressed_at": iso(now) if tipped else None,
                    "mailing": mailing if tipped else None,
                }
            )
            # an address that is only being counted forgets its bounces 30 days after the last one
            expires = None if tipped else epoch(now + SOFT_BOUNCE_WINDOW)
            if self._save(updated, entry.version, expires_at=expires):
                return tipped
        raise AssertionError("unreachable: retries() raises when the attempts run out")

    def lift(self, lookup_id: str) -> bool:
        return write_if(
            self._db.delete_item,
            TableName=self._table,
            Key=suppression_key(lookup_id),
            ConditionExpression="attribute_exists(pk)",
        )

    def _save(self, entry: Suppression, expected_version: int, expires_at: int | None) -> bool:
        item = {
            **suppression_key(entry.lookup_id),
            **to_item(
                {**entry.model_dump(mode="json"), "version": expected_version + 1, "expires_at": expires_at}
            ),
        }
        condition = "attribute_not_exists(pk)" if expected_version == 0 else "version = :v"
        kwargs: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if expected_version:
            kwargs["ExpressionAttributeValues"] = {":v": v(expected_version)}
        return write_if(self._db.put_item, **kwargs)


def bounced_in(client: Any, table: str, mailing: str) -> int:
    """How many addresses a mailing's emails made bounce for good or complain (and are still held
    back): one Query of the `by_mailing` index, counting only."""
    total, start = 0, None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "IndexName": "by_mailing",
            "KeyConditionExpression": "mailing = :m",
            "ExpressionAttributeValues": {":m": v(mailing)},
            "Select": "COUNT",
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.query(**kwargs)
        total += int(page.get("Count", 0))
        start = page.get("LastEvaluatedKey")
        if not start:
            return total
