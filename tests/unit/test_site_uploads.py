"""Where the AWS CRT sends a publication's files (`CrtUploads.address`): as botocore addresses S3.

The uploads themselves are tested against moto's server: tests/integration/test_site_uploads.py.
"""

from __future__ import annotations

import io
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
