"""AWS Backup for every table: one daily backup, kept `BACKUP_RETENTION` (35 days, the same as the
tables' point-in-time recovery window), in a vault encrypted with its own customer-managed key.

Why 35 days and no more: erasure deletes a member's items from the tables at once, and the personal
data retention table (README.md) promises that erased data leaves the backups 35 days after erasure.
A backup taken the night before an erasure is deleted 35 days after it was taken, so no backup holds
erased data for longer than that. Do not raise the retention without changing that promise.

Restores go to a new table and bring back whatever the backup held, erased members included: the
restore procedure in README.md re-applies the erasures recorded in the audit trail since then.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, TimeZone
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from constructs import Construct

from infra import nag
from infra.constructs.alerts import Alerts
from infra.constructs.encryption import data_key

BACKUP_RETENTION = Duration.days(35)
# 02:00 UK time: after the evening's sign-ups, before anyone is at work.
BACKUP_SCHEDULE = events.Schedule.cron(minute="0", hour="2")
BACKUP_TIME_ZONE = TimeZone.EUROPE_LONDON


class TableBackups(Construct):
    """The vault, the plan and a selection naming every table explicitly."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: Mapping[str, dynamodb.Table],
        alerts: Alerts,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = data_key(self, "VaultKey", "MKCPP: encrypts the AWS Backup vault of the tables")
        alerts.allow_service("backup.amazonaws.com")
        self.vault = backup.BackupVault(
            self,
            "Vault",
            encryption_key=self.key,
            # A failed backup, and any restore (which brings erased data back), email the coordinators.
            notification_topic=alerts.topic,
            notification_events=[
                backup.BackupVaultEvents.BACKUP_JOB_FAILED,
                backup.BackupVaultEvents.RESTORE_JOB_STARTED,
            ],
            # Recovery points expire by the plan's lifecycle; deleting the stack must not delete them early.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.plan = backup.BackupPlan(self, "Plan", backup_vault=self.vault)
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="Daily35Days",
                schedule_expression=BACKUP_SCHEDULE,
                schedule_expression_timezone=BACKUP_TIME_ZONE,
                start_window=Duration.hours(1),
                completion_window=Duration.hours(4),
                delete_after=BACKUP_RETENTION,
            )
        )
        self.selection = self.plan.add_selection(
            "Tables",
            resources=[backup.BackupResource.from_dynamo_db_table(table) for table in tables.values()],
            allow_restores=False,
        )
        nag.acknowledge(
            self.selection,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSBackupServiceRolePolicyForBackup]",
            "The role AWS Backup assumes to take the backups uses AWS's own service-role policy for "
            "backups, which AWS keeps current as the DynamoDB backup API changes. Only AWS Backup can "
            "assume the role, and this selection names the four tables explicitly. Restores are not "
            "granted: they are a manual, audited step.",
        )
