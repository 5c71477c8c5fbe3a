"""The SES event path: bounces and complaints from the configuration set, queued for one consumer.

    SES configuration set ─(event destination: BOUNCE, COMPLAINT)─▶ SNS topic (customer-managed KMS key,
    TLS only) ─(SQS subscription, SNS envelope kept)─▶ SQS queue (SQS-managed SSE, TLS only)
    ─(event source mapping, partial batch failures)─▶ the one function whose spec has `ses_events`.

A message the consumer fails on is retried by SQS and, after `MAX_RECEIVE_COUNT` receives, moved to
the dead-letter queue; a message SNS cannot deliver to the queue goes to the same dead-letter queue.
An alarm fires on the first message there. Messages reach the DLQ in either form (SNS envelope or
not): `shared.email.events.parse_sqs_body` reads both, so a DLQ redrive needs no translation.

Why a customer-managed key on the topic: SNS topics are encrypted with KMS only, and SES can publish
to an encrypted topic only if the key policy lets it, which the AWS-managed `aws/sns` key's fixed
policy does not. The queues use SQS-managed SSE: no key policy for SNS to get wrong, no KMS call per
message, and the consumer needs no KMS permission at all.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.alerts import Alerts
from infra.constructs.queues import consume, dead_letter_queue, source_queue
from infra.declaration import SES_EVENTS

# Only what the members capability acts on: hard bounces and complaints suppress an address, soft
# bounces are counted. Deliveries, opens, clicks and delivery delays are not published at all.
EVENTS = (ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT)

# The queue's settings (visibility, receives, batch size, concurrency, retention) are declared in
# infra/declaration.py (`SES_EVENTS`), where local mode reads them too. These names stay for tests.
VISIBILITY_TIMEOUT_FACTOR = SES_EVENTS.visibility_factor
MAX_RECEIVE_COUNT = SES_EVENTS.max_receive_count
BATCH_SIZE = SES_EVENTS.batch_size
MAX_CONCURRENCY = SES_EVENTS.max_concurrency


class EmailEvents(Construct):
    """The SNS topic and SQS queue behind the configuration set's bounce and complaint destination."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        configuration_set: ses.IConfigurationSet,
        consumer_timeout_seconds: int,
        alerts: Alerts,
    ) -> None:
        super().__init__(scope, construct_id)
        self.visibility_timeout_seconds = SES_EVENTS.visibility_factor * consumer_timeout_seconds
        self.consumer: lambda_.IFunction | None = None
        configuration_set_arn = Stack.of(self).format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=configuration_set.configuration_set_name,
        )
        self.key = self._key(configuration_set_arn)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="MKCPP SES bounces and complaints",
            master_key=self.key,
            enforce_ssl=True,
        )
        # Also adds the topic-policy statement that lets SES publish, for this configuration set only
        # (aws:SourceAccount and aws:SourceArn), next to the enforce-SSL deny.
        self.destination = ses.ConfigurationSetEventDestination(
            self,
            "Destination",
            configuration_set=configuration_set,
            destination=ses.EventDestination.sns_topic(self.topic),
            events=list(EVENTS),
            enabled=True,
        )
        self.dead_letter_queue = dead_letter_queue(
            self,
            "DeadLetterQueue",
            alerts=alerts,
            alarm_id="DeadLetterAlarm",
            alarm_description="SES bounce/complaint events failed for good (consumer errors or SNS "
            "delivery failures): the addresses in them are not suppressed yet. Inspect and redrive.",
            reason="This queue is itself the dead-letter queue of the SES events queue (and of the SNS "
            "subscription that feeds it). Redriving a DLQ into another DLQ would only move the problem.",
        )
        self.queue = source_queue(
            self,
            visibility_seconds=self.visibility_timeout_seconds,
            retention_days=SES_EVENTS.retention_days,
            max_receive_count=MAX_RECEIVE_COUNT,
            dead_letter=self.dead_letter_queue,
        )
        # Non-raw delivery: the consumer reads the SNS envelope (`Type`, `TopicArn`, `Message`).
        # The subscription adds the queue-policy statements that let this topic, and only this topic,
        # send to the queue and to the dead-letter queue.
        self.topic.add_subscription(
            subscriptions.SqsSubscription(
                self.queue, raw_message_delivery=False, dead_letter_queue=self.dead_letter_queue
            )
        )

    def _key(self, configuration_set_arn: str) -> kms.Key:
        key = kms.Key(
            self,
            "TopicKey",
            description="MKCPP: encrypts SES bounce and complaint events on their SNS topic",
            enable_key_rotation=True,
            # The key protects messages in flight only (SNS keeps nothing once delivered): deleting it
            # with the stack loses no data. Deletion waits the maximum 30 days and can be cancelled.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(30),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowSesToPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, `*` means this key
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": Aws.ACCOUNT_ID,
                        "aws:SourceArn": configuration_set_arn,
                    }
                },
            )
        )
        return key

    def add_consumer(self, function: lambda_.Function, timeout_seconds: int) -> None:
        """Make `function` the consumer of the queue: an event source mapping with partial batch
        failures, and a role that may receive, delete and change the visibility of this queue's
        messages (and nothing else of it)."""
        if self.consumer is not None:
            raise ValueError(
                f"SES events already go to {self.consumer.node.path}; a queue hands each message to "
                f"one consumer, so {function.node.path} would see only some of them"
            )
        if self.visibility_timeout_seconds < VISIBILITY_TIMEOUT_FACTOR * timeout_seconds:
            raise ValueError(
                f"{function.node.path}: a {timeout_seconds} s timeout needs a queue visibility timeout of "
                f"at least {VISIBILITY_TIMEOUT_FACTOR * timeout_seconds} s, "
                f"not {self.visibility_timeout_seconds} s"
            )
        consume(self.queue, function, SES_EVENTS)
        self.consumer = function
