"""The SES event path: configuration set -> SNS topic (customer-managed KMS key, TLS only) -> SQS
queue (SSE, TLS only, redrive to an alarmed DLQ) -> the one function that declares `ses_events`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest

from infra.app import cdk_json_context
from infra.config import CONTEXT_KEY, load_config
from infra.constructs.email_events import VISIBILITY_TIMEOUT_FACTOR
from infra.constructs.function import DeclaredFunction, FunctionAssets, FunctionRuntime
from infra.constructs.platform import PlatformConstruct
from infra.declaration import FUNCTIONS, PLATFORM, Capability, FunctionSpec
from infra.declaration import function as declared_function
from tests.infra.template import as_list, functions_by_name, ref, resource_key, resources, role_statements
from tests.support.cdk import ensure_assets, new_outdir
from tests.support.throwaway import declaring

pytestmark = pytest.mark.infra

CONSUMERS = [spec for spec in FUNCTIONS if spec.ses_events]
SQS_CONSUME_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
DENY_WITHOUT_TLS = {"Bool": {"aws:SecureTransport": "false"}}


@dataclass(frozen=True)
class Path:
    """Logical ids of the SES event path's resources."""

    configuration_set: str
    destination: str
    key: str
    topic: str
    queue: str
    dead_letter_queue: str


@pytest.fixture(scope="module")
def path(template) -> Path:
    (configuration_set,) = resources(template, "AWS::SES::ConfigurationSet")
    ((destination, destination_resource),) = resources(
        template, "AWS::SES::ConfigurationSetEventDestination"
    ).items()
    # the SES events topic (the other topic is the alarm topic, infra/constructs/alerts.py)
    topic_id = ref(destination_resource["Properties"]["EventDestination"]["SnsDestination"]["TopicARN"])
    topic = template["Resources"][topic_id]
    (subscription,) = [
        s
        for s in resources(template, "AWS::SNS::Subscription").values()
        if ref(s["Properties"]["TopicArn"]) == topic_id
    ]
    queue = ref(subscription["Properties"]["Endpoint"])
    dlq = ref(template["Resources"][queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
    return Path(
        configuration_set=configuration_set,
        destination=destination,
        key=ref(topic["Properties"]["KmsMasterKeyId"]),
        topic=topic_id,
        queue=queue,
        dead_letter_queue=dlq,
    )


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id]["Properties"])


def policy_statements(template: dict[str, Any], policy_type: str, target_key: str, target: str) -> list[Any]:
    """Statements of the resource policies (SNS topic / SQS queue policies) attached to `target`."""
    return [
        statement
        for policy in resources(template, policy_type).values()
        if target in [ref(t) for t in policy["Properties"][target_key]]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def configuration_set_arn(path: Path) -> str:
    """The configuration set's ARN, as text with {Ref} placeholders (the region is pinned in config)."""
    return (
        "arn:{AWS::Partition}:ses:eu-west-2:{AWS::AccountId}:configuration-set/{"
        + path.configuration_set
        + "}"
    )


def arn_text(value: Any) -> str:
    """A Fn::Join ARN as text, whichever way CDK split it (a partition literal reads as {AWS::Partition})."""
    kind, text = resource_key(value)
    assert kind == "join", value
    return text.replace("arn:aws:", "arn:{AWS::Partition}:")


def test_configuration_set_publishes_only_bounces_and_complaints_to_the_topic(template, path):
    destination = props(template, path.destination)
    assert destination["ConfigurationSetName"] == {"Ref": path.configuration_set}
    event_destination = destination["EventDestination"]
    assert event_destination["Enabled"] is True
    assert sorted(event_destination["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert event_destination["SnsDestination"] == {"TopicARN": {"Ref": path.topic}}
    assert set(event_destination) == {"Enabled", "MatchingEventTypes", "SnsDestination"}


def test_topic_is_encrypted_with_a_rotated_customer_managed_key(template, path):
    topic = props(template, path.topic)
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [path.key, "Arn"]}
    key = template["Resources"][path.key]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"


def test_topic_is_ssl_only_and_only_ses_for_this_configuration_set_may_publish(template, path):
    statements = policy_statements(template, "AWS::SNS::TopicPolicy", "Topics", path.topic)
    denies = [s for s in statements if s["Effect"] == "Deny"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    # SSL only: every publish without TLS is denied, whoever makes it
    assert any(s["Condition"] == DENY_WITHOUT_TLS and s["Principal"] in ("*", {"AWS": "*"}) for s in denies)
    # and the one allowed publisher is SES, for our account and our configuration set
    (allow,) = allows
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == {"Ref": path.topic}
    conditions = {k.lower(): v for k, v in allow["Condition"]["StringEquals"].items()}
    assert conditions["aws:sourceaccount"] == {"Ref": "AWS::AccountId"}
    assert arn_text(conditions["aws:sourcearn"]) == configuration_set_arn(path)
    assert set(conditions) == {"aws:sourceaccount", "aws:sourcearn"}


def test_key_policy_lets_ses_use_the_key_only_for_this_configuration_set(template, path):
    statements = props(template, path.key)["KeyPolicy"]["Statement"]
    assert all(s["Effect"] == "Allow" for s in statements)
    # the account keeps administering the key through IAM (CDK's default key policy) ...
    (root,) = [s for s in statements if "AWS" in s["Principal"]]
    assert ":root" in json.dumps(root["Principal"]) and "AWS::AccountId" in json.dumps(root["Principal"])
    # ... and SES may generate data keys and decrypt, with confused-deputy conditions
    (ses,) = [s for s in statements if s["Principal"] == {"Service": "ses.amazonaws.com"}]
    assert set(as_list(ses["Action"])) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    equals = ses["Condition"]["StringEquals"]
    assert set(ses["Condition"]) == {"StringEquals"} and set(equals) == {"aws:SourceAccount", "aws:SourceArn"}
    assert equals["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert arn_text(equals["aws:SourceArn"]) == configuration_set_arn(path)
    # and no other principal is in the key policy
    assert len(statements) == 2


def test_queue_is_encrypted_ssl_only_and_redrives_to_a_dlq(template, path):
    queue = props(template, path.queue)
    assert queue.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [path.dead_letter_queue, "Arn"]},
        "maxReceiveCount": 5,
    }
    # long enough for a batch to be retried without being received twice (AWS: >= 6x the timeout)
    for spec in CONSUMERS:
        assert queue["VisibilityTimeout"] >= VISIBILITY_TIMEOUT_FACTOR * spec.timeout_seconds
    for queue_id in (path.queue, path.dead_letter_queue):
        statements = policy_statements(template, "AWS::SQS::QueuePolicy", "Queues", queue_id)
        assert any(
            s["Effect"] == "Deny" and s["Action"] == "sqs:*" and s["Condition"] == DENY_WITHOUT_TLS
            for s in statements
        ), queue_id


def test_dead_letter_queue_keeps_messages_14_days_and_is_alarmed(template, path):
    dlq = props(template, path.dead_letter_queue)
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in dlq
    (alarm,) = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if path.dead_letter_queue in json.dumps(a["Properties"].get("Dimensions"))
    ]
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0


def test_queue_is_subscribed_to_the_topic_with_the_sns_envelope(template, path):
    (subscription,) = [
        s
        for s in resources(template, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": path.topic}
    ]
    sub = subscription["Properties"]
    assert sub["Protocol"] == "sqs"
    assert sub["TopicArn"] == {"Ref": path.topic}
    assert sub["Endpoint"] == {"Fn::GetAtt": [path.queue, "Arn"]}
    assert sub.get("RawMessageDelivery", False) is False  # the handler parses the SNS envelope
    # undeliverable messages are not lost either
    assert ref(sub["RedrivePolicy"]["deadLetterTargetArn"]) == path.dead_letter_queue
    # and only this topic may send to the queue
    allows = [
        s
        for s in policy_statements(template, "AWS::SQS::QueuePolicy", "Queues", path.queue)
        if s["Effect"] == "Allow"
    ]
    assert allows == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": path.topic}}},
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [path.queue, "Arn"]},
        }
    ]


def test_member_bounces_consumes_the_queue_with_partial_batch_failures(template, path):
    assert [spec.name for spec in CONSUMERS] == ["member_bounces"]
    function_id, function = functions_by_name(template)["member_bounces"]
    (mapping,) = [
        m
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [path.queue, "Arn"]}
    ]
    mapping_props = mapping["Properties"]
    assert ref(mapping_props["FunctionName"]) == function_id
    assert mapping_props["EventSourceArn"] == {"Fn::GetAtt": [path.queue, "Arn"]}
    assert mapping_props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping_props["BatchSize"] <= 10
    assert mapping_props.get("Enabled", True) is True
    # an SQS-fed function keeps failures in the queue's DLQ: no Lambda DLQ, no async config
    assert "DeadLetterConfig" not in function["Properties"]
    assert not [
        c
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if ref(c["Properties"]["FunctionName"]) == function_id
    ]


def test_member_bounces_role_can_only_consume_that_queue(template, path):
    _function_id, function = functions_by_name(template)["member_bounces"]
    statements = list(role_statements(template, ref(function["Properties"]["Role"])))
    queue_statements = [s for s in statements if any(a.startswith("sqs:") for a in as_list(s["Action"]))]
    (statement,) = queue_statements
    assert set(as_list(statement["Action"])) == SQS_CONSUME_ACTIONS
    assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [path.queue, "Arn"]}]
    assert "Condition" not in statement
    # nothing on the topic, the key or the dead-letter queue
    text = json.dumps(statements)
    assert path.topic not in text and path.key not in text and path.dead_letter_queue not in text
    assert not any(a.startswith(("sns:", "kms:")) for s in statements for a in as_list(s["Action"]))


def test_no_other_function_touches_the_ses_event_path(template, path):
    for name, (_function_id, function) in functions_by_name(template).items():
        if declared_function(name).ses_events:
            continue
        text = json.dumps(list(role_statements(template, ref(function["Properties"]["Role"]))))
        for logical_id in (path.queue, path.dead_letter_queue, path.topic, path.key):
            assert logical_id not in text, (name, logical_id)


# --- guard rails, without a synth -----------------------------------------------------------------


def consumer(name: str, timeout_seconds: int = 30) -> FunctionSpec:
    return FunctionSpec(
        name=name,
        handler="functions.members.bounces.lambda_handler",
        description="Test-only SES events consumer.",
        consumes=("ses_events",),
        timeout_seconds=timeout_seconds,
    )


def test_only_one_function_may_consume_the_ses_events():
    stack = cdk.Stack(cdk.App(outdir=new_outdir()), "TwoConsumers")
    two = Capability("two", "Test-only", functions=(consumer("first_consumer"), consumer("second_consumer")))
    with (
        declaring(PLATFORM, two, replace_all=True),
        pytest.raises(ValueError, match=r"one consumer.*first_consumer, second_consumer"),
    ):
        PlatformConstruct(stack, "Platform")


def test_no_platform_event_path_without_a_consumer():
    stack = cdk.Stack(cdk.App(outdir=new_outdir()), "NoConsumer")
    with declaring(
        PLATFORM, Capability("docs", "Test-only", functions=(declared_function("docs"),)), replace_all=True
    ):
        platform = PlatformConstruct(stack, "Platform")
    assert platform.email_events is None


def test_a_consumer_needs_the_platform_event_path_sized_for_its_timeout():
    ensure_assets()
    app = cdk.App(context=cdk_json_context(), outdir=new_outdir())
    config = load_config(app.node.try_get_context(CONTEXT_KEY))
    stack = cdk.Stack(app, "Mismatch")
    assets = FunctionAssets(stack, "Assets")

    def runtime(platform: PlatformConstruct) -> FunctionRuntime:
        return FunctionRuntime(
            config=config, platform=platform, code=assets.code, layer=assets.layer, base_url="https://x.test"
        )

    # a platform built without any consumer has no queue to wire
    with declaring(PLATFORM, replace_all=True):
        bare = PlatformConstruct(stack, "Bare")
    with pytest.raises(ValueError, match="without the SES event path"):
        DeclaredFunction(stack, "Unwired", spec=consumer("unwired"), runtime=runtime(bare))
    # a queue sized for a 30 s consumer is too short for a 60 s one
    with declaring(
        PLATFORM, Capability("short", "Test-only", functions=(consumer("short", 30),)), replace_all=True
    ):
        sized = PlatformConstruct(stack, "Sized")
    with pytest.raises(ValueError, match="visibility timeout of at least 360 s"):
        DeclaredFunction(stack, "Slow", spec=consumer("slow", 60), runtime=runtime(sized))


def test_the_deployed_queue_is_the_declared_one(template, path):
    # the same values local mode builds its queue and poller from (infra/local/runtime.py)
    from infra.declaration import SES_EVENTS, consumers_of

    (consumer_spec,) = consumers_of(SES_EVENTS)
    queue = props(template, path.queue)
    assert queue["VisibilityTimeout"] == SES_EVENTS.visibility_timeout_seconds(consumer_spec)
    assert queue["RedrivePolicy"]["maxReceiveCount"] == SES_EVENTS.max_receive_count
    assert queue["MessageRetentionPeriod"] == SES_EVENTS.retention_days * 86400
    (mapping,) = [
        m
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [path.queue, "Arn"]}
    ]
    assert mapping["Properties"]["BatchSize"] == SES_EVENTS.batch_size
    assert mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"] == SES_EVENTS.max_concurrency
