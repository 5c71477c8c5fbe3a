"""The directory table: services (`SERVICE` / <id>), each service's change log
(`SERVICE#<id>` / `CHANGE#<at>#<n>`), public reports (`REPORT` / <at>#<id>) and their reporters'
pointers (`REPORTER#<lookup id>`), the send ledger of the reviewers' emails, and the site's
publication record (`SITE#directory`, `shared.site.ledger`).

Every service is written whole, validated by the model, on the condition that its `version` is the
one read; every listing is a Query (never a Scan) of one partition.
"""

import queue
import threading
import time
import uuid
from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, ClassVar

from pydantic import Field, ValidationError

from shared.clock import epoch, iso
from shared.directory.models import Service, upgrade
from shared.dynamo import batch_get, from_item, query_all, query_pages, to_item, version_condition, write_if
from shared.dynamo import value as v
from shared.errors import Conflict, DamagedRecord, NotFound
from shared.model import Model
from shared.observability import damaged_record

CHANGE_LOG_RETENTION = timedelta(days=730)
# where `all` splits the services' ids (UUIDs: lower-case hex) into ranges read at once
SEGMENTS = ("4", "8", "c")
MAX_LOGGED_VALUE = 500  # characters of an old or new value kept in the change log


class ServiceNotFound(NotFound):
    message = "There is no directory entry with this id."


class ServiceExists(Conflict):
    message = "This organisation already has an entry with this name."
    fields: ClassVar[Mapping[str, str]] = {
        "name": "This organisation already has an entry with this name: change that one instead"
    }


class StaleService(Conflict):
    message = "Someone else changed this entry at the same moment: reload it and try again."


class FieldChange(Model):
    field: str
    old: str | None
    new: str | None


class ChangeEntry(Model):
    """One change to one entry: who, when, what, and each field's old and new value."""

    service_id: str
    name: str  # the entry's name then, so the log of a deleted entry still reads
    at: str
    actor: str  # an administrator's Cognito sub, "import", or "public report"
    action: str  # created, updated, deleted, reviewed, imported, reported
    changes: list[FieldChange] = Field(default_factory=list)


def _service(item: dict[str, Any]) -> Service:
    data = {k: val for k, val in item.items() if k not in ("pk", "sk")}
    try:
        return Service.model_validate(upgrade(data))
    except ValidationError:
        ident = str(item.get("sk", "?"))
        damaged_record("directory_service", ident)
        raise DamagedRecord("directory service", ident, data) from None


class ServiceRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    # --- services --------------------------------------------------------------------------------

    def all(self) -> list[Service]:
        """Every service that can be read (one that cannot is counted and left out), in id order."""
        return sorted(self.each(), key=lambda s: str(s.id))

    def each(self) -> Generator[Service, None, None]:
        """Every service that can be read (one that cannot is counted and left out), in no set
        order, each as soon as its page arrives, so that a publication renders and uploads the
        first while the rest are read.

        The partition is read as `len(SEGMENTS) + 1` Queries at once, each a range of ids: DynamoDB
        serves them side by side, where one Query's pages come one after another. `BETWEEN` takes
        both ends, so an id equal to a boundary comes twice: kept once."""
        bounds = [None, *SEGMENTS, None]
        ranges = list(pairwise(bounds))
        arrived: queue.SimpleQueue[list[dict[str, Any]] | BaseException | None] = queue.SimpleQueue()
        stop = threading.Event()  # the taker failed or stopped: read no further pages

        def read(low: str | None, high: str | None) -> None:
            try:
                for page in self._range(low, high):
                    arrived.put(page)
                    if stop.is_set():
                        break
                arrived.put(None)  # this range is done
            except BaseException as error:  # raised where the services are taken
                arrived.put(error)

        seen: set[str] = set()
        with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
            try:
                for low, high in ranges:
                    pool.submit(read, low, high)
                running = len(ranges)
                while running:
                    page = arrived.get()
                    if page is None:
                        running -= 1
                        continue
                    if isinstance(page, BaseException):
                        raise page
                    for item in page:
                        if str(item["sk"]) in seen:
                            continue
                        seen.add(str(item["sk"]))
                        try:
                            found = _service(item)
                        except DamagedRecord:
                            continue
                        yield found
            finally:
                stop.set()

    def _range(self, low: str | None, high: str | None) -> Iterator[list[dict[str, Any]]]:
        values = {":pk": v("SERVICE")}
        if low is None and high is None:
            condition = "pk = :pk"
        elif low is None:
            condition, values[":high"] = "pk = :pk AND sk <= :high", v(high)
        elif high is None:
            condition, values[":low"] = "pk = :pk AND sk >= :low", v(low)
        else:
            condition = "pk = :pk AND sk BETWEEN :low AND :high"
            values[":low"], values[":high"] = v(low), v(high)
        return query_pages(
            self._db,
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
        )

    def get(self, service_id: str) -> Service:
        found = self._db.get_item(
            TableName=self._table, Key={"pk": v("SERVICE"), "sk": v(service_id)}, ConsistentRead=True
        ).get("Item")
        if not found:
            raise ServiceNotFound(service_id)
        return _service(from_item(found))

    def get_many(self, ids: list[str]) -> list[Service]:
        items = batch_get(
            self._db, self._table, [{"pk": v("SERVICE"), "sk": v(i)} for i in dict.fromkeys(ids)]
        )
        found = []
        for item in items:
            try:
                found.append(_service(item))
            except DamagedRecord:
                continue
        return found

    def create(self, service: Service) -> None:
        if not write_if(
            self._db.put_item,
            TableName=self._table,
            Item=to_item(service.item()),
            ConditionExpression="attribute_not_exists(pk)",
        ):
            raise ServiceExists(str(service.id))

    def replace(self, service: Service, expected_version: int) -> None:
        condition, values = version_condition(expected_version)
        if not write_if(
            self._db.put_item,
            TableName=self._table,
            Item=to_item(service.item()),
            ConditionExpression=f"attribute_exists(pk) AND ({condition})",
            ExpressionAttributeValues=values,
        ):
            raise StaleService(str(service.id))

    def delete(self, service_id: str, expected_version: int) -> None:
        condition, values = version_condition(expected_version)
        if not write_if(
            self._db.delete_item,
            TableName=self._table,
            Key={"pk": v("SERVICE"), "sk": v(service_id)},
            ConditionExpression=f"attribute_exists(pk) AND ({condition})",
            ExpressionAttributeValues=values,
        ):
            raise StaleService(service_id)

    def flag(self, service_id: str) -> bool:
        """Mark the entry for review (a public report); False if there is no such entry."""
        return write_if(
            self._db.update_item,
            TableName=self._table,
            Key={"pk": v("SERVICE"), "sk": v(service_id)},
            UpdateExpression="SET needs_review = :yes",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":yes": v(True)},
        )

    def write_all(self, services: list[Service], entries: list[ChangeEntry], now: datetime) -> None:
        """An import's writes, in batches of 25: every row was validated before the first is written,
        and writing the same rows again gives the same result, so a retry after a fault completes it."""
        requests = [{"PutRequest": {"Item": to_item(s.item())}} for s in services]
        requests += [{"PutRequest": {"Item": to_item(self._change_item(e, now))}} for e in entries]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            while pending:
                pending = self._db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    # --- the change log --------------------------------------------------------------------------

    @staticmethod
    def _change_item(entry: ChangeEntry, now: datetime) -> dict[str, Any]:
        return {
            "pk": f"SERVICE#{entry.service_id}",
            # within one second, in the order written (then a random tail, for two at the same moment)
            "sk": f"CHANGE#{entry.at}#{time.time_ns():020d}{uuid.uuid4().hex[:6]}",
            **entry.model_dump(),
            "expires_at": epoch(now + CHANGE_LOG_RETENTION),
        }

    def log(self, entry: ChangeEntry, now: datetime) -> None:
        self._db.put_item(TableName=self._table, Item=to_item(self._change_item(entry, now)))

    def changes(self, service_id: str) -> list[ChangeEntry]:
        items = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :change)",
            ExpressionAttributeValues={":pk": v(f"SERVICE#{service_id}"), ":change": v("CHANGE#")},
            ScanIndexForward=False,
        )
        return [
            ChangeEntry.model_validate({k: val for k, val in i.items() if k in ChangeEntry.model_fields})
            for i in items
        ]


def clip(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_LOGGED_VALUE else text[: MAX_LOGGED_VALUE - 1] + "…"


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{"locations.0.postcode": "MK6 5LD", ...}: each leaf of an entry, by its path."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    if isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            return {prefix[:-1]: ", ".join(str(item) for item in data) if data else None}
        out = {}
        for index, value in enumerate(data):
            out.update(flatten(value, f"{prefix}{index}."))
        return out
    return {prefix[:-1]: data}


def differences(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[FieldChange]:
    before, after = flatten(old or {}), flatten(new or {})
    return [
        FieldChange(field=name, old=clip(before.get(name)), new=clip(after.get(name)))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]


def stamp(now: datetime) -> str:
    return iso(now)
