"""The shared platform every capability builds on: the tables and their AWS Backup plan, the
token-signing and email-lookup secrets (customer-managed KMS key), the KMS key of every log group,
the alarm topic that emails the coordinators, the SES configuration set and its bounce/complaint
event path (`infra.constructs.email_events`). Nothing here
knows about a particular function; functions get access to these resources through
`infra.constructs.function.DeclaredFunction`, from what their spec declares.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Tags
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra import nag
from infra.constructs.alerts import Alerts
from infra.constructs.backup import TableBackups
from infra.constructs.email_events import EmailEvents
from infra.constructs.encryption import data_key, log_group_key
from infra.constructs.queues import WorkQueue
from infra.declaration import (
    SES_EVENTS,
    BucketSpec,
    QueueSpec,
    Resources,
    TableSpec,
    buckets,
    consumers_of,
    functions,
    queues,
    tables,
)

BUCKET_TAG = "mkcpp:bucket"

# What every function's metrics are published under (`infra.declaration.environment`), and the metric
# a function emits when it meets a record it cannot read (`shared.observability.DAMAGED_RECORD_METRIC`,
# written here again because infra/ does not import handler code; tests compare the two).
METRICS_NAMESPACE = "MKCPP"
DAMAGED_RECORD_METRIC = "InvalidRecordSkipped"

# The tag that maps a table in the synthesized template back to its `TableSpec.key`
# (tests/support/cdk.py builds moto and DynamoDB Local tables from the template through it).
TABLE_TAG = "mkcpp:table"

SIGNING_KEY_LENGTH = 64

ROTATION_RULES = (
    "AwsSolutions-SMG4",
    "HIPAA.Security-SecretsManagerRotationEnabled",
    "NIST.800.53.R5-SecretsManagerRotationEnabled",
)
LOOKUP_KEY_NOT_ROTATED = (
    "Never rotated, by design: this key derives the email-lookup ids stored as table keys (address "
    "pointers, suppressions of addresses that bounced or complained), so a new value would orphan "
    "every member record and let suppressed addresses be mailed again. It signs nothing: links use "
    "the separate token-signing secret, which can rotate. Encrypted with a customer-managed key and "
    "readable only by the functions that declare signing_key."
)
SIGNING_KEY_ROTATED_BY_HAND = (
    "Rotated by hand, not on a timer: an administrator puts a new random value (README.md, "
    "'Rotating the token-signing key'); the version it replaces stays as AWSPREVIOUS and still "
    "verifies links already sent. Unsubscribe links must work for a year, so routine rotation is "
    "yearly; after a suspected leak it is done twice at once, which voids every outstanding link. "
    "A rotation Lambda would add code and a role with write access to the secret for a yearly step."
)


class PlatformConstruct(Construct):
    """Every declared table, bucket and work queue, the token-signing and email-lookup secrets, the
    SES configuration set and, when a declared function consumes `ses_events`, the queue its
    bounces and complaints go to. Alarms email `alert_addresses` (the config's `coordinators`).
    """

    def __init__(self, scope: Construct, construct_id: str, *, alert_addresses: tuple[str, ...] = ()) -> None:
        super().__init__(scope, construct_id)
        self.alerts = Alerts(self, "Alerts", addresses=alert_addresses)
        self.log_key = log_group_key(self, "LogKey", "MKCPP: encrypts every log group of the stack")
        self.tables: dict[str, dynamodb.Table] = {spec.key: self._table(spec) for spec in tables()}
        self.backups = TableBackups(self, "Backups", tables=self.tables, alerts=self.alerts)
        self.secrets_key = data_key(
            self, "SecretsKey", "MKCPP: encrypts the Secrets Manager secrets (signing and lookup keys)"
        )
        self.lookup_key = self._lookup_key()
        self.signing_key = self._signing_key()
        self.configuration_set = ses.ConfigurationSet(
            self,
            "EmailConfigurationSet",
            reputation_metrics=True,
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
            # Never mail an address that bounced or complained again, account-wide list included.
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            sending_enabled=True,
        )
        self.email_events = self._email_events()
        self.work_queues: dict[str, WorkQueue] = {
            spec.key: self._work_queue(spec) for spec in queues() if spec.source is None
        }
        self.buckets: dict[str, s3.Bucket] = {spec.key: self._bucket(spec) for spec in buckets()}
        # the published site's routes and live pointers (`shared/site`), read at the edge by the
        # CloudFront Function of the `/site/*` behaviour (`infra/constructs/edge.py`)
        self.site_routes = (
            cloudfront.KeyValueStore(
                self,
                "SiteRoutes",
                comment="MKCPP: which version of each published site section is live, and where each "
                "path's bytes are (shared/site)",
            )
            if any(spec.publishers for spec in buckets())
            else None
        )
        self.damaged_records = self._damaged_records_alarm()

    def _damaged_records_alarm(self) -> cloudwatch.Alarm:
        """One alarm for the whole stack: any function that meets a stored record it cannot read
        (`shared.observability.damaged_record`, one metric with no dimension) emails the coordinators,
        so a record that lists, exports and the nightly run skip is looked at, not left for ever."""
        alarm = cloudwatch.Alarm(
            self,
            "DamagedRecords",
            alarm_description="A stored record could not be read (a list, an export or the nightly run "
            "skipped it): open the console's page for it, which shows what could be read, and put it "
            "right or erase it. The function's log names the record's id, never its content.",
            metric=cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=DAMAGED_RECORD_METRIC,
                statistic="Sum",
                period=Duration.hours(1),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alerts.notify(alarm)
        return alarm

    @property
    def resources(self) -> Resources:
        """The `Resources` the declaration turns into function environment variables."""
        return Resources(
            table_names={key: table.table_name for key, table in self.tables.items()},
            signing_key_secret=self.signing_key.secret_arn,
            configuration_set=self.configuration_set.configuration_set_name,
            lookup_key_secret=self.lookup_key.secret_arn,
            bucket_names={key: bucket.bucket_name for key, bucket in self.buckets.items()},
            queue_urls={key: work.queue.queue_url for key, work in self.work_queues.items()},
            site_routes=self.site_routes.key_value_store_arn if self.site_routes else "bucket",
        )

    def _work_queue(self, spec: QueueSpec) -> WorkQueue:
        consumers = consumers_of(spec)
        if len(consumers) != 1:
            raise ValueError(
                f"the {spec.key!r} queue needs exactly one consumer (a function whose `consumes` names "
                f"it), not {len(consumers)}: a queue hands each message to one consumer"
            )
        known = {f.name for f in functions()}
        unknown = sorted(set(spec.producers) - known)
        if unknown:
            raise ValueError(f"the {spec.key!r} queue names producers that are not declared: {unknown}")
        name = "".join(part.title() for part in spec.key.split("_"))
        return WorkQueue(self, f"{name}Queue", spec=spec, consumer=consumers[0], alerts=self.alerts)

    def _bucket(self, spec: BucketSpec) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            f"{spec.key.title().replace('_', '')}Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,  # a bad publication can be rolled back object by object
            # shared/site keeps its own versions and deletes the bytes only old ones reached: S3 keeps
            # what it deletes for 30 days more, a safety net, not an archive
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # maps the bucket in the template back to its `BucketSpec.key` (tests/support/permissions.py)
        Tags.of(bucket).add(BUCKET_TAG, spec.key)
        reason = (
            f"{spec.description} It holds published, public material only (no personal data): "
            "server access logs would only add a record of visitors' IP addresses, and a second region "
            "or a KMS key adds cost without protecting anything confidential; versioning keeps every "
            "earlier edition for rollback."
        )
        for rule in (
            "AwsSolutions-S1",
            "HIPAA.Security-S3BucketLoggingEnabled",
            "NIST.800.53.R5-S3BucketLoggingEnabled",
            "HIPAA.Security-S3BucketReplicationEnabled",
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "HIPAA.Security-S3DefaultEncryptionKMS",
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
        ):
            nag.acknowledge(bucket, rule, reason)
        return bucket

    def _email_events(self) -> EmailEvents | None:
        """The bounce/complaint event path, sized for its consumer; none if nothing would consume it
        (the configuration set's suppression options still stop sends to those addresses)."""
        consumers = consumers_of(SES_EVENTS)
        if not consumers:
            return None
        if len(consumers) > 1:
            raise ValueError(
                "SES events go to one queue, which hands each message to one consumer; "
                f"let one function consume {SES_EVENTS.key!r}, not {', '.join(s.name for s in consumers)}"
            )
        return EmailEvents(
            self,
            "EmailEvents",
            configuration_set=self.configuration_set,
            consumer_timeout_seconds=consumers[0].timeout_seconds,
            alerts=self.alerts,
        )

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        string = dynamodb.AttributeType.STRING
        table = dynamodb.Table(
            self,
            f"{spec.key.title().replace('_', '')}Table",
            partition_key=dynamodb.Attribute(name=spec.partition_key, type=string),
            sort_key=dynamodb.Attribute(name=spec.sort_key, type=string) if spec.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True, recovery_period_in_days=35
            ),
            # AWS-managed KMS key (aws/dynamodb), not the default AWS-owned key: every use of the key is
            # in CloudTrail, at no key cost and with no key policy to get wrong. A customer-managed key
            # would add a key policy to maintain and a way to lose all data (a scheduled key deletion)
            # for a small volunteer-run group, while access is already bounded by the per-function
            # IAM grants on each table. Revisit if a separate key administrator is ever needed.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.partition_key, type=string),
                sort_key=dynamodb.Attribute(name=index.sort_key, type=string) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType.ALL,
            )
        Tags.of(table).add(TABLE_TAG, spec.key)
        return table

    def _lookup_key(self) -> secretsmanager.Secret:
        """The email-lookup secret. Its construct id is still `SigningKey`: before the split it was the
        one root of both keys, and renaming it would make CloudFormation replace it with a new random
        value, orphaning every email-lookup id already stored as a table key (address pointers,
        suppressions)."""
        return self._key_secret(
            "SigningKey",
            "MKCPP email-lookup key: derives the stable ids that stand for email addresses "
            "in table keys (shared/keys.py). Never rotate it.",
            LOOKUP_KEY_NOT_ROTATED,
        )

    def _signing_key(self) -> secretsmanager.Secret:
        """The token-signing secret: rotated by hand (README.md, "Rotating the token-signing key").
        Losing it voids every link in flight (members can ask for fresh ones); nothing else."""
        return self._key_secret(
            "TokenSigningKey",
            "MKCPP token-signing key for links in emails (shared/keys.py). Rotate by putting "
            "a new value: the previous one (AWSPREVIOUS) still verifies links already sent.",
            SIGNING_KEY_ROTATED_BY_HAND,
        )

    def _key_secret(self, construct_id: str, description: str, rotation_reason: str) -> secretsmanager.Secret:
        """A random plain-string key (no JSON template: shared/keys.py reads it as is), under the
        secrets CMK, kept if the stack is deleted, with its rotation rules acknowledged."""
        secret = secretsmanager.Secret(
            self,
            construct_id,
            description=description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=SIGNING_KEY_LENGTH, exclude_punctuation=True, include_space=False
            ),
            encryption_key=self.secrets_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for rule in ROTATION_RULES:
            nag.acknowledge(secret, rule, rotation_reason)
        return secret
