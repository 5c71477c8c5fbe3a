"""`KeyValueStoreRoutes` against botocore's own model of CloudFront KeyValueStore: a real
`cloudfront-keyvaluestore` client under a `Stubber`, which refuses any parameter the service does not
take (names, required ones, types, lengths) and any response of the wrong shape. Nothing is sent.

What it pins down: reads by key (a missing key is None), writes in batches of `KVS_BATCH` each naming
the ETag the previous write answered (one DescribeKeyValueStore for a whole publication), and a
write that another writer got in before (ConflictException) sent again with the store's new ETag."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from shared.site.routes import KVS_BATCH, KeyValueStoreRoutes, site_routes

ARN = "arn:aws:cloudfront::123456789012:key-value-store/6f0ea0a2-7a3b-4b8e-9c1d-2a9b3c4d5e6f"


@pytest.fixture
def kvs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.session.Session().client(
        "cloudfront-keyvaluestore",
        region_name="us-east-1",
        aws_access_key_id="stub",
        aws_secret_access_key="stub",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def described(etag: str) -> dict[str, Any]:
    return {
        "ItemCount": 3,
        "TotalSizeInBytes": 120,
        "KvsARN": ARN,
        "Created": datetime(2026, 12, 1, tzinfo=UTC),
        "ETag": etag,
        "Status": "READY",
    }


def updated(etag: str) -> dict[str, Any]:
    return {"ItemCount": 3, "TotalSizeInBytes": 120, "ETag": etag}


def test_reads_the_pointer_and_an_entry(kvs: tuple[Any, Stubber]) -> None:
    client, stubber = kvs
    stubber.add_response(
        "get_key",
        {"Key": "directory", "Value": "7", "ItemCount": 3, "TotalSizeInBytes": 120},
        {"KvsARN": ARN, "Key": "directory"},
    )
    stubber.add_client_error(
        "get_key",
        service_error_code="ResourceNotFoundException",
        http_status_code=404,
        expected_params={"KvsARN": ARN, "Key": "directory/services/x.html"},
    )
    routes = KeyValueStoreRoutes(client, ARN)
    assert routes.pointer("directory") == "7"
    assert routes.entry("directory", "services/x.html") is None


def test_entries_go_in_batches_each_naming_the_last_etag(kvs: tuple[Any, Stubber]) -> None:
    client, stubber = kvs
    entries: dict[str, str | None] = {f"services/{n:03d}.html": f"{n}:{n}" for n in range(2 * KVS_BATCH + 3)}
    entries["services/000.html"] = None  # deleted in every version kept
    items = sorted(entries.items())
    stubber.add_response("describe_key_value_store", described("e1"), {"KvsARN": ARN})
    for number, start in enumerate(range(0, len(items), KVS_BATCH)):
        batch = items[start : start + KVS_BATCH]
        expected: dict[str, Any] = {
            "KvsARN": ARN,
            "IfMatch": f"e{number + 1}",
            "Puts": [{"Key": f"directory/{p}", "Value": v} for p, v in batch if v is not None],
        }
        deletes = [{"Key": f"directory/{p}"} for p, v in batch if v is None]
        if deletes:
            expected["Deletes"] = deletes
        stubber.add_response("update_keys", updated(f"e{number + 2}"), expected)
    # then the switch: one more write, on the ETag the last batch answered
    stubber.add_response(
        "update_keys",
        updated("e9"),
        {"KvsARN": ARN, "IfMatch": "e4", "Puts": [{"Key": "directory", "Value": "8"}]},
    )
    routes = KeyValueStoreRoutes(client, ARN)
    routes.put_entries("directory", entries)
    routes.switch("directory", "8")


def test_a_write_another_writer_got_in_before_is_sent_again(kvs: tuple[Any, Stubber]) -> None:
    client, stubber = kvs
    put = [{"Key": "directory", "Value": "8"}]
    stubber.add_response("describe_key_value_store", described("old"), {"KvsARN": ARN})
    stubber.add_client_error(
        "update_keys",
        service_error_code="ConflictException",
        http_status_code=409,
        expected_params={"KvsARN": ARN, "IfMatch": "old", "Puts": put},
    )
    stubber.add_response("describe_key_value_store", described("new"), {"KvsARN": ARN})
    stubber.add_response("update_keys", updated("newer"), {"KvsARN": ARN, "IfMatch": "new", "Puts": put})
    KeyValueStoreRoutes(client, ARN).switch("directory", "8")


def test_a_store_that_keeps_changing_gives_up(kvs: tuple[Any, Stubber]) -> None:
    client, stubber = kvs
    for attempt in range(5):
        stubber.add_response("describe_key_value_store", described(f"e{attempt}"), {"KvsARN": ARN})
        stubber.add_client_error("update_keys", service_error_code="ConflictException", http_status_code=409)
    with pytest.raises(RuntimeError, match="kept changing"):
        KeyValueStoreRoutes(client, ARN).switch("directory", "8")


def test_any_other_refusal_is_not_retried(kvs: tuple[Any, Stubber]) -> None:
    client, stubber = kvs
    stubber.add_response("describe_key_value_store", described("e1"), {"KvsARN": ARN})
    stubber.add_client_error("update_keys", service_error_code="ValidationException", http_status_code=400)
    with pytest.raises(ClientError):
        KeyValueStoreRoutes(client, ARN).switch("directory", "8")


def test_an_arn_names_the_keyvaluestore(monkeypatch: pytest.MonkeyPatch) -> None:
    import shared.aws

    made: list[str] = []

    def client(service: str) -> object:
        made.append(service)
        return object()

    monkeypatch.setattr(shared.aws, "client", client)
    assert isinstance(site_routes(ARN, object(), "bucket"), KeyValueStoreRoutes)
    assert made == ["cloudfront-keyvaluestore"]
