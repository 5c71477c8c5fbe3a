"""A publication's uploads through the AWS CRT (`shared.site.uploads.CrtUploads`), against moto's server.

moto's in-process fake answers botocore only, so these run against its server on a free port, as
local mode does: what arrives in the bucket is what a reader of the site would get.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import boto3
import pytest

from shared import aws
from shared.site.uploads import CrtUploads, SdkUploads, Upload, UploadFailed, put_all

REGION = "eu-west-2"
BUCKET = "site-bucket"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    aws._session.cache_clear()
    client = boto3.client("s3", endpoint_url=moto_url, region_name=REGION)
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):  # made by an earlier test
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield client
    aws._session.cache_clear()


def stored(s3: Any, key: str) -> tuple[bytes, str, str]:
    found = s3.get_object(Bucket=BUCKET, Key=key)
    return found["Body"].read(), found["ContentType"], found["CacheControl"]


def test_every_file_arrives_whole_with_its_type_and_caching(s3: Any) -> None:
    # Given a publication's files: pages, JSON, one large file and keys a URL must escape
    files = [
        Upload(
            f"site/directory/v/3/services/{n}.html",
            f"<p>Service {n}</p>".encode(),
            "text/html; charset=utf-8",
        )
        for n in range(300)
    ]
    files.append(
        Upload("site/directory/v/3/services.json", b"[" + b"0," * 6_000_000 + b"0]", "application/json")
    )
    files.append(
        Upload("site/directory/v/3/a page (draft) é+~.html", "café".encode(), "text/html; charset=utf-8")
    )
    told: list[tuple[str, str, Mapping[str, Any]]] = []

    def tell(service: str, operation: str, params: Mapping[str, Any]) -> None:
        told.append((service, operation, params))

    # When they are uploaded through the CRT
    aws.observe_native_calls(tell)
    try:
        put_all(CrtUploads(s3), BUCKET, files, "public, max-age=300")
    finally:
        aws._native_observers.remove(tell)

    # Then each is in the bucket byte for byte, with its type and caching
    for upload in files:
        assert stored(s3, upload.key) == (upload.body, upload.content_type, "public, max-age=300")
    # and each was told as the PutObject it is, for the permission check and local mode's call log
    assert [(s, o, p["Key"]) for s, o, p in told] == [("s3", "PutObject", u.key) for u in files]
    assert {p["Bucket"] for _, _, p in told} == {BUCKET}


def test_a_failed_upload_stops_the_publication_with_how_many_failed(s3: Any) -> None:
    # Given a bucket that does not exist
    uploads = [Upload(f"x/{n}.html", b"<p>x</p>", "text/html") for n in range(3)]
    # When files are uploaded to it, Then it raises, saying how many failed and the first
    with pytest.raises(
        UploadFailed,
        match=r"\d of \d uploads failed; the first, x/\d.html: S3 answered 404 NoSuchBucket",
    ):
        put_all(CrtUploads(s3), "no-such-bucket", uploads, "public")


def test_the_crt_and_botocore_store_the_same(s3: Any) -> None:
    # Given the same file sent both ways
    body = "Look Good Feel Better – Tuesdays".encode()
    put_all(CrtUploads(s3), BUCKET, [Upload("a/x.html", body, "text/html; charset=utf-8")], "public")
    put_all(SdkUploads(s3), BUCKET, [Upload("b/x.html", body, "text/html; charset=utf-8")], "public")
    # Then a reader cannot tell them apart
    assert stored(s3, "a/x.html") == stored(s3, "b/x.html")


class _Stand(http.server.BaseHTTPRequestHandler):
    """An S3 stand-in's request handler: `behaviour` says what it does with each PutObject."""

    protocol_version = "HTTP/1.1"
    behaviour = "answer"
    seen: ClassVar[list[str]] = []
    release = threading.Event()

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        first_time = self.path not in self.seen
        self.seen.append(self.path)
        if self.behaviour == "never":
            self.release.wait(60)
            return
        if self.behaviour == "slow_down_once" and first_time:
            body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("ETag", '"0"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@contextlib.contextmanager
def stand_in(behaviour: str) -> Iterator[tuple[Any, list[str]]]:
    seen: list[str] = []
    release = threading.Event()
    handler = type("Handler", (_Stand,), {"behaviour": behaviour, "seen": seen, "release": release})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{server.server_address[1]}", region_name=REGION
    )
    try:
        yield client, seen
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_an_s3_that_never_answers_fails_the_publication_instead_of_hanging(s3: Any) -> None:
    # Given an S3 that takes the uploads and never answers (the CRT has no read timeout of its own)
    with stand_in("never") as (silent, _):
        uploads = CrtUploads(silent)
        uploads.STALLED_SECONDS = 2.0
        started = time.monotonic()
        # When a publication's files are sent to it, Then it gives up, saying so, instead of waiting
        # for the function's own timeout
        with pytest.raises(UploadFailed, match=r"S3 answered none of the uploads for 2 s; 5 were sent"):
            put_all(uploads, "site", [Upload(f"v/{n}.html", b"x", "text/html") for n in range(5)], "public")
        assert time.monotonic() - started < 10


def test_throttling_is_retried_and_the_publication_goes_on(s3: Any) -> None:
    # Given an S3 that asks each upload to slow down once (503 SlowDown), as S3 does at its rate limit
    with stand_in("slow_down_once") as (busy, seen):
        files = [Upload(f"v/{n}.html", b"x", "text/html") for n in range(20)]
        # When the files are sent, Then every one arrives, each on its second try
        put_all(CrtUploads(busy), "site", files, "public")
        assert sorted(seen) == sorted([f"/site/v/{n}.html" for n in range(20)] * 2)
