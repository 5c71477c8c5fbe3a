"""What the HIPAA Security and NIST 800-53 R5 packs asked for, fixed rather than acknowledged:
backups of every table, KMS-encrypted log groups, reserved concurrency, alarms that reach people."""

from __future__ import annotations

from typing import Any

import pytest

from infra.constructs.backup import BACKUP_RETENTION
from infra.declaration import FUNCTIONS, RESERVED_CONCURRENCY_BUDGET, TABLES
from tests.infra.template import as_list, functions_by_name, ref, resources
from tests.support.cdk import main_stack_name, synth_templates, tables_by_key

pytestmark = pytest.mark.infra

PITR_DAYS = 35


def test_backup_plan_selects_every_table_and_keeps_backups_no_longer_than_pitr(template):
    # Given the one backup plan and its selection
    ((plan_id, plan),) = resources(template, "AWS::Backup::BackupPlan").items()
    (selection,) = resources(template, "AWS::Backup::BackupSelection").values()
    props = selection["Properties"]
    assert ref(props["BackupPlanId"]) == plan_id
    # Then it names every declared table, explicitly
    selected = {ref(r) for r in props["BackupSelection"]["Resources"]}
    assert selected == {logical_id for logical_id, _ in tables_by_key(template).values()}
    assert len(selected) == len(TABLES)
    # And every rule deletes backups after 35 days at most: erased data leaves the backups 35 days
    # after erasure (README's retention table), as it leaves the PITR window
    rules = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rules
    for rule in rules:
        assert rule["Lifecycle"]["DeleteAfterDays"] <= PITR_DAYS
        assert "MoveToColdStorageAfterDays" not in rule["Lifecycle"]
    assert BACKUP_RETENTION.to_days() <= PITR_DAYS
    for _, table in tables_by_key(template).values():
        pitr = table["Properties"]["PointInTimeRecoverySpecification"]
        assert pitr["RecoveryPeriodInDays"] == PITR_DAYS


def test_backup_vault_is_encrypted_with_a_retained_rotating_customer_managed_key(template):
    (vault,) = resources(template, "AWS::Backup::BackupVault").values()
    key = template["Resources"][ref(vault["Properties"]["EncryptionKeyArn"])]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert vault["DeletionPolicy"] == "Retain"
    # and a failed backup or a restore (which brings erased data back) emails the coordinators
    notifications = vault["Properties"]["Notifications"]
    assert set(notifications["BackupVaultEvents"]) == {"BACKUP_JOB_FAILED", "RESTORE_JOB_STARTED"}
    assert ref(notifications["SNSTopicArn"]) == alarm_topic(template)


def log_groups_of_every_stack() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(stack, logical id, log group, template) for every log group of every stack."""
    return [
        (stack, logical_id, group, template)
        for stack, template in synth_templates().items()
        for logical_id, group in resources(template, "AWS::Logs::LogGroup").items()
    ]


def test_every_log_group_of_both_stacks_uses_its_stacks_log_key():
    found = log_groups_of_every_stack()
    assert {stack for stack, *_ in found} >= {main_stack_name(), f"{main_stack_name()}WebAcl"}
    for stack, logical_id, group, template in found:
        key_id = ref(group["Properties"]["KmsKeyId"])
        key = template["Resources"][key_id]
        assert key["Type"] == "AWS::KMS::Key", f"{stack}/{logical_id}"
        assert key["Properties"]["EnableKeyRotation"] is True
        # And the key lets CloudWatch Logs in this region use it for this account's log groups only
        (logs_statement,) = [
            s
            for s in key["Properties"]["KeyPolicy"]["Statement"]
            if s.get("Principal", {}).get("Service", "").startswith("logs.")
        ]
        condition = logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert "log-group:*" in str(condition)
        assert {"Ref": "AWS::AccountId"} in condition["Fn::Join"][1]


def test_one_log_key_per_stack(template):
    keyed = {ref(g["Properties"]["KmsKeyId"]) for g in resources(template, "AWS::Logs::LogGroup").values()}
    assert len(keyed) == 1


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_every_function_has_its_declared_reserved_concurrency(template, spec):
    _logical_id, function = functions_by_name(template)[spec.name]
    assert function["Properties"]["ReservedConcurrentExecutions"] == spec.reserved_concurrency
    assert 1 <= spec.reserved_concurrency <= 10


def test_reserved_concurrency_fits_the_budget_and_the_bounce_consumer():
    assert sum(spec.reserved_concurrency for spec in FUNCTIONS) <= RESERVED_CONCURRENCY_BUDGET
    from infra.constructs.email_events import MAX_CONCURRENCY

    for spec in (s for s in FUNCTIONS if s.ses_events):
        # SQS's maximum concurrency above the reserved concurrency would only throttle batches
        assert spec.reserved_concurrency >= MAX_CONCURRENCY


def alarm_topic(template: dict[str, Any]) -> str:
    (topic_id,) = [
        lid
        for lid, topic in resources(template, "AWS::SNS::Topic").items()
        if topic["Properties"].get("DisplayName") == "MKCPP alarms"
    ]
    return topic_id


def test_every_alarm_emails_the_coordinators_through_the_encrypted_alarm_topic(template):
    from tests.infra.test_functions import config

    topic_id = alarm_topic(template)
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        actions = [ref(a) for a in as_list(alarm["Properties"]["AlarmActions"])]
        assert actions == [topic_id], logical_id
        assert [ref(a) for a in as_list(alarm["Properties"]["OKActions"])] == [topic_id]
    # And its topic policy lets this account's alarms publish (it replaces SNS's default policy)
    (allow,) = [
        statement
        for policy in resources(template, "AWS::SNS::TopicPolicy").values()
        if topic_id in [ref(t) for t in policy["Properties"]["Topics"]]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        and statement["Principal"].get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in str(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    # And the topic is encrypted with a key CloudWatch may use, and emails each coordinator
    topic = template["Resources"][topic_id]
    key = template["Resources"][ref(topic["Properties"]["KmsMasterKeyId"])]
    services = {s.get("Principal", {}).get("Service") for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert {"cloudwatch.amazonaws.com", "backup.amazonaws.com"} <= services
    emailed = sorted(
        s["Properties"]["Endpoint"]
        for s in resources(template, "AWS::SNS::Subscription").values()
        if ref(s["Properties"]["TopicArn"]) == topic_id
    )
    assert all(
        s["Properties"]["Protocol"] == "email"
        for s in resources(template, "AWS::SNS::Subscription").values()
        if ref(s["Properties"]["TopicArn"]) == topic_id
    )
    assert emailed == sorted(config().coordinators)


def test_scheduled_functions_dead_letter_queue_alarm_emails_the_coordinators(scheduled):
    # Given the test-only stack with a scheduled (asynchronous) function
    (template,) = scheduled.templates.values()
    topic_id = alarm_topic(template)
    (invoke_config,) = resources(template, "AWS::Lambda::EventInvokeConfig").values()
    dlq = ref(invoke_config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
    # Then the alarm on its on-failure queue sends to the alarm topic
    (alarm,) = [
        a
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if any(ref(d["Value"]) == dlq for d in a["Properties"].get("Dimensions", []) if "Value" in d)
        or dlq in str(a["Properties"])
    ]
    assert [ref(a) for a in alarm["Properties"]["AlarmActions"]] == [topic_id]


def test_a_damaged_record_met_by_any_function_emails_the_coordinators(template):
    # Given the one metric every function emits when it meets a record it cannot read
    from infra.constructs.platform import DAMAGED_RECORD_METRIC, METRICS_NAMESPACE
    from shared import observability

    assert DAMAGED_RECORD_METRIC == observability.DAMAGED_RECORD_METRIC
    # Then one alarm on it, with no dimension (whichever function met it), emails the coordinators
    (alarm,) = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == DAMAGED_RECORD_METRIC
    ]
    assert alarm["Namespace"] == METRICS_NAMESPACE and "Dimensions" not in alarm
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"] and alarm["OKActions"]


def test_a_damaged_record_is_counted_without_a_dimension_and_logged_by_id_only(capsys, monkeypatch):
    import json as json_

    from shared import observability

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    observability.damaged_record("member", "f9d5612c-0000-4000-8000-000000000000")
    lines = [json_.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (emf,) = [line for line in lines if "_aws" in line]
    (declared,) = emf["_aws"]["CloudWatchMetrics"]
    assert declared["Dimensions"] == [[]] and emf[observability.DAMAGED_RECORD_METRIC] == 1
