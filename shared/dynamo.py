"""Small helpers over the low-level DynamoDB client (lighter to import than the resource API)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from shared.errors import Conflict, DomainError, Unavailable

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """Python values to a DynamoDB item; None values are left out rather than stored as NULL."""
    return {key: _serializer.serialize(value) for key, value in data.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _from_value(value) for key, value in item.items()}


def _from_value(value: Mapping[str, Any]) -> Any:
    """One attribute value as plain Python: what `_plain(TypeDeserializer().deserialize(value))`
    gives, without its Decimal round trip for the common kinds (a publication reads thousands of
    entries of dozens of values each). Numbers that are not plain integers, and binary values, take
    that path."""
    if len(value) == 1:
        ((kind, raw),) = value.items()
        if kind == "S" or kind == "BOOL":
            return raw
        if kind == "M":
            return {k: _from_value(v) for k, v in raw.items()}
        if kind == "L":
            return [_from_value(v) for v in raw]
        if kind == "N" and _INTEGER.match(raw):
            return int(raw)
        if kind == "NULL":
            return None
        if kind == "SS":
            return sorted(raw)
    return _plain(_deserializer.deserialize(value))


_INTEGER = re.compile(r"-?[0-9]{1,38}\Z")


def value(data: Any) -> dict[str, Any]:
    return _serializer.serialize(data)  # type: ignore[no-any-return]


def _plain(data: Any) -> Any:
    """Decimals back to int (all our numbers are whole), recursively."""
    from decimal import Decimal

    if isinstance(data, Decimal):
        return int(data)
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, set):
        return sorted(_plain(v) for v in data)
    return data


# What AWS answers when a table (or the account) is over its throughput, once botocore's own retries
# have run out: the request was right, and will succeed if sent again a little later.
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# ... and what a cancelled transaction gives as the reason of the item that was throttled
THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})


class Throttled(Unavailable):
    """DynamoDB (or another AWS service) refused for throttling after botocore's retries: a 503
    that says to try again, never a 500."""

    message = "We are very busy just now, so this could not be done. Please try again in a few minutes."


def is_throttled(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code in THROTTLING_CODES:
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any((r or {}).get("Code") in THROTTLING_REASONS for r in reasons)
    return False


def as_domain_error(error: BaseException) -> DomainError | None:
    """The domain error an AWS error stands for, found in `error` or what caused it (Powertools'
    idempotency layer, for one, wraps the ClientError of its table): throttling is `Throttled`.
    None for anything else, which stays a fault."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, ClientError) and is_throttled(found):
            return Throttled(found.operation_name)
        found = found.__cause__ or found.__context__
    return None


def is_condition_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


def write_if(call: Any, **kwargs: Any) -> bool:
    """Make a conditional write (`put_item`, `update_item`, `delete_item`, `transact_write_items`).
    True if it was written, False if its condition failed; any other error is raised. The one way
    every repository asks "write this only if ..."."""
    try:
        call(**kwargs)
    except ClientError as exc:
        if is_condition_failure(exc):
            return False
        if _is_conflict(exc):
            raise WriteConflict from exc
        raise
    return True


def _is_conflict(error: ClientError) -> bool:
    """Another transaction on the same item was in flight: a single write's
    `TransactionConflictException`, or a transaction cancelled for `TransactionConflict`."""
    code = error.response.get("Error", {}).get("Code")
    if code == "TransactionConflictException":
        return True
    reasons = error.response.get("CancellationReasons") or []
    return code == "TransactionCanceledException" and any(
        (r or {}).get("Code") == "TransactionConflict" for r in reasons
    )


class WriteConflict(Conflict):
    """A write was refused because a transaction on the same item was in flight (a cancelled
    transaction's `TransactionConflict`, or a single write's `TransactionConflictException`): nothing
    was written, and the same write may simply be tried again. Callers that can retry do; one that
    escapes is a 409 asking the person to try again, never a 500."""

    message = "Someone else was changing this at the same moment: reload and try again."


def failed_conditions(call: Any, **kwargs: Any) -> frozenset[int]:
    """Make a transaction (`transact_write_items`): the positions of the items whose condition
    failed, or none if it was written. A transaction cancelled only because another write to the
    same item was in flight raises `WriteConflict` (try again); any other error is raised as is. For
    a transaction whose items fail for different reasons (a taken id, a taken name), where
    `write_if` cannot say which."""
    try:
        call(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            codes = [(r or {}).get("Code") for r in exc.response.get("CancellationReasons") or []]
            failed = frozenset(i for i, code in enumerate(codes) if code == "ConditionalCheckFailed")
            if failed:
                return failed
        if _is_conflict(exc):
            raise WriteConflict from exc
        raise
    return frozenset()


# How many times a write that lost a race (its version changed, or a transaction on the same item
# was in flight) is tried again on the fresh record, before the person is asked to try again.
VERSION_RETRIES = 3


def retries(give_up: Exception) -> Iterator[int]:
    """The attempts of an optimistic write, then `give_up` raised (a `Conflict`, so a 409 that says
    to try again): `for _ in retries(StaleMember(id)): read; decide; write or continue`."""
    yield from range(VERSION_RETRIES)
    raise give_up


def batch_get(
    client: Any,
    table: str,
    keys: list[dict[str, Any]],
    *,
    consistent: bool = False,
    attributes: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Every item of `keys` that exists, as plain values: BatchGetItem in pages of 100, with its
    unprocessed keys asked for again, in no particular order. `attributes`: only these."""
    found: list[dict[str, Any]] = []
    projection: dict[str, Any] = {}
    if attributes:
        names = {f"#a{n}": name for n, name in enumerate(attributes)}
        projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {
            table: {"Keys": keys[start : start + 100], "ConsistentRead": consistent, **projection}
        }
        while request:
            page = client.batch_get_item(RequestItems=request)
            found += [from_item(item) for item in page.get("Responses", {}).get(table, [])]
            request = page.get("UnprocessedKeys") or {}
    return found


def batch_delete(client: Any, table: str, keys: list[dict[str, Any]]) -> int:
    """Delete every item of `keys` (BatchWriteItem in pages of 25, unprocessed ones sent again), as
    erasure does, from any record however it is stored. Returns how many keys were deleted."""
    for start in range(0, len(keys), 25):
        request: dict[str, Any] = {table: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]}
        while request:
            page = client.batch_write_item(RequestItems=request)
            request = page.get("UnprocessedItems") or {}
    return len(keys)


def batch_put(client: Any, table: str, items: list[dict[str, Any]]) -> int:
    """Put every item (already in DynamoDB's form): BatchWriteItem in pages of 25, unprocessed ones
    sent again. For writes that need no condition (a page of results, marks that something went)."""
    for start in range(0, len(items), 25):
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while request:
            page = client.batch_write_item(RequestItems=request)
            request = page.get("UnprocessedItems") or {}
    return len(items)


def query_pages(client: Any, **kwargs: Any) -> Iterator[list[dict[str, Any]]]:
    """The items a query matches, a page at a time as each arrives (following LastEvaluatedKey), as
    plain Python values."""
    while True:
        page = client.query(**kwargs)
        yield [from_item(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_all(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item a query matches, following LastEvaluatedKey, as plain Python values."""
    return [item for page in query_pages(client, **kwargs) for item in page]


def version_condition(expected: int) -> tuple[str, dict[str, Any]]:
    """The condition of an optimistic-locking write: the item still has the version that was read
    (records written before versions existed have none, and count as version 0)."""
    if expected == 0:
        return "attribute_not_exists(version) OR version = :expected_version", {":expected_version": value(0)}
    return "version = :expected_version", {":expected_version": value(expected)}


class BadCursor(ValueError):
    """A pagination cursor that this API did not produce."""


_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,2048}$")


def encode_cursor(state: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The state a cursor carries; BadCursor (a 400 naming `cursor`) for anything else."""
    if not _CURSOR.match(cursor):
        raise BadCursor("cursor is not valid")
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError) as exc:
        raise BadCursor("cursor is not valid") from exc
    if not isinstance(state, dict):
        raise BadCursor("cursor is not valid")
    return state


def start_key(state: Any, key_names: Iterable[str]) -> dict[str, Any]:
    """A DynamoDB `ExclusiveStartKey` from a decoded cursor, checked to be exactly what a query on
    this table or index returns as `LastEvaluatedKey`: the named string attributes and nothing else.
    A forged start key would otherwise reach DynamoDB (or botocore's own validation) and fail there."""
    names = set(key_names)
    if (
        not isinstance(state, dict)
        or set(state) != names
        or not all(
            isinstance(attr, dict) and set(attr) == {"S"} and isinstance(attr["S"], str) and attr["S"]
            for attr in state.values()
        )
    ):
        raise BadCursor("cursor is not valid")
    return state
