"""Where the AWS CRT sends a publication's files (`CrtUploads.address`): as botocore addresses S3.

The uploads themselves are tested against moto's server: tests/integration/test_site_uploads.py.
"""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import Future
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from shared.site.uploads import CrtUploads


@pytest.mark.parametrize(
    ("endpoint", "bucket", "expected"),
    [
        # AWS: virtual-hosted on the regional endpoint (botocore's own PutObject goes there too)
        (None, "mkcpp-site-123456789012", (True, "mkcpp-site-123456789012.s3.eu-west-2.amazonaws.com", "/")),
        # local mode's moto, on an address: path-style
        ("http://127.0.0.1:4566", "mkcpp-site", (False, "127.0.0.1:4566", "/mkcpp-site/")),
        ("http://localhost:4566", "mkcpp-site", (False, "localhost:4566", "/mkcpp-site/")),
        # a dot in the name: no certificate covers it as a host name
        (None, "site.example.org", (True, "s3.eu-west-2.amazonaws.com", "/site.example.org/")),
    ],
)
def test_files_go_where_botocore_sends_its_own_put_object(
    fake_aws: None, endpoint: str | None, bucket: str, expected: tuple[bool, str, str]
) -> None:
    s3 = boto3.client("s3", region_name="eu-west-2", endpoint_url=endpoint)
    assert CrtUploads(s3).address(bucket) == expected

    # and botocore's own PutObject goes to the same place (caught before it is sent)
    sent: list[str] = []

    class Raw(io.BytesIO):  # the body urllib3 would hand botocore
        def stream(self, *_: Any, **__: Any) -> Any:
            yield b""

    def catch(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.url)
        return AWSResponse(request.url, 200, {}, Raw())

    s3.meta.events.register("before-send.s3.PutObject", catch)
    s3.put_object(Bucket=bucket, Key="v/1/index.html", Body=b"x")
    tls, host, prefix = expected
    assert sent == [f"{'https' if tls else 'http'}://{host}{prefix}v/1/index.html"]


class _Request:
    """A stand-in for one CRT request: answered `after` seconds from now."""

    def __init__(self, after: float) -> None:
        self.finished_future: Future[None] = Future()
        threading.Timer(after, lambda: self.finished_future.set_result(None)).start()

    def cancel(self) -> None:
        pass


def test_a_batch_idle_while_files_are_rendered_is_not_taken_for_a_stalled_s3(monkeypatch: Any) -> None:
    """The wait for an answer counts from when an upload is sent into an idle batch, not from the
    last answer: a long gap between files (reading, rendering) is not S3 failing to answer."""
    from shared.site import uploads

    class Client:
        def make_request(self, **_: Any) -> _Request:
            return _Request(1.2)  # S3 answers each in 1.2 s: within the batch's 1.5 s

    monkeypatch.setattr(uploads, "native_call", lambda *_: None)
    batch = uploads._CrtBatch(Client, "site", "host", "/site/", "public", 1, 1.5)
    batch.put(uploads.Upload("v/1/a.html", b"a", "text/html"))
    time.sleep(2.0)  # the next file takes longer to render than the batch waits for an answer
    batch.put(uploads.Upload("v/1/b.html", b"b", "text/html"))
    batch.put(uploads.Upload("v/1/c.html", b"c", "text/html"))  # waits for b's answer: room for one
    batch.finish()
    assert batch.sent == 3 and not batch.stalled
