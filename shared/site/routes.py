"""Where a section's routes and live pointer are kept (`routing` says what they mean).

- `KeyValueStoreRoutes`: a CloudFront KeyValueStore, read at the edge by the CloudFront Function of
  the `/site/*` behaviour. Keys: `<section>` (the pointer) and `<section>/<path>` (each entry).
- `BucketRoutes`: objects of the section's own prefix of the site bucket, read by local mode's gateway
  (and by the handler tests): `site/<section>/_routes/pointer` and `site/<section>/_routes/entries.json`.
  They sit under the prefix the publisher may write, so its role needs nothing more locally.

`site_routes(locator)` picks one from the function's `SITE_ROUTES` variable: a KeyValueStore's ARN in
AWS, `bucket` elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError

ROUTES_FOLDER = "_routes"
# UpdateKeys is all-or-nothing per call; a few dozen keys per call keeps each request small
KVS_BATCH = 50


class Routes(Protocol):
    def pointer(self, section: str) -> str | None: ...

    def entry(self, section: str, path: str) -> str | None: ...

    def put_entries(self, section: str, entries: Mapping[str, str | None]) -> None:
        """Write (or, for None, delete) the entries of these paths. Never seen before the pointer
        names a version they hold."""

    def switch(self, section: str, pointer: str) -> None:
        """Make `pointer` the live version: one write, the moment a publication becomes visible."""


class BucketRoutes:
    def __init__(self, s3: Any, bucket: str, prefix: str = "site/") -> None:
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix
        self._entries: dict[str, dict[str, str]] = {}

    def _key(self, section: str, name: str) -> str:
        return f"{self._prefix}{section}/{ROUTES_FOLDER}/{name}"

    def _read(self, key: str) -> bytes | None:
        try:
            return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise

    def pointer(self, section: str) -> str | None:
        found = self._read(self._key(section, "pointer"))
        return found.decode() if found is not None else None

    def entries(self, section: str) -> dict[str, str]:
        if section not in self._entries:
            found = self._read(self._key(section, "entries.json"))
            self._entries[section] = json.loads(found) if found else {}
        return self._entries[section]

    def entry(self, section: str, path: str) -> str | None:
        return self.entries(section).get(path)

    def put_entries(self, section: str, entries: Mapping[str, str | None]) -> None:
        table = dict(self.entries(section))
        for path, value in entries.items():
            if value is None:
                table.pop(path, None)
            else:
                table[path] = value
        body = json.dumps(table, separators=(",", ":"), sort_keys=True).encode()
        self._s3.put_object(
            Bucket=self._bucket,
            Key=self._key(section, "entries.json"),
            Body=body,
            ContentType="application/json",
        )
        self._entries[section] = table

    def switch(self, section: str, pointer: str) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=self._key(section, "pointer"),
            Body=pointer.encode(),
            ContentType="text/plain; charset=utf-8",
        )


class KeyValueStoreRoutes:
    """The CloudFront KeyValueStore the edge reads. Every write names the store's current ETag;
    another writer in between (another section's publisher) makes it fail, and it is sent again."""

    def __init__(self, client: Any, arn: str) -> None:
        self._kvs = client
        self._arn = arn
        self._etag: str | None = None  # the store's ETag after this adapter's last write

    def _get(self, key: str) -> str | None:
        try:
            return str(self._kvs.get_key(KvsARN=self._arn, Key=key)["Value"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise

    def pointer(self, section: str) -> str | None:
        return self._get(section)

    def entry(self, section: str, path: str) -> str | None:
        return self._get(f"{section}/{path}")

    def _update(self, puts: list[dict[str, str]], deletes: list[dict[str, str]]) -> None:
        """One UpdateKeys. It names the ETag the last one answered (a publication's batches follow
        each other), or the store's current one; if another writer came in between (a
        ConflictException), it reads the current ETag and sends the same batch again."""
        for _attempt in range(5):
            if self._etag is None:
                self._etag = str(self._kvs.describe_key_value_store(KvsARN=self._arn)["ETag"])
            kwargs: dict[str, Any] = {"KvsARN": self._arn, "IfMatch": self._etag}
            if puts:
                kwargs["Puts"] = puts
            if deletes:
                kwargs["Deletes"] = deletes
            try:
                self._etag = str(self._kvs.update_keys(**kwargs)["ETag"])
                return
            except ClientError as error:
                self._etag = None
                if error.response.get("Error", {}).get("Code") != "ConflictException":
                    raise
        raise RuntimeError("the site's KeyValueStore kept changing under this publication")

    def put_entries(self, section: str, entries: Mapping[str, str | None]) -> None:
        items = sorted(entries.items())
        for start in range(0, len(items), KVS_BATCH):
            batch = items[start : start + KVS_BATCH]
            self._update(
                [{"Key": f"{section}/{path}", "Value": value} for path, value in batch if value is not None],
                [{"Key": f"{section}/{path}"} for path, value in batch if value is None],
            )

    def switch(self, section: str, pointer: str) -> None:
        self._update([{"Key": section, "Value": pointer}], [])


def site_routes(locator: str, s3: Any, bucket: str) -> Routes:
    """The routes a function's `SITE_ROUTES` names: a KeyValueStore ARN, or `bucket`."""
    if locator.startswith("arn:"):
        from shared.aws import client

        return KeyValueStoreRoutes(client("cloudfront-keyvaluestore"), locator)
    return BucketRoutes(s3, bucket)
