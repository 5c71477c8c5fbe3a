"""The schedule path, with a test-only spec: the declaration has no scheduled function yet, but the
first one must arrive with a DLQ, retries, the deployment time zone and a narrow scheduler role.

The function helper is built in a small stack of its own (platform + assets + one function) and
synthesized with the cdk-nag packs, so the asynchronous path is nag-clean before anyone uses it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.app import cdk_json_context
from infra.config import CONTEXT_KEY, load_config
from tests.infra.scheduled import REMINDERS, SCHEDULED_STACK
from tests.infra.template import as_list, functions_by_name, ref, resources, role_statements

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def scheduled_template(scheduled) -> dict[str, Any]:
    return dict(scheduled.templates[SCHEDULED_STACK])


def test_scheduled_function_is_nag_clean(scheduled):
    assert not scheduled.violations, "\n" + "\n".join(str(v) for v in scheduled.violations)


def test_every_schedule_is_deployed_in_the_configured_time_zone(scheduled_template):
    config = load_config(cdk_json_context()[CONTEXT_KEY])
    function_id, _ = functions_by_name(scheduled_template, (REMINDERS,))[REMINDERS.name]
    schedules = sorted(
        resources(scheduled_template, "AWS::Scheduler::Schedule").values(),
        key=lambda s: s["Properties"]["ScheduleExpression"],
    )
    declared = sorted(REMINDERS.schedules, key=lambda s: s.expression)
    assert len(schedules) == len(declared)
    for schedule, spec in zip(schedules, declared, strict=True):
        props = schedule["Properties"]
        assert props["ScheduleExpression"] == spec.expression
        assert props["ScheduleExpressionTimezone"] == config.time_zone
        assert props["State"] == "ENABLED"
        target = props["Target"]
        assert ref(target["Arn"]) == function_id
        assert json.loads(target["Input"]) == dict(spec.payload)
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] > 0
        queue = scheduled_template["Resources"][ref(target["DeadLetterConfig"]["Arn"])]
        assert queue["Type"] == "AWS::SQS::Queue"


def test_scheduler_role_may_only_invoke_this_function(scheduled_template):
    function_id, _ = functions_by_name(scheduled_template, (REMINDERS,))[REMINDERS.name]
    (schedule, *_) = resources(scheduled_template, "AWS::Scheduler::Schedule").values()
    role_id = ref(schedule["Properties"]["Target"]["RoleArn"])
    trust = scheduled_template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
    assert "aws:SourceAccount" in json.dumps(trust)
    dlq_id = ref(schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"])
    for statement in role_statements(scheduled_template, role_id):
        actions = set(as_list(statement["Action"]))
        targets = [ref(r) for r in as_list(statement["Resource"])]
        if "lambda:InvokeFunction" in actions:
            assert actions == {"lambda:InvokeFunction"}
            assert targets == [function_id]
        else:
            assert actions <= {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
            assert targets == [dlq_id]


def test_function_sends_failed_async_invocations_to_an_encrypted_dlq(scheduled_template):
    function_id, function = functions_by_name(scheduled_template, (REMINDERS,))[REMINDERS.name]
    (invoke_config,) = resources(scheduled_template, "AWS::Lambda::EventInvokeConfig").values()
    props = invoke_config["Properties"]
    assert ref(props["FunctionName"]) == function_id
    assert props["MaximumRetryAttempts"] >= 0
    queue_id = ref(props["DestinationConfig"]["OnFailure"]["Destination"])
    queue = scheduled_template["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    # enforceSSL: the queue policy denies any request without TLS
    policies = [
        p
        for p in resources(scheduled_template, "AWS::SQS::QueuePolicy").values()
        if queue_id in json.dumps(p["Properties"]["Queues"])
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    )
    # the schedules dead-letter into the same queue, and someone is told when anything lands there
    for schedule in resources(scheduled_template, "AWS::Scheduler::Schedule").values():
        assert ref(schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"]) == queue_id
    alarms = [
        a
        for a in resources(scheduled_template, "AWS::CloudWatch::Alarm").values()
        if queue_id in json.dumps(a["Properties"].get("Dimensions", []))
    ]
    assert len(alarms) == 1
    # and the function's role may send there
    role_actions = {
        (a, ref(r))
        for s in role_statements(scheduled_template, ref(function["Properties"]["Role"]))
        for a in as_list(s["Action"])
        for r in as_list(s["Resource"])
        if r != "*" and not isinstance(r, str) and ("Ref" in r or "Fn::GetAtt" in r)
    }
    assert ("sqs:SendMessage", queue_id) in role_actions


def test_the_stack_deploys_every_declared_schedule(template):
    # never vacuous: the declaration has schedules, and each is deployed to its own function
    from infra.declaration import FUNCTIONS, all_schedules

    declared = all_schedules()
    assert declared, "no schedule is declared: nothing would be checked"
    deployed = resources(template, "AWS::Scheduler::Schedule").values()
    # two schedules may share an expression (every minute): each is known by what it sends
    by_payload = {s["Properties"]["Target"]["Input"]: s for s in deployed}
    assert len(by_payload) == len(declared)
    functions = functions_by_name(template, FUNCTIONS)
    for schedule, spec in declared:
        (found,) = [s["Properties"] for p, s in by_payload.items() if json.loads(p) == dict(schedule.payload)]
        assert found["ScheduleExpression"] == schedule.expression
        assert ref(found["Target"]["Arn"]) == functions[spec.name][0]
        assert json.loads(found["Target"]["Input"]) == dict(schedule.payload)
        assert "DeadLetterConfig" in found["Target"]
