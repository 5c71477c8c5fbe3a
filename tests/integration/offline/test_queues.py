"""The SQS event source: the event's shape, and which messages are deleted after a batch."""

from __future__ import annotations

import json
from typing import Any

from infra.local.functions import Console, Invocation
from infra.local.queues import EmailEvents, QueuePoller, ses_bounce, sns_notification, sqs_event

ARN = "arn:aws:sqs:eu-west-2:123456789012:q"


def message(n: int) -> dict[str, Any]:
    return {
        "MessageId": f"m-{n}",
        "ReceiptHandle": f"r-{n}",
        "Body": f"body {n}",
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795860930000"},
    }


def test_the_sqs_event_has_lambdas_shape() -> None:
    [record] = sqs_event([message(1)], ARN)["Records"]

    assert record["messageId"] == "m-1"
    assert record["receiptHandle"] == "r-1"
    assert record["body"] == "body 1"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == ARN
    assert record["awsRegion"] == "eu-west-2"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_an_ses_event_travels_inside_an_sns_notification() -> None:
    event = ses_bounce("ann@example.org", "Permanent", "MKCPP <no-reply@mkcpp.org.uk>")

    notification = json.loads(sns_notification(event))

    assert notification["Type"] == "Notification"
    inner = json.loads(notification["Message"])
    assert inner["eventType"] == "Bounce"
    assert inner["bounce"]["bouncedRecipients"][0]["emailAddress"] == "ann@example.org"
    assert inner["mail"]["destination"] == ["ann@example.org"]


class FakeSqs:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        self.deleted: list[str] = []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        batch, self.messages = self.messages, []
        return {"Messages": batch} if batch else {}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:
        self.deleted.extend(e["ReceiptHandle"] for e in Entries)

    def send_message(self, **_: Any) -> dict[str, str]:
        return {"MessageId": "new"}


def test_only_the_messages_the_function_handled_are_deleted() -> None:
    sqs = FakeSqs([message(1), message(2), message(3)])
    seen: list[Any] = []

    def invoke(name: str, event: Any) -> Invocation:
        seen.append(event)
        return Invocation(True, result={"batchItemFailures": [{"itemIdentifier": "m-2"}]})

    poller = QueuePoller(sqs, "url", ARN, "bounces", invoke, Console())

    assert poller.poll_once() == 3
    assert [r["messageId"] for r in seen[0]["Records"]] == ["m-1", "m-2", "m-3"]
    assert sqs.deleted == ["r-1", "r-3"]
    assert poller.poll_once() == 0


def test_a_failed_invocation_deletes_nothing() -> None:
    sqs = FakeSqs([message(1)])
    poller = QueuePoller(sqs, "url", ARN, "bounces", lambda name, event: Invocation(False), Console())

    assert poller.poll_once() == 1
    assert sqs.deleted == []


def test_declared_work_queues_are_made_as_declared_and_polled_for_their_consumer() -> None:
    import boto3
    from moto import mock_aws

    from infra.declaration import FunctionSpec, QueueSpec
    from infra.local.environment import local_queue_url
    from infra.local.queues import WorkQueues

    notices = QueueSpec(key="meeting_notices", description="sketch", producers=("planner",), batch_size=7)
    sender = FunctionSpec(
        name="sender",
        handler="x.sender",
        description="sketch",
        consumes=("meeting_notices",),
        timeout_seconds=20,
    )
    seen: list[Any] = []

    def invoke(name: str, event: Any) -> Invocation:
        seen.append((name, [r["body"] for r in event["Records"]]))
        return Invocation(True, result={"batchItemFailures": []})

    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-2")
        base = "https://sqs.eu-west-2.amazonaws.com"
        work = WorkQueues.provision(
            sqs, [notices], [sender], invoke, Console(), lambda n: local_queue_url(base, n)
        )
        [poller] = work.pollers
        url = local_queue_url(base, notices.local_name)
        assert poller.queue_url == url
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == str(notices.visibility_factor * sender.timeout_seconds)
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == notices.max_receive_count
        sqs.send_message(QueueUrl=url, MessageBody="notify m-1")
        assert poller.poll_once() == 1
    assert seen == [("sender", ["notify m-1"])]


class FakeSes:
    def __init__(self) -> None:
        self.suppressed: dict[str, str] = {}

    def put_suppressed_destination(self, EmailAddress: str, Reason: str) -> None:
        self.suppressed[EmailAddress] = Reason


def test_a_hard_bounce_or_complaint_puts_the_address_on_ses_own_list_as_ses_does() -> None:
    # Given local mode's SES events, with its SES (moto, and the stand-in for its suppression list)
    ses = FakeSes()
    poller = QueuePoller(FakeSqs([]), "url", ARN, "bounces", lambda name, event: Invocation(True), Console())
    events = EmailEvents([poller], "MKCPP <no-reply@mkcpp.org.uk>", ses=ses)
    # When addresses bounce for good, bounce for a while, and complain
    events.bounce("hard@example.org", "Permanent")
    events.bounce("full@example.org", "Transient")
    events.complaint("spam@example.org")
    # Then, as the configuration set's suppression options make SES do, only the first and last are
    # held by Amazon's account-level suppression list
    assert ses.suppressed == {"hard@example.org": "BOUNCE", "spam@example.org": "COMPLAINT"}


def test_the_suppression_list_stand_in_answers_as_ses_does() -> None:
    # Given moto, taught SES's account-level suppression list (which it lacks)
    import boto3
    import pytest
    from moto import mock_aws
    from moto.backends import get_backend

    from infra.local import ses_suppression

    ses_suppression.install()
    with mock_aws():
        ses = boto3.client("sesv2", region_name="eu-west-2")
        ses.put_suppressed_destination(EmailAddress="Ann@Example.org", Reason="COMPLAINT")
        held = get_backend("sesv2")["123456789012"]["eu-west-2"]
        assert ses_suppression.suppressed(held) == {"ann@example.org": "COMPLAINT"}
        got = ses.get_suppressed_destination(EmailAddress="ann@example.org")["SuppressedDestination"]
        assert got["Reason"] == "COMPLAINT"
        # When the address is taken off, it is gone; taking it off again is SES's NotFoundException
        ses.delete_suppressed_destination(EmailAddress="ann@example.org")
        assert ses_suppression.suppressed(held) == {}
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.delete_suppressed_destination(EmailAddress="ann@example.org")
