"""SQS event sources, emulated: SES bounce and complaint events reach the functions that want them.

In AWS, the SES configuration set publishes bounces and complaints to an SNS topic, which feeds an
SQS queue (`SES_EVENTS` in infra/declaration.py), which Lambda polls for its consumer. Locally, moto
sends no such events, so the queue is made in moto and filled on request:
`POST /_local/email-events` (any SES event notification), or the shortcuts
`POST /_local/email-events/bounce` `{"to": ..., "type": "Permanent" | "Transient"}` and
`POST /_local/email-events/complaint` `{"to": ...}`.

A poller then does what Lambda's SQS event source does: receive up to the declared batch size,
invoke the function with an SQS event, delete the messages it handled (all but the
`batchItemFailures` it reports), and leave the rest to come back after the declared visibility
timeout and, after the declared number of receives, go to the dead-letter queue.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from infra.declaration import SES_EVENTS, FunctionSpec, QueueSpec, consumers_of
from infra.local import ACCOUNT_ID, REGION
from infra.local.functions import Console, Invocation

EMAIL_EVENTS_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:mkcpp-local-email-events"


def provision_queue(
    sqs: Any, name: str, visibility_seconds: int, max_receive_count: int = SES_EVENTS.max_receive_count
) -> tuple[str, str]:
    """The queue and its dead-letter queue, as declared; returns (url, arn)."""
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_letters = _arn(sqs, dlq_url)
    redrive = json.dumps({"deadLetterTargetArn": dead_letters, "maxReceiveCount": str(max_receive_count)})
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": str(visibility_seconds), "RedrivePolicy": redrive},
    )["QueueUrl"]
    return str(url), _arn(sqs, url)


def _arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attributes["QueueArn"])


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source hands the function."""
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attributes.get("SentTimestamp", ""),
                    "SenderId": attributes.get("SenderId", ACCOUNT_ID),
                    "ApproximateFirstReceiveTimestamp": attributes.get(
                        "ApproximateFirstReceiveTimestamp", ""
                    ),
                },
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def sns_notification(message: Mapping[str, Any], topic_arn: str = EMAIL_EVENTS_TOPIC) -> str:
    """An SNS notification as SNS delivers it to an SQS queue (raw delivery off)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Message": json.dumps(message),
            "Timestamp": _now(),
            "SignatureVersion": "1",
            "Signature": "local",
            "SigningCertURL": "https://sns.invalid/local.pem",
            "UnsubscribeURL": "https://sns.invalid/unsubscribe",
        }
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _mail(to: str, source: str, ref: str | None = None) -> dict[str, Any]:
    return {
        # the tags our mailer set on the email; `ref` names the mailing it was one of
        "tags": {"ref": [ref]} if ref else {},
        "timestamp": _now(),
        "source": source,
        "sendingAccountId": ACCOUNT_ID,
        "messageId": f"local-{uuid.uuid4()}",
        "destination": [to],
        "headersTruncated": False,
        "headers": [],
        "commonHeaders": {"from": [source], "to": [to]},
    }


def ses_bounce(to: str, bounce_type: str, source: str, ref: str | None = None) -> dict[str, Any]:
    permanent = bounce_type == "Permanent"
    return {
        "eventType": "Bounce",
        "bounce": {
            "feedbackId": f"local-{uuid.uuid4()}",
            "bounceType": bounce_type,
            "bounceSubType": "General" if permanent else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": to,
                    "action": "failed",
                    "status": "5.1.1" if permanent else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                    if permanent
                    else "smtp; 452 4.2.2 mailbox full",
                }
            ],
            "timestamp": _now(),
            "reportingMTA": "dns; local",
        },
        "mail": _mail(to, source, ref),
    }


def ses_complaint(to: str, source: str, ref: str | None = None) -> dict[str, Any]:
    return {
        "eventType": "Complaint",
        "complaint": {
            "feedbackId": f"local-{uuid.uuid4()}",
            "complainedRecipients": [{"emailAddress": to}],
            "timestamp": _now(),
            "complaintFeedbackType": "abuse",
        },
        "mail": _mail(to, source, ref),
    }


class QueuePoller:
    """Lambda's SQS event source for one function and one queue."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        function: str,
        invoke: Callable[[str, Any], Invocation],
        console: Console,
        batch_size: int = SES_EVENTS.batch_size,
    ) -> None:
        self._batch_size = batch_size
        self._sqs = sqs
        self.queue_url = queue_url
        self._queue_arn = queue_arn
        self._function = function
        self._invoke = invoke
        self._console = console
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, body: str) -> str:
        return str(self._sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)["MessageId"])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"sqs-{self._function}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.signal()
        self.join()

    def signal(self) -> None:
        """Ask it to stop after the batch in hand (see `join`)."""
        self._stop.set()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception as exc:  # moto stopping, or a bug: say so, keep polling
                if self._stop.is_set():
                    return
                self._console.line(f"sqs | polling for {self._function} failed: {exc!r}")
                self._stop.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and hand it to the function; returns how many messages it held."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        outcome = self._invoke(self._function, sqs_event(messages, self._queue_arn))
        if not outcome.ok:
            self._console.line(f"sqs | {self._function} failed; {len(messages)} message(s) will be retried")
            return len(messages)
        result = outcome.result if isinstance(outcome.result, dict) else {}
        failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        retried = f", {len(failed)} to retry" if failed else ""
        self._console.line(f"sqs | {self._function} handled {len(done)} message(s){retried}")
        return len(messages)


class _Polled:
    """Queues polled for their consumers: started and stopped together with local mode."""

    pollers: list[QueuePoller]

    def start(self) -> None:
        for poller in self.pollers:
            poller.start()

    def stop(self) -> None:
        # every poller is asked first, then each is waited for: they finish their batches at once,
        # so stopping takes the longest batch, not the sum of them
        for poller in self.pollers:
            poller.signal()
        for poller in self.pollers:
            poller.join()


class EmailEvents(_Polled):
    """The SNS topic of SES events, fanned out to the queue of each function that wants them.

    With `ses` (an SES v2 client on moto), a hard bounce or a complaint also puts the address on SES's
    account-level suppression list, as the configuration set's suppression options make SES do
    (moto's stand-in for that list: `infra.local.ses_suppression`)."""

    def __init__(self, pollers: Sequence[QueuePoller], sender: str, ses: Any = None) -> None:
        self.pollers = list(pollers)
        self._sender = sender
        self._ses = ses

    def publish(self, message: Mapping[str, Any]) -> list[str]:
        body = sns_notification(message)
        return [poller.send(body) for poller in self.pollers]

    def bounce(self, to: str, bounce_type: str = "Permanent", ref: str | None = None) -> list[str]:
        if bounce_type == "Permanent":
            self._suppress(to, "BOUNCE")
        return self.publish(ses_bounce(to, bounce_type, self._sender, ref))

    def complaint(self, to: str, ref: str | None = None) -> list[str]:
        self._suppress(to, "COMPLAINT")
        return self.publish(ses_complaint(to, self._sender, ref))

    def _suppress(self, to: str, reason: str) -> None:
        if self._ses is not None:
            self._ses.put_suppressed_destination(EmailAddress=to, Reason=reason)


class WorkQueues(_Polled):
    """The declared work queues (`QueueSpec` with producers), made in moto as declared, each polled
    for its one consumer as Lambda's event source mapping would: what `infra.constructs.queues.
    WorkQueue` builds in AWS. Producers already know each URL (`local_queue_url`)."""

    def __init__(self, pollers: Sequence[QueuePoller]) -> None:
        self.pollers = list(pollers)

    @classmethod
    def provision(
        cls,
        sqs: Any,
        queues: Sequence[QueueSpec],
        functions: Sequence[FunctionSpec],
        invoke: Callable[[str, Any], Invocation],
        console: Console,
        expected_url: Callable[[str], str],
    ) -> WorkQueues:
        pollers = []
        for spec in queues:
            if spec.source is not None:
                continue
            consumers = consumers_of(spec, tuple(functions))
            if len(consumers) != 1:
                raise ValueError(f"the {spec.key!r} queue needs exactly one consumer, not {len(consumers)}")
            url, arn = provision_queue(
                sqs,
                spec.local_name,
                visibility_seconds=spec.visibility_timeout_seconds(consumers[0]),
                max_receive_count=spec.max_receive_count,
            )
            if url != expected_url(spec.local_name):
                raise ValueError(f"moto made {url} for {spec.key!r}; its producers were told otherwise")
            pollers.append(
                QueuePoller(sqs, url, arn, consumers[0].name, invoke, console, batch_size=spec.batch_size)
            )
        return cls(pollers)
