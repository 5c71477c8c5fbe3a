"""`make bench`: publishing the directory at scale (issue 17's goal: 5,000 services in under 10 s and
300 MB), and what a re-publish after a single change writes and takes.

For each size, DynamoDB Local and moto's S3 (`gdpr_scale.services`) hold that many entries; the
publisher runs in a fresh child process (so its peak memory is its own, not moto's), as the
nightly function does: read every entry, render every page and file, hash them, write what changed,
switch the pointer. Then one entry changes and it publishes again; then it publishes with nothing
changed. `BENCH_DIRECTORY_SIZES` ("1000,5000") tunes it.

Each publication reports its wall time; `waiting_for_uploads_seconds`, the part after the last
file was rendered spent waiting for uploads to finish (files are uploaded as they are rendered, so
the rest of the uploading overlaps the rendering); `cpu_seconds`, the process's CPU (the CRT's
native threads included); and `s3_puts`, the PutObject requests it sent (the files, the manifest,
the routes, the pointer), with `s3_calls` by operation. Against moto the upload time is moto's: one
Python process that serves each request in a few ms of its own CPU, whatever the pool size.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from tests.bench.gdpr_scale import handler_environment, provision, services

SIZES = tuple(int(n) for n in os.environ.get("BENCH_DIRECTORY_SIZES", "1000,5000").split(","))
TOWNS = ("Milton Keynes", "Bletchley", "Newport Pagnell", "Olney", "Wolverton", "Stony Stratford")
WORDS = ("Cancer", "Support", "Wellbeing", "Carers", "Hope", "Friends", "Together", "Circle", "Café", "Walk")

CHILD = """
import json, os, time
from collections import Counter
from functions.directory.services import publication
from shared import clock
from shared.aws import observe_native_calls
from shared.site.publisher import SitePublisher
from shared.site.uploads import CrtUploads

stand_in = os.environ.get("BENCH_FILES_TO")  # the files go to tests.bench.instant_s3, the rest to moto
if stand_in:
    CrtUploads.address = lambda self, bucket: (False, stand_in, f"/{bucket}/")

def peak_mb():  # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)

waiting = [0.0]  # after the last file is rendered, until every upload has finished
from shared.site import uploads as site_uploads
for batch in (site_uploads._CrtBatch, site_uploads._SdkBatch):
    def timed(self, finish=batch.finish):
        started = time.perf_counter()
        try:
            return finish(self)
        finally:
            waiting[0] += time.perf_counter() - started
    batch.finish = timed
before = peak_mb()
started = time.perf_counter()
directory = publication()
s3_calls = Counter()  # every S3 request the publication sends, by operation
directory.publisher._s3.meta.events.register(
    "before-call.s3", lambda model, **_: s3_calls.update([model.name]), unique_id="bench-count")
observe_native_calls(lambda service, operation, params: s3_calls.update([operation]))  # the CRT's
done = directory.publish("bench", clock.utc_now())
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": round(elapsed, 2),
    "waiting_for_uploads_seconds": round(waiting[0], 2), "cpu_seconds": round(time.process_time(), 2),
    "s3_puts": s3_calls["PutObject"], "s3_calls": dict(sorted(s3_calls.items())),
    "version": done.version, "files": done.files, "written": done.written, "changed": len(done.changed),
    "peak_mb": peak_mb(), "peak_mb_after_imports": before}))
"""


def entry(rng: random.Random, n: int) -> dict[str, Any]:
    from shared.directory.taxonomy import CATEGORIES, NEEDS

    town = rng.choice(TOWNS)
    name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}"
    return {
        "name": name,
        "description": f"{name} offers support to people living with cancer and those close to them. "
        "Meetings are friendly and informal; no need to book.\nRing first if you need step-free access.",
        "organization": {"name": f"{rng.choice(WORDS)} Trust {n % 400}", "description": "A local charity."},
        "categories": rng.sample([t.slug for t in CATEGORIES], 2),
        "needs": rng.sample([t.slug for t in NEEDS], 2),
        "locations": [
            {
                "name": f"{town} Community Centre",
                "address": f"{n % 90 + 1} High Street",
                "town": town,
                "postcode": "MK6 5LD",
                "accessibility": "Step-free entrance and an accessible toilet.",
            }
        ],
        "contacts": [
            {"phone": "01908 996010", "email": f"group{n}@example.org", "website": "https://example.org/"}
        ],
        "schedules": [
            {"byday": rng.choice(["MO", "TU,TH", "2TU", "-1FR"]), "opens_at": "10:00", "closes_at": "12:00"}
        ],
        "status": "active",
        "review_interval_months": rng.choice([3, 6, 12]),
        "last_reviewed": "2026-06-01",
    }


def seed(count: int) -> list[Any]:
    from functions.directory.services import admin
    from shared.directory.models import ServiceInput, id_for

    rng = random.Random(17)
    now = datetime.now(UTC)
    built = []
    for n in range(count):
        data = ServiceInput.model_validate(entry(rng, n))
        built.append(admin().build(data, id_for(data.organization.name, data.name), "bench", now, None))
    admin().repository.write_all(built, [], now)
    return built


def publish(env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**os.environ, **env, "PYTHONPATH": os.getcwd()},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@contextmanager
def world(size: int) -> Iterator[tuple[dict[str, str], list[Any]]]:
    """DynamoDB Local and moto from nothing, holding `size` entries: the functions' environment and
    the entries."""
    with services() as (dynamodb_url, moto_url):
        # moto's state lives in this process: each world starts from nothing
        urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
        provision(dynamodb_url, moto_url, "bench-root-" + "x" * 40, "no-reply@mkcpp.org.uk")
        from infra.declaration import BUCKETS
        from infra.local.services import boto_client

        s3 = boto_client("s3", moto_url)
        for bucket in BUCKETS:
            s3.create_bucket(
                Bucket=bucket.local_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
            )
        with handler_environment(dynamodb_url, moto_url) as env:
            yield env, seed(size)


UPLOADS_COMPARED = 5000
# S3's answer to a small PutObject from Lambda in the same region: tens of milliseconds (typical
# figures, not measured here: there is no AWS account)
S3_DELAY_MS = int(os.environ.get("BENCH_S3_DELAY_MS", "30"))


def uploads_compared() -> dict[str, Any]:
    """The same 5,000 files of 6 KB through botocore (16 threads) and through the AWS CRT, to a
    stand-in that answers at once: wall time and this process's CPU (native threads included)."""
    from tests.bench import instant_s3

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    import boto3
    from botocore.config import Config

    from shared.site.uploads import CrtUploads, SdkUploads, Upload, put_all

    files = [Upload(f"v/1/services/{n}.html", bytes(6000), "text/html") for n in range(UPLOADS_COMPARED)]
    results: dict[str, Any] = {"files": UPLOADS_COMPARED}
    with instant_s3.running() as stand_in:
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://{stand_in}",
            region_name="eu-west-2",
            config=Config(max_pool_connections=16),
        )
        for name, uploads in (("botocore_16_threads", SdkUploads(s3, 16)), ("crt", CrtUploads(s3))):
            put_all(uploads, "site", files[:50], "public")  # connections and clients made
            started, cpu = time.perf_counter(), time.process_time()
            put_all(uploads, "site", files, "public")
            results[name] = {
                "seconds": round(time.perf_counter() - started, 2),
                "cpu_seconds": round(time.process_time() - cpu, 2),
            }
    results["crt_time_ratio"] = round(
        results["crt"]["seconds"] / results["botocore_16_threads"]["seconds"], 3
    )
    print(f"bench: uploads compared: {json.dumps(results)}", file=sys.stderr)
    return results


def directory_at_scale() -> dict[str, Any]:
    from tests.bench import instant_s3

    results: dict[str, Any] = {}
    for size in SIZES:
        # the publisher alone: the files go to a stand-in that answers each in S3_DELAY_MS, as S3
        # does (moto is far slower); the manifest, the routes and the pointer to moto
        with world(size) as (env, _), instant_s3.running(S3_DELAY_MS) as stand_in:
            first_publisher_alone = publish({**env, "BENCH_FILES_TO": stand_in})
        with world(size) as (env, built):
            first = publish(env)
            from functions.directory.services import admin

            one = built[size // 2]
            changed = one.as_input() | {"alert": "New times from March"}
            from shared.directory.models import ServiceInput

            admin().replace(str(one.id), ServiceInput.model_validate(changed), "bench", datetime.now(UTC))
            after_one_change = publish(env)
            unchanged = publish(env)
        results[str(size)] = {
            f"first_publish_files_to_a_stand_in_answering_in_{S3_DELAY_MS}_ms": first_publisher_alone,
            "first_publish": first,
            "after_one_change": after_one_change,
            "unchanged": unchanged,
        }
        print(f"bench: directory of {size}: {json.dumps(results[str(size)])}", file=sys.stderr)
    return results
