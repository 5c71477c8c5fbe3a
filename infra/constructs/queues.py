"""Dead-letter queues, built one way wherever a failure must be kept rather than lost.

A dead-letter queue here is SQS-encrypted, reachable over TLS only, keeps a message 14 days (the
SQS maximum) and has an alarm that fires as soon as one message is visible in it, and emails the
coordinators (`infra.constructs.alerts`) when it does and when the queue is empty again.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.constructs.alerts import Alerts

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
