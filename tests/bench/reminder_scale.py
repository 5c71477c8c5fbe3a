"""One meeting's reminder run to every member, at 1,000 and at 10,000 members, in local mode's
services (DynamoDB Local for the tables, a moto server for SQS, SES and Secrets Manager).

For each size, members are seeded as `tests/bench/gdpr_scale.py` seeds them (the same mix of
statuses, roles, groups and email choices), a plenary for all members is created two days ahead
through the real `meetings_admin` handler, then the real `meeting_planner` runs once and the real
`meeting_sender` takes every job off the mail queue until it is empty, as the event source mapping
would. Every AWS call is counted by service:operation. Then the schedule fires again and the queue
is drained again: that second run must send nothing.

Reported per size: emails sent, wall time (SES's sending rate is set out of the way here, since it
is the account's quota, not our code: the time the configured rate adds is given separately), AWS
calls in all and per 1,000 emails, and those calls against the floor of one SES call per email plus
one batched DynamoDB write per 25 emails (the "sent" marks; 1,040 calls per 1,000 emails).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import urllib.request
import uuid
import warnings
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

SIZES = tuple(int(n) for n in os.environ.get("BENCH_REMINDER_SIZES", "1000,10000").split(","))
FLOOR_PER_1000 = 1000 + 1000 // 25  # one SES call per email, one batched write per 25


def _receive_all(sqs: Any, url: str, world: Any) -> int:
    """Hand every queued mail job to the sender until the queue is empty. Returns the jobs handled."""
    from tests.support.events import sqs_record

    handled = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            record = sqs_record(message, "arn:aws:sqs:eu-west-2:123456789012:mkcpp-local-meeting-mail")
            result = world.invoke("meeting_sender", {"Records": [record]})
            assert not result["batchItemFailures"], f"a mail page failed: {result}"
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
            if handled % 20 == 0:
                print(f"bench: reminders: {handled} mail pages sent", file=sys.stderr, flush=True)


def _one_size(members: int) -> dict[str, object]:
    from infra.declaration import MEMBERS as MEMBERS_TABLE
    from infra.declaration import queues
    from infra.local.services import boto_client
    from shared.clock import utc_now
    from shared.keys import Keys
    from tests.bench import gdpr_scale as scale
    from tests.handler import conftest as support

    signing_root = uuid.uuid4().hex * 2
    sender = json.loads((support.ROOT / "cdk.json").read_text())["context"]["mkcpp"]["sender"]
    sender = sender.split("<")[-1].rstrip(">")
    now = utc_now()
    with (
        warnings.catch_warnings(),
        scale.services() as (dynamodb_url, moto_url),
        scale.handler_environment(dynamodb_url, moto_url),
    ):
        warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
        rate = float(os.environ.get("EMAIL_PER_SECOND", "1"))
        os.environ["EMAIL_PER_SECOND"] = "1000000"  # SES's quota, not our code: reported separately
        # moto's server keeps its accounts in this process: start each size from an empty one
        urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
        db = scale.provision(dynamodb_url, moto_url, signing_root, sender)
        sqs = boto_client("sqs", moto_url)
        for queue in queues():
            if queue.source is None:
                sqs.create_queue(QueueName=queue.local_name)
        mail_queue = sqs.get_queue_url(QueueName="mkcpp-local-meeting-mail")["QueueUrl"]
        _, items, seed_seconds = scale.seed(
            db, MEMBERS_TABLE.local_name, Keys.from_root(signing_root), 0, now, members=members
        )
        world = support.World(support.Clock())
        start = (now + timedelta(days=2)).astimezone(ZoneInfo("Europe/London"))
        created = world.admin(
            "POST",
            "/admin/meetings",
            json_body={
                "kind": "plenary",
                "title": "Plenary",
                "starts_at": start.replace(hour=12, minute=30).strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": 90,
                "location": {
                    "name": "Hospital education centre",
                    "address": "Standing Way\nEaglestone\nMilton Keynes\nMK6 5LD",
                    "accessibility": "Step-free access; hearing loop",
                },
                "agenda": "News from the working groups",
                "audience": {"type": "all"},
            },
        )
        assert created.status == 201, created

        with scale.counting_calls() as calls:
            started = time.perf_counter()
            planned = world.invoke("meeting_planner", {"kind": "meeting_reminders"})
            pages = _receive_all(sqs, mail_queue, world)
            seconds = time.perf_counter() - started
        # the schedule fires again (twice, or late): nothing more goes out
        with scale.counting_calls() as again:
            world.invoke("meeting_planner", {"kind": "meeting_reminders"})
            _receive_all(sqs, mail_queue, world)

    # the queue's poller (Lambda's event source mapping, here the bench) receives and deletes: not ours
    poller = {op: calls.pop(op, 0) for op in ("sqs:ReceiveMessage", "sqs:DeleteMessage")}
    for op in poller:
        again.pop(op, None)
    sent = calls["sesv2:SendEmail"] + calls["ses:SendRawEmail"] + calls["ses:SendEmail"]
    resent = again["sesv2:SendEmail"] + again["ses:SendRawEmail"] + again["ses:SendEmail"]
    assert resent == 0, f"the second run sent {resent} emails"
    assert calls["dynamodb:Scan"] == 0, "the reminder run scanned a table"
    total = sum(calls.values())
    per_1000 = round(total * 1000 / sent) if sent else None
    return {
        "members": members,
        "items_seeded": items,
        "seed_s": round(seed_seconds, 1),
        "planned": planned,
        "mail_pages": pages,
        "emails_sent": sent,
        "wall_s": round(seconds, 1),
        "ms_per_email": round(seconds * 1000 / sent, 2) if sent else None,
        "configured_rate_per_s": rate,
        "time_the_rate_adds_s": round(sent / rate, 1),
        "aws_calls": {"total": total, **dict(sorted(calls.items()))},
        "aws_calls_per_1000_emails": per_1000,
        "floor_per_1000_emails": FLOOR_PER_1000,
        "ratio_to_floor": round(per_1000 / FLOOR_PER_1000, 2) if per_1000 else None,
        "poller_calls": poller,
        "second_run": {"emails_sent": resent, "aws_calls": sum(again.values())},
    }


def reminders_at_scale() -> list[dict[str, object]]:
    # the sender's metrics (disabled here, yet flushed every 100) would land in the JSON report
    with contextlib.redirect_stdout(sys.stderr):
        return [_one_size(n) for n in SIZES]


if __name__ == "__main__":
    print(json.dumps(reminders_at_scale(), indent=2))
