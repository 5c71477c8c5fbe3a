"""Declared work queues (issue 8): a queue that functions fill and one function consumes is built
from its `QueueSpec` alone: the queue and its alarmed dead-letter queue as declared, `sqs:SendMessage`
and the queue's URL for each producer and nobody else, and the consumer's event source mapping.
Shown with the throwaway capability's queue (`tests/support/throwaway`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import declaration
from tests.infra.template import functions_by_name, resources
from tests.support.throwaway import NOTES_SENDER, NOTICES, declaring

pytestmark = pytest.mark.infra


def _queue(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    queues = [
        (key, q)
        for key, q in resources(template, "AWS::SQS::Queue").items()
        if "NoteNotices" in key and "DeadLetter" not in key
    ]
    assert len(queues) == 1, list(resources(template, "AWS::SQS::Queue"))
    return queues[0]


def _by_name(throwaway: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    with declaring(*throwaway.capabilities, replace_all=True):
        return functions_by_name(throwaway.template, declaration.functions())


def test_the_queue_is_built_as_declared_with_an_alarmed_dead_letter_queue(throwaway):
    template = throwaway.template
    _, queue = _queue(template)
    props = queue["Properties"]
    assert props["VisibilityTimeout"] == NOTICES.visibility_factor * NOTES_SENDER.timeout_seconds
    assert props["MessageRetentionPeriod"] == NOTICES.retention_days * 86400
    assert props["RedrivePolicy"]["maxReceiveCount"] == NOTICES.max_receive_count
    assert props["SqsManagedSseEnabled"] is True
    dlq_ref = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    assert any(dlq_ref in json.dumps(a.get("Dimensions", [])) and a["AlarmActions"] for a in alarms)


def test_producers_and_only_producers_may_send_and_know_the_url(throwaway):
    template = throwaway.template
    queue_id, _ = _queue(template)
    by_name = _by_name(throwaway)
    senders: set[str] = set()
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "sqs:SendMessage" in actions and queue_id in json.dumps(statement["Resource"]):
                senders.update(r["Ref"] for r in policy["Properties"]["Roles"])
    planner_role = by_name["notes_planner"][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert senders == {planner_role}
    for name, (_, function) in by_name.items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert ("NOTE_NOTICES_QUEUE_URL" in variables) == (name == "notes_planner"), name


def test_the_consumer_polls_it_as_declared(throwaway):
    template = throwaway.template
    queue_id, _ = _queue(template)
    by_name = _by_name(throwaway)
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if queue_id in json.dumps(m["Properties"]["EventSourceArn"])
    ]
    assert mapping["FunctionName"]["Ref"] == by_name["notes_sender"][0]
    assert mapping["BatchSize"] == NOTICES.batch_size
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": NOTICES.max_concurrency}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
