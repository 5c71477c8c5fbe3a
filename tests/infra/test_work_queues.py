"""Declared work queues (issue 8): a queue that functions fill and one function consumes is built
from its `QueueSpec` alone: the queue and its alarmed dead-letter queue as declared, `sqs:SendMessage`
and the queue's URL for each producer and nobody else, and the consumer's event source mapping. No
capability has one yet, so a stack with a sketched producer and consumer stands in for the first."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import aws_cdk as cdk
import pytest

from infra import nag
from infra.app import cdk_json_context
from infra.config import load_config
from infra.declaration import FUNCTIONS, QUEUES, FunctionSpec, QueueSpec, environment
from infra.stack import MkcppStack
from tests.infra.template import functions_by_name, resources
from tests.support.cdk import ensure_assets, new_outdir, synthesize

pytestmark = pytest.mark.infra

NOTICES = QueueSpec(
    key="meeting_notices",
    description="One message per member to notify of a meeting (sketch of the meetings capability).",
    producers=("notice_planner",),
    batch_size=10,
    max_receive_count=3,
    max_concurrency=3,
)
PLANNER = FunctionSpec(
    name="notice_planner",
    handler="functions.members.planner.lambda_handler",
    description="Sketch: finds whom to notify",
)
SENDER = FunctionSpec(
    name="notice_sender",
    handler="functions.members.sender.lambda_handler",
    description="Sketch: sends each notice",
    consumes=("meeting_notices",),
    timeout_seconds=20,
)


@pytest.fixture(scope="module")
def synthesis() -> Any:
    ensure_assets()
    app = cdk.App(context=cdk_json_context(), outdir=new_outdir())
    config = load_config(app.node.try_get_context("mkcpp"))
    nag.add_checks(app)
    stack = MkcppStack(
        app,
        "Queues",
        config=config,
        functions=(*FUNCTIONS, PLANNER, SENDER),
        queues=(*QUEUES, NOTICES),
        env=cdk.Environment(region=config.region),
    )
    return synthesize(app), stack


def _queue(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    queues = [
        (key, q)
        for key, q in resources(template, "AWS::SQS::Queue").items()
        if "MeetingNotices" in key and "DeadLetter" not in key
    ]
    assert len(queues) == 1, list(resources(template, "AWS::SQS::Queue"))
    return queues[0]


def test_the_queue_is_built_as_declared_with_an_alarmed_dead_letter_queue(synthesis):
    result, stack = synthesis
    assert result.error is None and result.violations == ()  # cdk-nag's four packs stay clean
    template = result.templates[stack.stack_name]
    _, queue = _queue(template)
    props = queue["Properties"]
    assert props["VisibilityTimeout"] == NOTICES.visibility_factor * SENDER.timeout_seconds
    assert props["MessageRetentionPeriod"] == NOTICES.retention_days * 86400
    assert props["RedrivePolicy"]["maxReceiveCount"] == NOTICES.max_receive_count
    assert props["SqsManagedSseEnabled"] is True
    dlq_ref = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    assert any(dlq_ref in json.dumps(a["Dimensions"]) and a["AlarmActions"] for a in alarms)


def test_producers_and_only_producers_may_send_and_know_the_url(synthesis):
    result, stack = synthesis
    template = result.templates[stack.stack_name]
    queue_id, _ = _queue(template)
    by_name = functions_by_name(template, (*FUNCTIONS, PLANNER, SENDER))
    senders: set[str] = set()
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "sqs:SendMessage" in actions and queue_id in json.dumps(statement["Resource"]):
                senders.update(r["Ref"] for r in policy["Properties"]["Roles"])
    planner_role = by_name["notice_planner"][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert senders == {planner_role}
    for name, (_, function) in by_name.items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert ("MEETING_NOTICES_QUEUE_URL" in variables) == (name == "notice_planner"), name
    assert (
        json.dumps(
            by_name["notice_planner"][1]["Properties"]["Environment"]["Variables"][
                "MEETING_NOTICES_QUEUE_URL"
            ]
        ).count(queue_id)
        == 1
    )


def test_the_consumer_polls_it_as_declared(synthesis):
    result, stack = synthesis
    template = result.templates[stack.stack_name]
    queue_id, _ = _queue(template)
    by_name = functions_by_name(template, (*FUNCTIONS, PLANNER, SENDER))
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if queue_id in json.dumps(m["Properties"]["EventSourceArn"])
    ]
    assert mapping["FunctionName"]["Ref"] == by_name["notice_sender"][0]
    assert mapping["BatchSize"] == NOTICES.batch_size
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": NOTICES.max_concurrency}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_a_queue_needs_exactly_one_consumer_and_declared_producers():
    app = cdk.App(context=cdk_json_context(), outdir=new_outdir())
    config = load_config(app.node.try_get_context("mkcpp"))
    with pytest.raises(ValueError, match="exactly one consumer"):
        MkcppStack(
            app, "NoConsumer", config=config, functions=(*FUNCTIONS, PLANNER), queues=(*QUEUES, NOTICES)
        )
    stray = replace(NOTICES, producers=("nobody",))
    with pytest.raises(ValueError, match="not declared"):
        MkcppStack(app, "Stray", config=config, functions=(*FUNCTIONS, SENDER), queues=(*QUEUES, stray))


def test_locally_a_producer_gets_the_local_queue_url(monkeypatch):
    from infra.local import environment as local

    monkeypatch.setattr("infra.declaration.QUEUES", (*QUEUES, NOTICES))
    resources_ = local.local_resources("http://127.0.0.1:3000", "http://127.0.0.1:5005")
    env = environment(PLANNER, resources_, {}, queues=(NOTICES,))
    assert (
        env["MEETING_NOTICES_QUEUE_URL"] == "http://127.0.0.1:5005/123456789012/mkcpp-local-meeting-notices"
    )
