"""SES bounces and complaints, as SES -> SNS -> SQS -> Lambda delivers them, emulated locally."""

from __future__ import annotations

import time

import pytest

from infra.declaration import FUNCTIONS
from tests.support.local import LocalMode

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not any(getattr(f, "ses_events", False) for f in FUNCTIONS), reason="no function takes SES events"
    ),
]


def member_status(local: LocalMode, address: str) -> str | None:
    items = local.get("/admin/members?limit=100", token=local.admin_token()).json()["items"]
    return next((m["status"] for m in items if m["email"] == address), None)


def test_a_hard_bounce_suppresses_the_member(local: LocalMode, address: str) -> None:
    # Given someone who signed up
    body = {
        "name": "Ed",
        "email": address,
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": "2026-11",
    }
    assert local.post("/members", json_body=body).status == 202
    assert member_status(local, address) == "pending_confirmation"

    # When their address bounces permanently
    queued = local.post("/_local/email-events/bounce", json_body={"to": address, "type": "Permanent"})
    assert queued.status == 202, queued.text

    # Then the bounce function, fed from the queue, suppresses them
    deadline = time.monotonic() + 15
    while member_status(local, address) != "suppressed" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert member_status(local, address) == "suppressed"


def test_bad_email_event_requests_are_400s(local: LocalMode) -> None:
    assert local.post("/_local/email-events/bounce", json_body={"type": "Permanent"}).status == 400
    assert local.post("/_local/email-events/bounce", json_body={"to": "a@b.c", "type": "Soft"}).status == 400
    assert local.post("/_local/email-events", json_body={"no": "eventType"}).status == 400
    assert local.get("/_local/email-events/bounce").status == 405


def test_local_mode_builds_the_declared_queue(local: LocalMode) -> None:
    # the same visibility timeout and receive count the CDK stack deploys (tests/infra checks that side)
    import json

    from infra.declaration import SES_EVENTS, consumers_of
    from infra.local.services import boto_client

    sqs = boto_client("sqs", local.endpoints["moto"])
    url = sqs.get_queue_url(QueueName=SES_EVENTS.local_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    (consumer,) = consumers_of(SES_EVENTS)
    assert int(attributes["VisibilityTimeout"]) == SES_EVENTS.visibility_timeout_seconds(consumer)
    assert int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]) == SES_EVENTS.max_receive_count
