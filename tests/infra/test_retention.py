"""The retention figures the privacy notice prints for what infra/ enforces (shared.privacy.retention)
are the ones in the synthesized templates: backups, the email-event queues, and every log group."""

from __future__ import annotations

import pytest

from infra.constructs.backup import BACKUP_RETENTION
from infra.constructs.queues import DLQ_RETENTION
from infra.declaration import SES_EVENTS
from shared.privacy import retention
from tests.infra.template import resources
from tests.support.cdk import main_stack_name, synth_templates, tables_by_key
from tests.support.env import declared_holders

pytestmark = pytest.mark.infra

DAY = 86400


def test_backups_are_kept_as_long_as_the_notice_says(template):
    assert BACKUP_RETENTION.to_days() == retention.BACKUP_DAYS
    for _, table in tables_by_key(template).values():
        assert table["Properties"]["PointInTimeRecoverySpecification"]["RecoveryPeriodInDays"] == (
            retention.BACKUP_DAYS
        )
    ((_, plan),) = resources(template, "AWS::Backup::BackupPlan").items()
    for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]:
        assert rule["Lifecycle"]["DeleteAfterDays"] == retention.BACKUP_DAYS


def test_email_event_messages_are_kept_as_long_as_the_notice_says(template):
    assert SES_EVENTS.retention_days == retention.EMAIL_EVENT_QUEUE_DAYS
    assert DLQ_RETENTION.to_days() == retention.DEAD_LETTER_DAYS
    periods = sorted(
        q["Properties"]["MessageRetentionPeriod"] for q in resources(template, "AWS::SQS::Queue").values()
    )
    assert retention.EMAIL_EVENT_QUEUE_DAYS * DAY in periods
    assert retention.DEAD_LETTER_DAYS * DAY in periods
    # and no queue keeps anything longer than the notice's longest queue figure
    assert max(periods) <= retention.DEAD_LETTER_DAYS * DAY


def test_the_firewall_log_keeps_blocked_addresses_as_long_as_the_notice_says():
    web_acl = synth_templates()[f"{main_stack_name()}WebAcl"]
    (group,) = resources(web_acl, "AWS::Logs::LogGroup").values()
    assert group["Properties"]["RetentionInDays"] == retention.FIREWALL_LOG_DAYS


def test_no_log_group_keeps_logs_longer_than_the_notice_says(template):
    from tests.support.env import deployment_config

    days = deployment_config().log_retention_days
    for stack, stack_template in synth_templates().items():
        for logical_id, group in resources(stack_template, "AWS::Logs::LogGroup").items():
            assert group["Properties"]["RetentionInDays"] in (days, retention.FIREWALL_LOG_DAYS), (
                stack,
                logical_id,
            )


def test_the_notice_has_a_row_for_traces_because_every_function_makes_them(template):
    # Given that every function traces (X-Ray keeps trace data 30 days: AWS's figure, no setting)
    functions = resources(template, "AWS::Lambda::Function").values()
    traced = [f for f in functions if f["Properties"].get("TracingConfig") == {"Mode": "Active"}]
    assert traced
    # Then the notice says how long traces are kept
    rows = retention.retention(log_retention_days=90, unsubscribe_grace_days=30, holders=declared_holders())
    (row,) = [r for r in rows if r.what.startswith("Records of how our system ran (traces)")]
    assert row.kept == f"{retention.TRACE_DAYS} days" == "30 days"
