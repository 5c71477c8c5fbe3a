"""How a publication's files reach S3: many small PutObjects at once.

A first publication of the directory writes two files per entry (its page and its JSON): 10,024
PutObjects for 5,000 entries. Through botocore each costs about 1 ms of this process's CPU
(serialising, endpoint rules, signing, parsing) whatever the pool size, since the GIL runs one at a
time: more than rendering them. The AWS Common Runtime's S3 client (`awscrt`, already in the layer
for the KeyValueStore's SigV4A) signs and sends from its own native threads. `make bench`
(directory, `uploads_compared`) sends the same 5,000 files both ways to a stand-in that answers at
once, and reports the time and this process's CPU of each.

- `CrtUploads` is what the functions use. It addresses the bucket from the botocore client's
  endpoint as botocore does (virtual-hosted in AWS, path-style for local mode's moto), and takes
  its credentials from the same boto3 session, refreshed as botocore refreshes them.
  Each request is one plain `PutObject` (IAM action `s3:PutObject`, as botocore's), told to
  `shared.aws.native_call` so the permission check and local mode's call log see it too, with a
  CRC32 that S3 checks. The CRT retries throttling and 5xx as the SDK does; a request that still
  fails, or a batch with no answer for `STALLED_SECONDS`, raises `UploadFailed` (what is still
  running is cancelled), and the publication stops before its pointer moves (the last version
  stays live).
- `SdkUploads` sends the same requests through botocore from a pool of threads: for small
  publications ("you said, we did") and where AWS is faked inside this process (moto's
  `mock_aws` answers botocore only; the CRT's own connections would go to the network).
"""

from __future__ import annotations

import contextvars
import functools
import io
import ipaddress
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote, urlsplit

from shared.aws import credentials, native_call


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Upload(NamedTuple):
    key: str
    body: bytes
    content_type: str


class UploadFailed(RuntimeError):
    pass


class Uploads(Protocol):
    def put_all(self, bucket: str, uploads: Sequence[Upload], cache_control: str) -> None: ...


class SdkUploads:
    def __init__(self, s3: Any, workers: int = 10) -> None:  # botocore's pool holds 10 connections
        self._s3 = s3
        self._workers = workers

    def put_all(self, bucket: str, uploads: Sequence[Upload], cache_control: str) -> None:
        context = contextvars.copy_context()  # each upload runs in this request's context (its logs)

        def put(upload: Upload) -> None:
            context.copy().run(
                self._s3.put_object,
                Bucket=bucket,
                Key=upload.key,
                Body=upload.body,
                ContentType=upload.content_type,
                CacheControl=cache_control,
            )

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            list(pool.map(put, uploads))


class CrtUploads:
    # The CRT opens one connection per 0.4 Gbps of its throughput target: 32 gives 80. Small PUTs
    # are bound by S3's answer time (tens of ms), not bandwidth: 80 at about 30 ms each is about
    # 2,700 a second, under the 3,500 a second S3 serves a new key prefix (each version is one)
    # before it scales, so a publication is not throttled by its own haste.
    THROUGHPUT_GBPS = 32.0
    # requests handed to the CRT at once: enough to keep its connections busy, few enough that the
    # requests waiting their turn hold little memory
    IN_FLIGHT = 128
    # The CRT has a connect timeout but no read timeout: if no upload finishes for this long, the
    # rest are cancelled and the publication fails (botocore gave up after 5 s, 3 times)
    STALLED_SECONDS = 20.0
    # the CRT's retry budget (500 by default; each retry takes 5): enough for a burst of throttling
    # across a publication of 10,000 files
    RETRY_TOKENS = 5000

    def __init__(self, s3: Any) -> None:
        self._s3 = s3  # botocore's client: the endpoint, the region and the addressing style
        self._clients: dict[bool, Any] = {}

    def _client(self, tls: bool) -> Any:
        if tls not in self._clients:
            from awscrt.auth import AwsCredentials, AwsCredentialsProvider
            from awscrt.s3 import S3Client, S3RequestTlsMode, S3RetryConfig

            def current() -> Any:  # botocore's, as it refreshes them
                frozen = credentials().get_frozen_credentials()
                return AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token)

            self._clients[tls] = S3Client(
                region=self._s3.meta.region_name,
                tls_mode=S3RequestTlsMode.ENABLED if tls else S3RequestTlsMode.DISABLED,
                credential_provider=AwsCredentialsProvider.new_delegate(current),
                throughput_target_gbps=self.THROUGHPUT_GBPS,
                retry_config=S3RetryConfig(initial_bucket_capacity=self.RETRY_TOKENS),
            )
        return self._clients[tls]

    def address(self, bucket: str) -> tuple[bool, str, str]:
        """Whether TLS, the Host header, and the path before the key, as botocore addresses S3:
        virtual-hosted on AWS's regional endpoint (`<bucket>.s3.<region>.amazonaws.com/<key>`),
        path-style on an endpoint that is an address (local mode's moto), or for a bucket name with
        a dot (a certificate for `*.s3...` cannot cover it)."""
        endpoint = urlsplit(self._s3.meta.endpoint_url)
        tls = endpoint.scheme == "https"
        host = endpoint.hostname or ""
        if host == "localhost" or _is_ip(host) or "." in bucket:
            return tls, endpoint.netloc, f"/{bucket}/"
        return tls, f"{bucket}.{endpoint.netloc}", "/"

    def put_all(self, bucket: str, uploads: Sequence[Upload], cache_control: str) -> None:
        if not uploads:
            return
        tls, host, prefix = self.address(bucket)
        batch = _Batch(self._client(tls), self.IN_FLIGHT, self.STALLED_SECONDS)
        try:
            for upload in uploads:
                if not batch.room() or batch.failed:
                    break  # stalled, or the publication fails anyway: send no more
                native_call("s3", "PutObject", {"Bucket": bucket, "Key": upload.key})
                batch.put(host, prefix + quote(upload.key, safe="/~"), upload, cache_control)
            batch.wait()
        finally:
            batch.cancel()  # nothing of a failed batch goes on writing into the version's prefix
        if batch.failed or batch.stalled or batch.sent < len(uploads):
            raise batch.failure(len(uploads))


class _Batch:
    """One `put_all`'s requests: at most `in_flight` at once, each one's failure kept, and the lot
    given up when none has finished for `stalled` seconds."""

    def __init__(self, client: Any, in_flight: int, stalled: float) -> None:
        self._client = client
        self._window = threading.Semaphore(in_flight)
        self._stalled = stalled
        self._requests: list[Any] = []
        self._finished: list[Future[Any]] = []
        self._progress = time.monotonic()
        self.failed: list[tuple[str, BaseException]] = []
        self.stalled = False

    @property
    def sent(self) -> int:
        return len(self._requests)

    def room(self) -> bool:
        """Wait for a place in the window; False if none came free in time."""
        while not self._window.acquire(timeout=1.0):
            if time.monotonic() - self._progress > self._stalled:
                self.stalled = True
                return False
        return True

    def put(self, host: str, path: str, upload: Upload, cache_control: str) -> None:
        from awscrt.http import HttpHeaders, HttpRequest
        from awscrt.s3 import S3ChecksumAlgorithm, S3ChecksumConfig, S3ChecksumLocation, S3RequestType

        headers = HttpHeaders(
            [
                ("Host", host),
                ("Content-Type", upload.content_type),
                ("Cache-Control", cache_control),
                ("Content-Length", str(len(upload.body))),
            ]
        )
        request = self._client.make_request(
            type=S3RequestType.DEFAULT,
            operation_name="PutObject",
            request=HttpRequest("PUT", path, headers, io.BytesIO(upload.body)),
            # S3 checks the bytes it received against this CRC32, as it does botocore's
            checksum_config=S3ChecksumConfig(
                algorithm=S3ChecksumAlgorithm.CRC32, location=S3ChecksumLocation.HEADER
            ),
        )
        self._requests.append(request)
        self._finished.append(request.finished_future)
        request.finished_future.add_done_callback(functools.partial(self._done, upload.key))

    def _done(self, key: str, finished: Future[Any]) -> None:
        try:
            error = finished.exception()
            if error is not None:
                self.failed.append((key, error))
            self._progress = time.monotonic()
        finally:
            self._window.release()

    def wait(self) -> None:
        pending = set(self._finished)
        while pending:
            _, pending = wait(pending, timeout=1.0)
            if pending and time.monotonic() - self._progress > self._stalled:
                self.stalled = True
                return

    def cancel(self) -> None:
        if self.failed or self.stalled:
            for request in self._requests:
                request.cancel()  # a request already finished ignores it

    def failure(self, count: int) -> UploadFailed:
        if not self.failed:
            return UploadFailed(
                f"S3 answered none of the uploads for {self._stalled:.0f} s; {self.sent} of {count} were sent"
            )
        key, error = self.failed[0]
        status = getattr(error, "status_code", None)  # awscrt's S3ResponseError: S3 answered
        body = getattr(error, "body", None) or b""
        code = re.search(rb"<Code>([^<]+)</Code>", body)
        request_id = dict(getattr(error, "headers", None) or []).get("x-amz-request-id")
        why = str(error)
        if status:
            why = f"S3 answered {status} {code[1].decode() if code else ''}".rstrip()
            why += f" (request {request_id})" if request_id else ""
        failure = UploadFailed(
            f"{len(self.failed)} of {count} uploads failed ({count - self.sent} not sent); "
            f"the first, {key}: {why}"
        )
        failure.__cause__ = error
        return failure


# Where AWS is faked inside this process (moto's `mock_aws`: the handler tests set this), only
# botocore's calls are answered, so publications upload through botocore there.
IN_PROCESS_FAKE = False


def for_publications(s3: Any) -> Uploads:
    return SdkUploads(s3) if IN_PROCESS_FAKE else CrtUploads(s3)
