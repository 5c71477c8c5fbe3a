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
  `shared.aws.native_call` so the permission check and local mode's call log see it too. The
  CRT retries throttling and 5xx as the SDK does; a request that still fails raises
  `UploadFailed`, and the publication stops before its pointer moves (the last version stays live).
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
    # the CRT opens connections for this rate; a Lambda function's network peaks well below it
    THROUGHPUT_GBPS = 5.0
    # requests handed to the CRT at once: enough to keep its connections busy, few enough that the
    # requests waiting their turn hold little memory
    IN_FLIGHT = 256

    def __init__(self, s3: Any) -> None:
        self._s3 = s3  # botocore's client: the endpoint, the region and the addressing style
        self._clients: dict[bool, Any] = {}

    def _client(self, tls: bool) -> Any:
        if tls not in self._clients:
            from awscrt.auth import AwsCredentials, AwsCredentialsProvider
            from awscrt.s3 import S3Client, S3RequestTlsMode

            def current() -> Any:  # botocore's, as it refreshes them
                frozen = credentials().get_frozen_credentials()
                return AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token)

            self._clients[tls] = S3Client(
                region=self._s3.meta.region_name,
                tls_mode=S3RequestTlsMode.ENABLED if tls else S3RequestTlsMode.DISABLED,
                credential_provider=AwsCredentialsProvider.new_delegate(current),
                throughput_target_gbps=self.THROUGHPUT_GBPS,
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
        from awscrt.http import HttpHeaders, HttpRequest
        from awscrt.s3 import S3RequestType

        tls, host, prefix = self.address(bucket)
        client = self._client(tls)
        window = threading.Semaphore(self.IN_FLIGHT)
        failed: list[tuple[str, BaseException]] = []
        sent = []
        for upload in uploads:
            window.acquire()
            if failed:
                break  # the publication fails anyway: send no more
            native_call("s3", "PutObject", {"Bucket": bucket, "Key": upload.key})
            headers = HttpHeaders(
                [
                    ("Host", host),
                    ("Content-Type", upload.content_type),
                    ("Cache-Control", cache_control),
                    ("Content-Length", str(len(upload.body))),
                ]
            )
            path = prefix + quote(upload.key, safe="/~")
            request = HttpRequest("PUT", path, headers, io.BytesIO(upload.body))
            finished = client.make_request(
                type=S3RequestType.DEFAULT, operation_name="PutObject", request=request
            ).finished_future
            finished.add_done_callback(functools.partial(self._done, window, failed, upload.key))
            sent.append(finished)
        wait(sent)
        if failed:
            key, error = failed[0]
            status = getattr(error, "status_code", None)  # awscrt's S3ResponseError: S3 answered
            code = re.search(rb"<Code>([^<]+)</Code>", getattr(error, "body", None) or b"")
            why = (
                f"S3 answered {status} {code[1].decode() if code else ''}".rstrip() if status else str(error)
            )
            raise UploadFailed(
                f"{len(failed)} of {len(uploads)} uploads failed ({len(uploads) - len(sent)} not sent); "
                f"the first, {key}: {why}"
            )

    @staticmethod
    def _done(
        window: threading.Semaphore, failed: list[tuple[str, BaseException]], key: str, finished: Future[Any]
    ) -> None:
        error = finished.exception()
        if error is not None:
            failed.append((key, error))
        window.release()


# Where AWS is faked inside this process (moto's `mock_aws`: the handler tests set this), only
# botocore's calls are answered, so publications upload through botocore there.
IN_PROCESS_FAKE = False


def for_publications(s3: Any) -> Uploads:
    return SdkUploads(s3) if IN_PROCESS_FAKE else CrtUploads(s3)
