"""Where alarms go: one SNS topic, encrypted with its own customer-managed key, that emails every
address in the config's `coordinators`.

Each coordinator receives an "AWS Notification - Subscription Confirmation" email after the first
deploy and must click its link before alarms reach them (SNS never emails an unconfirmed address).
Alarm emails carry the alarm's name, description and metric, never a member's data.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Aws, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import nag
from infra.constructs.encryption import PENDING_WINDOW


class Alerts(Construct):
    """The alarm topic and its email subscriptions."""

    def __init__(self, scope: Construct, construct_id: str, *, addresses: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "TopicKey",
            description="MKCPP: encrypts alarm notifications on their SNS topic",
            enable_key_rotation=True,
            # Messages in flight only (SNS keeps nothing once delivered): deleting the key with the
            # stack loses no data. Deletion waits the maximum 30 days and can be cancelled.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=PENDING_WINDOW,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                # in a key policy, `*` means this key; the service can use it only for topics this
                # key encrypts, which are this construct's one topic (AWS's documented alarm policy)
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="MKCPP alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        # The topic policy (enforce-SSL) replaces SNS's default one, so CloudWatch must be let in
        # explicitly: alarms of this account and region only.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": Stack.of(self).format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        self.addresses = tuple(addresses)
        for address in self.addresses:
            subscription = self.topic.add_subscription(subscriptions.EmailSubscription(address))
            nag.acknowledge(
                subscription,
                "Serverless-SNSRedrivePolicy",
                "An alarm email that cannot be delivered needs no dead-letter queue of its own: the alarm "
                "stays in ALARM in CloudWatch, the failed messages it reports stay in their own alarmed "
                "dead-letter queue, and a queue of undelivered alarm emails would be one more thing "
                "nobody watches. Every coordinator is subscribed, so one bad address does not silence it.",
            )
        self.action = cloudwatch_actions.SnsAction(self.topic)

    def allow_service(self, service: str) -> None:
        """Let an AWS service (e.g. AWS Backup's vault notifications) publish to the encrypted topic."""
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(service)],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, `*` means this key
            )
        )

    def notify(self, alarm: cloudwatch.Alarm) -> None:
        """Email the coordinators when `alarm` fires and again when it is back to OK."""
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
