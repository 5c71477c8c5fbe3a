"""GDPR export and erasure of one member, in a members table holding 10,000 members.

DynamoDB Local (AWS's own engine, in memory, started with local mode's own helper) holds the tables,
created from `infra.declaration`; a moto server holds only the signing secret (Secrets Manager) and
the sender identity (SES). The members are written in the shapes the repository itself writes
(profiles, address pointers, working-group memberships, suppressions), 25 items per BatchWriteItem.

Then, for members in the middle of the table, the real `members_admin` handler is invoked as API
Gateway would invoke it, counting every AWS call by service:operation and timing it:
- `GET /admin/members/{id}/export`, the same member several times (it changes nothing but the audit);
- `DELETE /admin/members/{id}`, several different members, once each.
Times are medians, and are also given as a ratio to one GetItem round trip measured in the same
run, which stays comparable across machines of different speed or load. No call may be a Scan.
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "10000"))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GROUPS = (
    ("patient-journal", "Cancer Patient Journal", "Hospital"),
    ("resources-directory", "Local Cancer Resources Directory", "Hospital"),
    ("patient-feedback", "Patients talking to patients", "GP practice, Newport Pagnell"),
    ("carers", "Carers' voice", "The hospice"),
    ("research", "Research and audit", "Hospital"),
    ("gp-liaison", "GP Patient Participation Groups", "GP practice, Bletchley"),
    ("communications", "Newsletter and website", "Online"),
    ("events", "Awareness events", "Central Milton Keynes"),
)
FIRST = _words(
    "Margaret Patricia Susan Linda Janet Christine Ann Elaine Pauline Brenda Jean Carol Sandra Helen "
    "Deborah Julie Karen Amanda Sarah Nicola Priya Aisha Fatima Grace Ruth Joyce Eileen Maureen John "
    "David Michael Peter Robert Paul Stephen Andrew Richard Mark Ian Alan Brian Keith Colin Graham "
    "Trevor Raj Mohammed Tunde Kwame Piotr Tomasz Sean Declan Gareth Rhys Callum Hamish"
)
LAST = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson "
    "Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin "
    "Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips "
    "Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey "
    "Collins Bell Shah Khan Ahmed Begum Okafor Mensah Nowak Kowalski Murphy O'Brien McDonald"
)
DOMAINS = ("example.org", "example.com", "example.net", "example.co.uk")
ROLES = (
    ("patient", 25),
    ("carer", 15),
    ("patient_and_carer", 5),
    ("health_professional", 20),
    ("hospital_staff", 10),
    ("service_provider", 10),
    ("voluntary_group", 10),
    ("observer", 5),
)
ORGANISATIONS = (
    "Milton Keynes University Hospital",
    "Willen Hospice",
    "Macmillan Cancer Support",
    "Bletchley GP Practice",
    "MK Community Nursing",
    "Prostate Cancer Support Group",
)
STATUSES = (("active", 86), ("pending_confirmation", 4), ("unsubscribed", 8), ("suppressed", 2))
NOTICE_VERSION = "2026-11"
BATCH = 25
WRITERS = 4
GETITEM_SAMPLES = 41


# --- the world: DynamoDB Local and moto, the handler's environment ---------------------------------


@contextmanager
def services() -> Iterator[tuple[str, str]]:
    """(DynamoDB Local URL, moto URL), both on free ports, both stopped on exit."""
    from infra.local.services import DynamoDBLocal, free_port

    with tempfile.TemporaryDirectory(prefix="bench-ddb-") as scratch:
        dynamodb = DynamoDBLocal(free_port(), data_dir=None, log_path=Path(scratch) / "dynamodb.log")
        dynamodb.start()  # before moto's threads: it forks with a pre-exec hook
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        from moto.server import ThreadedMotoServer

        from infra.local import ses_suppression

        ses_suppression.install()  # erasure takes the address off SES's suppression list
        moto_port = free_port()
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        moto.start()
        try:
            dynamodb.wait_ready()
            yield dynamodb.url, f"http://127.0.0.1:{moto_port}"
        finally:
            moto.stop()
            dynamodb.stop()


@contextmanager
def handler_environment(dynamodb_url: str, moto_url: str) -> Iterator[dict[str, str]]:
    """The functions' environment (from the declaration), pointed at the local services; restored
    on exit. Yields the environment that was set."""
    from tests.handler import conftest as support

    env: dict[str, str] = {}
    for spec in support.FUNCTIONS:
        env.update(
            support.support_env.function_environment(
                spec.name, support.BASE_URL, support.SECRET_ID, support.CONFIGURATION_SET
            )
        )
    env.update(
        {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
            "AWS_DEFAULT_REGION": support.REGION,
            "AWS_REGION": support.REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        support.reset_function_state()  # new clients, read from this environment
        yield env
    finally:
        support.reset_function_state()
        os.environ.clear()
        os.environ.update(saved)


def provision(dynamodb_url: str, moto_url: str, signing_root: str, sender: str) -> Any:
    """Every declared table, the signing secret and the sender identity. Returns a DynamoDB client."""
    from infra.declaration import TABLES
    from infra.local.services import boto_client
    from tests.handler import conftest as support

    db = boto_client("dynamodb", dynamodb_url)
    for spec in TABLES:
        db.create_table(**spec.create_table_kwargs(spec.local_name))
    for spec in TABLES:
        db.get_waiter("table_exists").wait(TableName=spec.local_name, WaiterConfig={"Delay": 0.2})
    secrets = boto_client("secretsmanager", moto_url)
    secrets.create_secret(Name=support.SECRET_ID, SecretString=signing_root)
    # the same root for the lookup secret, so `Keys.from_root(signing_root)` seeds matching lookup ids
    secrets.create_secret(Name=support.support_env.LOOKUP_SECRET_ID, SecretString=signing_root)
    boto_client("ses", moto_url).verify_email_identity(EmailAddress=sender)
    return db


# --- the members -------------------------------------------------------------------------------------


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def member_items(
    n: int, rng: random.Random, keys: Any, now: datetime, target: bool = False
) -> tuple[Any, list[dict[str, Any]]]:
    """One member and every item the code would have stored for them, in the repository's shapes.
    A `target` is an active member in two working groups, the same shape every time."""
    from shared.clock import epoch, iso
    from shared.dynamo import to_item
    from shared.email.suppression import Suppression, suppression_key
    from shared.members.models import HEALTH_DATA_ROLES, Member, MemberStatus, Preferences, Role
    from shared.members.repository import _attributes, _group_membership_item, member_key, pointer_key
    from shared.members.service import PENDING_LIFETIME, Membership

    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first}.{last}.{n}@{rng.choice(DOMAINS)}".lower().replace("'", "")
    role = Role(_weighted(rng, ROLES))
    status = MemberStatus.ACTIVE if target else MemberStatus(_weighted(rng, STATUSES))
    groups = rng.sample([g for g, _, _ in GROUPS], k=rng.choice((0, 0, 0, 1, 1, 2)))
    phones = (None, f"07700 {rng.randint(900000, 900999)}", f"01908 {rng.randint(200000, 699999)}")
    created = now - timedelta(days=rng.randint(8, 20 * 365), seconds=rng.randint(0, 86_399))
    fields: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "name": f"{first} {last}",
        "email": email,
        "phone": phones[2] if target else rng.choice(phones),
        "role": role,
        "organisation": None if role in HEALTH_DATA_ROLES else rng.choice(ORGANISATIONS),
        "working_groups": sorted(["patient-journal", "research"] if target else groups),
        "status": status,
        "created_at": iso(created),
        "confirmed_at": iso(created + timedelta(hours=rng.randint(1, 48))),
        "consents": Membership.consents(role, NOTICE_VERSION, "web_form", created),
        "preferences": Preferences(meeting_reminders=rng.random() < 0.8, newsletters=rng.random() < 0.4),
        "lookup_id": keys.email_lookup_id(email),
    }
    if status is MemberStatus.PENDING:
        created = now - timedelta(days=rng.randint(0, 5), seconds=rng.randint(0, 86_399))
        fields.update(
            created_at=iso(created),
            confirmed_at=None,
            confirm_nonce=uuid.UUID(int=rng.getrandbits(128)).hex,
            expires_at=epoch(created + PENDING_LIFETIME),
        )
    elif status is MemberStatus.UNSUBSCRIBED:
        left = now - timedelta(days=rng.randint(1, 300))
        fields.update(unsubscribed_at=iso(left), expires_at=epoch(left + timedelta(days=365)))
    elif status is MemberStatus.SUPPRESSED:
        fields.update(status_before_suppression=MemberStatus.ACTIVE)
    member = Member(**fields)
    lookup_id = str(member.lookup_id)
    items = [
        {**member_key(member.id), **to_item(_attributes(member))},
        {**pointer_key(lookup_id), **to_item({"member_id": member.id, "expires_at": member.expires_at})},
    ]
    if status is MemberStatus.ACTIVE:  # only active members are listed in their groups
        items += [_group_membership_item(member, g) for g in member.working_groups]
    if status is MemberStatus.SUPPRESSED:
        bounced = Suppression(
            lookup_id=lookup_id, suppressed=True, reason="hard_bounce", suppressed_at=iso(now)
        )
        saved = {**bounced.model_dump(mode="json"), "version": 1, "expires_at": None}
        items.append({**suppression_key(lookup_id), **to_item(saved)})
    return member, items


def group_items(now: datetime) -> list[dict[str, Any]]:
    from shared.clock import iso
    from shared.dynamo import to_item
    from shared.groups import WorkingGroup, group_key

    created = iso(now - timedelta(days=400))
    return [
        {
            **group_key(gid),
            **to_item(
                WorkingGroup(
                    id=gid,
                    name=name,
                    purpose=f"{name}: reports back to the plenary",
                    meeting_place=place,
                    created_at=created,
                    updated_at=created,
                ).model_dump(mode="json")
            ),
        }
        for gid, name, place in GROUPS
    ]


def seed(
    db: Any, table: str, keys: Any, targets: int, now: datetime, members: int = MEMBERS
) -> tuple[list[Any], int, float]:
    """Write `members` members (plus the groups), printing progress on stderr. The `targets` members
    in the middle of the table are active, in two working groups. Returns (targets, items, seconds)."""
    rng = random.Random(2002)  # the partnership's founding year: the same members every run
    middle = members // 2
    chosen: list[Any] = []
    items = group_items(now)
    for n in range(members):
        target = middle <= n < middle + targets
        member, written = member_items(n, rng, keys, now, target)
        items += written
        if target:
            chosen.append(member)
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    started = time.perf_counter()
    done = 0

    def write(batch: list[dict[str, Any]]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while request:
            request = db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    # one line rewritten in place on a terminal; a line per step in a log
    ending = "\r" if sys.stderr.isatty() else "\n"
    with ThreadPoolExecutor(WRITERS) as pool:
        for _ in pool.map(write, batches):
            done += 1
            if done % 100 == 0 or done == len(batches):
                print(
                    f"bench: seeding {round(members * done / len(batches)):>6}/{members} members "
                    f"({done}/{len(batches)} BatchWriteItem calls, {time.perf_counter() - started:.1f} s)",
                    end=ending if done < len(batches) else "\n",
                    file=sys.stderr,
                    flush=True,
                )
    return chosen, len(items), time.perf_counter() - started


# --- measuring -------------------------------------------------------------------------------------


@contextmanager
def counting_calls() -> Iterator[Counter[str]]:
    """Every botocore API call made inside, by service:operation (as the cold-start bench does)."""
    import botocore.client

    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):  # type: ignore[no-untyped-def]
        calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def timed_ms(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def members_in_table(db: Any, table: str) -> int:
    """How many members the table lists, counted through the by_status index (a Query per status)."""
    from shared.members.models import MemberStatus

    total = 0
    for status in MemberStatus:
        pages = db.get_paginator("query").paginate(
            TableName=table,
            IndexName="by_status",
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": status.value}},
            Select="COUNT",
        )
        total += sum(page["Count"] for page in pages)
    return total


def getitem_ms(table: str, member_id: str) -> float:
    """Median of single GetItem round trips, with the handler's own client and read mode."""
    from shared.aws import client
    from shared.members.repository import member_key

    db = client("dynamodb")
    samples = [
        timed_ms(lambda: db.get_item(TableName=table, Key=member_key(member_id), ConsistentRead=True))[0]
        for _ in range(GETITEM_SAMPLES)
    ]
    return statistics.median(samples)


def _one_shape(runs: list[Counter[str]], what: str) -> dict[str, int]:
    """The calls of one operation: the same on every run (else the figure would mean nothing)."""
    assert all(run == runs[0] for run in runs), f"{what}: AWS calls differ between runs: {runs}"
    assert runs[0]["dynamodb:Scan"] == 0, f"{what} scanned a table"
    return {"total": sum(runs[0].values()), **dict(sorted(runs[0].items()))}


def gdpr_at_scale(runs: int) -> dict[str, object]:
    from infra.declaration import MEMBERS as MEMBERS_TABLE
    from shared.clock import utc_now
    from shared.keys import Keys
    from shared.members.repository import member_key, pointer_key
    from tests.handler import conftest as support

    signing_root = uuid.uuid4().hex * 2
    sender = json.loads((support.ROOT / "cdk.json").read_text())["context"]["mkcpp"]["sender"]
    sender = sender.split("<")[-1].rstrip(">")
    table = MEMBERS_TABLE.local_name
    now = utc_now()
    with (
        warnings.catch_warnings(),
        services() as (dynamodb_url, moto_url),
        handler_environment(dynamodb_url, moto_url),
    ):
        # metrics are disabled here, and Powertools says so on every invocation
        warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
        db = provision(dynamodb_url, moto_url, signing_root, sender)
        # one member to warm the handler with, then `runs` to export and `runs` to erase
        targets, items, seed_seconds = seed(db, table, Keys.from_root(signing_root), 2 + runs, now)
        warm, exported, erased = targets[0], targets[1], targets[2:]
        listed = members_in_table(db, table)
        assert listed == MEMBERS, f"the table lists {listed} members, not {MEMBERS}"
        world = support.World(support.Clock())

        # a warm Lambda: imports done, secret read, clients made (as after the first request)
        for path in (f"/admin/members/{warm.id}", f"/admin/members/{warm.id}/export"):
            assert world.admin("GET", path).status == 200
        getitem_before = getitem_ms(table, exported.id)

        export_ms: list[float] = []
        export_calls: list[Counter[str]] = []
        for _ in range(runs):
            with counting_calls() as calls:
                ms, response = timed_ms(partial(world.admin, "GET", f"/admin/members/{exported.id}/export"))
            assert response.status == 200, response
            body = response.json()
            assert body["profile"]["email"] == exported.email
            assert [g["id"] for g in body["working_groups"]] == ["patient-journal", "research"]
            export_ms.append(ms)
            export_calls.append(calls)

        erase_ms: list[float] = []
        erase_calls: list[Counter[str]] = []
        deleted: set[int] = set()
        for member in erased:
            with counting_calls() as calls:
                ms, response = timed_ms(partial(world.admin, "DELETE", f"/admin/members/{member.id}"))
            assert response.status == 200, response
            deleted.add(response.json()["items_deleted"])
            erase_ms.append(ms)
            erase_calls.append(calls)
            # it really is gone: profile, group memberships and address pointer
            assert "Item" not in db.get_item(TableName=table, Key=member_key(member.id))
            assert "Item" not in db.get_item(TableName=table, Key=pointer_key(member.lookup_id))
        getitem = statistics.median([getitem_before, getitem_ms(table, exported.id)])

    export_median, erase_median = statistics.median(export_ms), statistics.median(erase_ms)
    return {
        "members": listed,
        "items_seeded": items,
        "seed_s": round(seed_seconds, 1),
        "getitem_ms": round(getitem, 2),
        "export": {
            "ms": round(export_median, 1),
            "ratio_to_getitem": round(export_median / getitem, 1),
            "runs": runs,
            "aws_calls": _one_shape(export_calls, "export"),
        },
        "erase": {
            "ms": round(erase_median, 1),
            "ratio_to_getitem": round(erase_median / getitem, 1),
            "members_erased": len(erased),
            "items_deleted_each": sorted(deleted),
            "aws_calls": _one_shape(erase_calls, "erase"),
        },
        "scans": 0,  # asserted for every run above
    }
