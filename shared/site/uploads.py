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
- A publication `start`s a `Batch` and `put`s each file as soon as it is rendered, so the uploads
  travel while the next files are rendered; `finish` waits for the last. At most `IN_FLIGHT` are
  under way, and a finished upload's bytes are let go at once, so memory holds the files in
  flight, not the whole site.
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
from collections.abc import Callable, Iterable
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


class Batch(Protocol):
    """Uploads under way: `put` hands one over and returns at once (or when there is room), so the
    caller goes on rendering the next file while this one travels; `finish` waits for them all.
    Either raises `UploadFailed` once any has failed. `abandon` stops whatever is still running (a
    publication that failed writes nothing more); after `finish` it does nothing."""

    def put(self, upload: Upload) -> None: ...
    def finish(self) -> None: ...
    def abandon(self) -> None: ...


class Uploads(Protocol):
    def start(self, bucket: str, cache_control: str) -> Batch: ...


def put_all(uploads: Uploads, bucket: str, files: Iterable[Upload], cache_control: str) -> None:
    """Upload every file and wait for them all (raising `UploadFailed` if any failed)."""
    batch = uploads.start(bucket, cache_control)
    try:
        for upload in files:
            batch.put(upload)
        batch.finish()
    finally:
        batch.abandon()


class SdkUploads:
    def __init__(self, s3: Any, workers: int = 10) -> None:  # botocore's pool holds 10 connections
        self._s3 = s3
        self._workers = workers

    def start(self, bucket: str, cache_control: str) -> Batch:
        return _SdkBatch(self._s3, bucket, cache_control, self._workers)


class _SdkBatch:
    def __init__(self, s3: Any, bucket: str, cache_control: str, workers: int) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._cache_control = cache_control
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._window = threading.Semaphore(2 * workers)  # bodies waiting their turn hold memory
        self._context = contextvars.copy_context()  # each upload runs in this request's context (its logs)
        self._futures: list[Future[Any]] = []
        self.failed: list[tuple[str, BaseException]] = []

    def put(self, upload: Upload) -> None:
        self._raise_if_failed()
        self._window.acquire()
        future = self._pool.submit(
            self._context.copy().run,
            self._s3.put_object,
            Bucket=self._bucket,
            Key=upload.key,
            Body=upload.body,
            ContentType=upload.content_type,
            CacheControl=self._cache_control,
        )
        future.add_done_callback(functools.partial(self._done, upload.key))
        self._futures.append(future)

    def _done(self, key: str, finished: Future[Any]) -> None:
        self._window.release()
        error = None if finished.cancelled() else finished.exception()
        if error is not None:
            self.failed.append((key, error))

    def _raise_if_failed(self) -> None:
        if self.failed:
            key, error = self.failed[0]
            failure = UploadFailed(
                f"{len(self.failed)} of {len(self._futures)} uploads failed; the first, {key}: {error}"
            )
            raise failure from error

    def finish(self) -> None:
        wait(self._futures)
        self._pool.shutdown()
        self._raise_if_failed()

    def abandon(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


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

    def start(self, bucket: str, cache_control: str) -> Batch:
        tls, host, prefix = self.address(bucket)
        return _CrtBatch(
            lambda: self._client(tls),
            bucket,
            host,
            prefix,
            cache_control,
            self.IN_FLIGHT,
            self.STALLED_SECONDS,
        )


@functools.cache
def _crc32() -> Any:
    """S3 checks the bytes it received against this CRC32, as it does botocore's."""
    from awscrt.s3 import S3ChecksumAlgorithm, S3ChecksumConfig, S3ChecksumLocation

    return S3ChecksumConfig(algorithm=S3ChecksumAlgorithm.CRC32, location=S3ChecksumLocation.HEADER)


class _CrtBatch:
    """One batch's requests: at most `in_flight` at once, each one's failure kept, and the lot
    given up when none has finished for `stalled` seconds. Only the requests under way are held (a
    finished one, and the bytes it sent, are let go: a publication's memory is not all its files)."""

    def __init__(
        self,
        client: Callable[[], Any],
        bucket: str,
        host: str,
        prefix: str,
        cache_control: str,
        in_flight: int,
        stalled: float,
    ) -> None:
        self._client = client  # made at the first upload: a batch with none opens no connection
        self._bucket = bucket
        self._host = host
        self._prefix = prefix
        self._cache_control = cache_control
        self._in_flight = in_flight
        self._stalled = stalled
        self._changed = threading.Condition()
        self._running: dict[int, Any] = {}  # the requests under way, by number
        self.sent = 0
        self._progress = time.monotonic()
        self.failed: list[tuple[str, BaseException]] = []
        self.stalled = False

    def _wait_until(self, ready: Callable[[], bool]) -> bool:
        """Wait until `ready()`; False (and stalled) if no upload finished for `stalled` seconds."""
        with self._changed:
            while not ready():
                self._changed.wait(timeout=1.0)
                if not ready() and time.monotonic() - self._progress > self._stalled:
                    self.stalled = True
                    return False
        return True

    def put(self, upload: Upload) -> None:
        if self.failed or not self._wait_until(lambda: len(self._running) < self._in_flight):
            raise self._failure()  # stalled, or the publication fails anyway: send no more
        native_call("s3", "PutObject", {"Bucket": self._bucket, "Key": upload.key})
        self._send(upload)

    def finish(self) -> None:
        if not self._wait_until(lambda: not self._running) or self.failed:
            raise self._failure()

    def abandon(self) -> None:
        """Nothing of a failed batch goes on writing into the version's prefix."""
        with self._changed:
            running = list(self._running.values())
        for request in running:
            request.cancel()  # a request already finished ignores it
        if running:
            with self._changed:
                self._changed.wait_for(lambda: not self._running, timeout=self._stalled)

    def _send(self, upload: Upload) -> None:
        from awscrt.http import HttpHeaders, HttpRequest
        from awscrt.s3 import S3RequestType

        headers = HttpHeaders(
            [
                ("Host", self._host),
                ("Content-Type", upload.content_type),
                ("Cache-Control", self._cache_control),
                ("Content-Length", str(len(upload.body))),
            ]
        )
        path = self._prefix + quote(upload.key, safe="/~")
        request = self._client().make_request(
            type=S3RequestType.DEFAULT,
            operation_name="PutObject",
            request=HttpRequest("PUT", path, headers, io.BytesIO(upload.body)),
            checksum_config=_crc32(),
        )
        number = self.sent
        with self._changed:
            if not self._running:  # the wait for an answer starts now, not at the last one
                self._progress = time.monotonic()
            self._running[number] = request
            self.sent += 1
        request.finished_future.add_done_callback(functools.partial(self._done, number, upload.key))

    def _done(self, number: int, key: str, finished: Future[Any]) -> None:
        error = finished.exception()
        with self._changed:
            if error is not None:
                self.failed.append((key, error))
            self._running.pop(number, None)
            self._progress = time.monotonic()
            self._changed.notify_all()

    def _failure(self) -> UploadFailed:
        if not self.failed:
            return UploadFailed(
                f"S3 answered none of the uploads for {self._stalled:.0f} s; {self.sent} were sent"
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
        failure = UploadFailed(f"{len(self.failed)} of {self.sent} uploads failed; the first, {key}: {why}")
        failure.__cause__ = error
        return failure


# Where AWS is faked inside this process (moto's `mock_aws`: the handler tests set this), only
# botocore's calls are answered, so publications upload through botocore there.
IN_PROCESS_FAKE = False


def for_publications(s3: Any) -> Uploads:
    return SdkUploads(s3) if IN_PROCESS_FAKE else CrtUploads(s3)
