"""Dead-letter queues, built one way wherever a failure must be kept rather than lost.

A dead-letter queue here is SQS-encrypted, reachable over TLS only, keeps a message 14 days (the
SQS maximum) and has an alarm that fires as soon as one message is visible in it, and emails the
coordinators (`infra.constructs.alerts`) when it does and when the queue is empty again.
"""

from __future__ import annotations

from aws_cdk import Duration, Names, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.constructs.alerts import Alerts
from infra.declaration import FunctionSpec, QueueSpec

QUEUE_TAG = "mkcpp:queue"

DLQ_RETENTION = Duration.days(14)

IS_A_DLQ = (
    "This queue is itself a dead-letter queue (the end of the line for messages that failed for "
    "good, watched by an alarm). Redriving a DLQ into another DLQ would only move the problem."
)


def dead_letter_queue(
    scope: Construct,
    construct_id: str,
    *,
    alerts: Alerts,
    alarm_id: str,
    alarm_description: str,
    reason: str = IS_A_DLQ,
) -> sqs.Queue:
    """An encrypted, TLS-only DLQ with 14 days' retention and an alarm on its first visible message.

    `reason` says what feeds the queue, for the acknowledgement of the rules that ask a queue for
    a DLQ of its own (AwsSolutions-SQS3, Serverless-SQSRedrivePolicy).
    """
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
    )
    alarm = cloudwatch.Alarm(
        scope,
        alarm_id,
        alarm_description=alarm_description,
        metric=queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alerts.notify(alarm)
    nag.acknowledge(queue, "AwsSolutions-SQS3", reason)
    nag.acknowledge(queue, "Serverless-SQSRedrivePolicy", reason)
    return queue


def source_queue(
    scope: Construct,
    *,
    visibility_seconds: int,
    retention_days: int,
    max_receive_count: int,
    dead_letter: sqs.IQueue,
) -> sqs.Queue:
    """The queue a function consumes (id `Queue`), built one way for every source: SQS-managed
    SSE, TLS only, the declared retention and visibility, and after `max_receive_count` receives
    its message moves to `dead_letter`."""
    return sqs.Queue(
        scope,
        "Queue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        visibility_timeout=Duration.seconds(visibility_seconds),
        retention_period=Duration.days(retention_days),
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receive_count, queue=dead_letter),
    )


NO_ESM_DESTINATION = (
    "An on-failure destination on an event source mapping applies to stream and Kafka sources only; "
    "for SQS, Lambda does not support one. Failed messages are kept by the source queue's redrive "
    "policy instead: after the declared number of receives they move to its alarmed dead-letter queue."
)


class WorkQueue(Construct):
    """A declared queue that functions fill (`QueueSpec.producers`) and one declared function
    consumes: SQS-managed SSE, TLS only, the declared retention, visibility (a multiple of the
    consumer's timeout) and receives before its alarmed dead-letter queue. Producers get
    `sqs:SendMessage` on it and its URL (`<KEY>_QUEUE_URL`); the consumer gets an event source mapping
    with the declared batch size and concurrency, reporting partial batch failures."""

    def __init__(
        self, scope: Construct, construct_id: str, *, spec: QueueSpec, consumer: FunctionSpec, alerts: Alerts
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.dead_letter_queue = dead_letter_queue(
            self,
            "DeadLetterQueue",
            alerts=alerts,
            alarm_id="DeadLetterAlarm",
            alarm_description=f"Messages of the {spec.key} queue failed for good: {spec.description} "
            "Inspect and redrive.",
        )
        self.queue = source_queue(
            self,
            visibility_seconds=spec.visibility_timeout_seconds(consumer),
            retention_days=spec.retention_days,
            max_receive_count=spec.max_receive_count,
            dead_letter=self.dead_letter_queue,
        )
        # maps the queue in the template back to its `QueueSpec.key` (tests/support/permissions.py)
        Tags.of(self.queue).add(QUEUE_TAG, spec.key)


def consume(queue: sqs.IQueue, function: lambda_.Function, spec: QueueSpec) -> None:
    """`function` consumes `queue` as `spec` declares: batch size, concurrency, partial failures."""
    function.add_event_source(
        event_sources.SqsEventSource(
            queue,
            batch_size=spec.batch_size,
            report_batch_item_failures=True,
            max_concurrency=spec.max_concurrency,
        )
    )
    # SqsEventSource names its mapping after the queue's unique id (aws-lambda-event-sources).
    mapping = function.node.find_child(f"SqsEventSource:{Names.node_unique_id(queue.node)}")
    nag.acknowledge(mapping, "Serverless-LambdaEventSourceMappingDestination", NO_ESM_DESTINATION)
