"""The one helper that turns a `FunctionSpec` into a Lambda function, the same way for every function.

Each function gets:
- its own IAM role, with no AWS managed policy: logs only to its own log group, DynamoDB actions
  from `actions_for(access)` only on the tables it declares (and only Query on their indexes, when
  its access reads; never Scan), the token-signing and email-lookup secrets (and, through
  Secrets Manager only, their KMS key) only if `spec.signing_key` (the lookup secret alone if
  `spec.lookup_key`), SES sending only from the
  configured sender, through the configuration set, only if `spec.sends_email`; and, only if
  `spec.clears_ses_suppressions`, ses:DeleteSuppressedDestination (on `*`: it has no resource-level
  permission) in a policy of its own, which carries the acknowledgement of that wildcard (and the
  same for ses:ListSuppressedDestinations, only if `spec.lists_ses_suppressions`);
- Python 3.13 on arm64, the shared dependency layer, JSON logs into an explicit log group with the
  configured retention (encrypted with the platform's log key), X-Ray tracing, memory, timeout and
  reserved concurrency from the spec;
- the environment `infra.declaration.environment` computes (the same one the local runtime uses);
- if it consumes the SES events (`spec.ses_events`): an SQS event source mapping on the platform's
  bounce/complaint queue, with partial batch failures, and only the permissions to consume that
  queue (`infra.constructs.email_events`); failed messages go to that queue's own DLQ;
- if it is invoked asynchronously (`spec.schedules`): an encrypted SQS dead-letter queue as its
  on-failure destination, an alarm on that queue (emailing the coordinators), and one EventBridge
  Scheduler schedule per `Schedule`, in the configured time zone, with a retry policy, the same
  DLQ and a role that may invoke this function and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import build, nag
from infra.config import DeploymentConfig
from infra.constructs.platform import PlatformConstruct
from infra.constructs.queues import consume, dead_letter_queue
from infra.declaration import (
    ADMINISTRATION_ACTIONS,
    Access,
    FunctionSpec,
    Schedule,
    SignIn,
    actions_for,
    buckets,
    environment,
    name_attributes,
    reads_signing_key,
    shows_audit_trail,
    table,
    table_access,
)

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_LEVEL = "INFO"
INDEX_ACTIONS = ("dynamodb:Query",)

# Lambda's asynchronous retries, then the failure goes to the DLQ.
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(6)
# EventBridge Scheduler's retries when it cannot invoke the function at all (throttling, outage).
SCHEDULE_RETRY_ATTEMPTS = 3
SCHEDULE_MAX_EVENT_AGE = Duration.hours(6)

RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
}

SYNC_NO_DLQ = (
    "Invoked synchronously by API Gateway: a failure is returned to the caller as an HTTP error "
    "and nothing is queued, so there is no asynchronous event to dead-letter."
)
ASYNC_DESTINATION = (
    "Failed asynchronous invocations go to an SQS on-failure destination (EventInvokeConfig), "
    "which AWS recommends over the legacy DeadLetterConfig: it also records the error and "
    "request context. Configuring both would deliver every failure twice."
)
SQS_FED = (
    "Invoked by an SQS event source mapping, which is synchronous: a Lambda DLQ would never receive "
    "anything. Failed messages are retried by SQS and moved to the source queue's own dead-letter "
    "queue (redrive policy, alarmed) after their last receive."
)
OUTSIDE_VPC = (
    "Not in a VPC on purpose: the function reaches only AWS service APIs (DynamoDB, Secrets Manager, "
    "SES), over TLS, signed with its own role, which grants only what infra/declaration.py declares. "
    "It runs no server and talks to no database that a network boundary would protect, so a VPC "
    "would add NAT gateways or VPC endpoints (cost, a failure point) without narrowing who can reach "
    "members' data; that is decided by IAM, KMS and the tables' resource ARNs."
)
ONE_ROLE_ONE_POLICY = (
    "The role's permissions are inline policies that belong to this role alone (one, plus one holding "
    "only ses:DeleteSuppressedDestination and one holding only ses:ListSuppressedDestinations where the "
    "declaration grants them), generated from this "
    "function's declaration (infra/declaration.py) and deployed, versioned and rolled back with the "
    "stack (git and CloudFormation). A managed policy would add reuse across roles, which is what "
    "least privilege avoids here; tests check each statement against the calls the handler makes."
)
SES_SUPPRESSION_REMOVAL = "ses:DeleteSuppressedDestination"
SES_SUPPRESSION_WILDCARD = (
    "ses:DeleteSuppressedDestination supports no resource-level permission (AWS service authorization "
    "reference: no resource types, no condition keys), so `*` is the only resource it can be granted "
    "on. It is the only action in this policy, and it can only take an address OFF the account's SES "
    "suppression list, never read, add or send: this function calls it when a member is erased, when "
    "an administrator lifts a bounce or complaint suppression, or when an unsubscribed member's profile "
    "is removed, so that Amazon does not keep a person's plain email address after we have deleted it. "
    "Our own suppression list (a keyed hash) still stops every email to an address that bounced or "
    "complained. Only the functions whose declaration sets clears_ses_suppressions get it; tests check "
    "that."
)
SES_SUPPRESSION_LISTING = "ses:ListSuppressedDestinations"
SES_SUPPRESSION_LISTING_WILDCARD = (
    "ses:ListSuppressedDestinations supports no resource-level permission (AWS service authorization "
    "reference: no resource types, no condition keys), so `*` is the only resource it can be granted "
    "on. It is the only action in this policy, it reads only the account's SES suppression list, and "
    "only the nightly retention function has it: that run looks up each listed address by its keyed "
    "hash and takes off the list every one that bounced or complained on our email and belongs to no "
    "member we hold (a sign-up that bounced, was never confirmed and has expired), so that Amazon "
    "does not keep a person's plain email address after we have let go of it; other addresses are "
    "left alone. It logs counts only, never an address."
)
PINNED_RUNTIME = (
    "Pinned to Python 3.13 on purpose: the dependency layer is built for cp313/arm64 (infra/build.py) "
    "and the code is tested on 3.13; moving to a newer runtime is a deliberate, tested upgrade."
)


def log_retention(days: int) -> logs.RetentionDays:
    """The CloudWatch retention for `log_retention_days` (the config only allows CloudWatch's values)."""
    return RETENTION[days]


def new_log_group(
    scope: Construct, construct_id: str, config: DeploymentConfig, key: kms.IKey
) -> logs.LogGroup:
    """A log group with the configured retention, encrypted with the stack's log key."""
    # RETAIN: logs outlive a stack deletion for incident review; retention still expires every event.
    return logs.LogGroup(
        scope,
        construct_id,
        encryption_key=key,
        retention=log_retention(config.log_retention_days),
        removal_policy=RemovalPolicy.RETAIN,
    )


@dataclass(frozen=True)
class FunctionRuntime:
    """What every function shares: the deployment config, the platform, the code and the layer."""

    config: DeploymentConfig
    platform: PlatformConstruct
    code: lambda_.Code
    layer: lambda_.ILayerVersion
    base_url: str
    # what only functions behind the API get (the edge's origin-verify value)
    http_environment: Mapping[str, str] = field(default_factory=dict)
    # where administrators sign in (the console's Cognito app client and login domain)
    sign_in: SignIn | None = None


class AssetsMissing(FileNotFoundError):
    """The Lambda assets have not been built."""


class FunctionAssets(Construct):
    """The code asset and the arm64 dependency layer, built by `make build` (no Docker)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        missing = [p for p in (build.FUNCTION_ASSET, build.LAYER_ASSET) if not p.is_dir()]
        if missing:
            names = ", ".join(str(p) for p in missing)
            raise AssetsMissing(f"Lambda assets not built ({names}): run `make build` first")
        super().__init__(scope, construct_id)
        self.code = lambda_.Code.from_asset(str(build.FUNCTION_ASSET))
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(build.LAYER_ASSET), exclude=[".requirements.sha256"]),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="MKCPP runtime dependencies (uv.lock, cp313 arm64, without boto3).",
        )


def index_actions(access: Access) -> tuple[str, ...]:
    """What a function may do on a table's GSIs: Query, if its access reads. GetItem, BatchGetItem and
    ConditionCheckItem act on table items only, and there is deliberately no Scan."""
    return tuple(action for action in actions_for(access) if action in INDEX_ACTIONS)


class DeclaredFunction(Construct):
    """A Lambda function built from its declaration, with a role that can do what it declares and no more."""

    def __init__(
        self, scope: Construct, construct_id: str, *, spec: FunctionSpec, runtime: FunctionRuntime
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        config = runtime.config
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"MKCPP {spec.name}: only what infra/declaration.py declares",
        )
        self.log_group = new_log_group(self, "Logs", config, runtime.platform.log_key)
        self._grant_logs()
        self._grant_tables(runtime.platform)
        self._grant_buckets(runtime.platform)
        if reads_signing_key(spec):
            runtime.platform.signing_key.grant_read(self.role)
        if reads_signing_key(spec) or spec.lookup_key:
            runtime.platform.lookup_key.grant_read(self.role)
        if spec.sends_email:
            self._grant_email(runtime)
        self.ses_suppression_policy = (
            self._grant_account_level(
                "SesSuppressionRemoval", SES_SUPPRESSION_REMOVAL, SES_SUPPRESSION_WILDCARD
            )
            if spec.clears_ses_suppressions
            else None
        )
        self.ses_suppression_listing_policy = (
            self._grant_account_level(
                "SesSuppressionListing", SES_SUPPRESSION_LISTING, SES_SUPPRESSION_LISTING_WILDCARD
            )
            if spec.lists_ses_suppressions
            else None
        )

        if spec.manages_administrators:
            assert runtime.sign_in is not None and runtime.sign_in.user_pool_arn
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(ADMINISTRATION_ACTIONS), resources=[runtime.sign_in.user_pool_arn]
                )
            )

        self.dead_letter_queue = self._dead_letter_queue(runtime) if spec.invoked_by_schedule else None
        resources = replace(runtime.platform.resources, sign_in=runtime.sign_in)
        self.environment = env = environment(spec, resources, config.as_environment(runtime.base_url))
        env.update(
            {
                "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
                "LOG_LEVEL": LOG_LEVEL,
            }
        )
        if spec.http_routes:
            env.update(runtime.http_environment)
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            code=runtime.code,
            handler=spec.handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            layers=[runtime.layer],
            role=self.role,
            memory_size=spec.memory_mb,
            reserved_concurrent_executions=spec.reserved_concurrency,
            timeout=Duration.seconds(spec.timeout_seconds),
            environment=env,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            on_failure=destinations.SqsDestination(self.dead_letter_queue)
            if self.dead_letter_queue
            else None,
            retry_attempts=ASYNC_RETRY_ATTEMPTS if spec.invoked_by_schedule else None,
            max_event_age=ASYNC_MAX_EVENT_AGE if spec.invoked_by_schedule else None,
        )
        if self.ses_suppression_policy is not None:
            # like the role's default policy: in place before the function can first run
            self.function.node.add_dependency(self.ses_suppression_policy)
        self.schedules = self._schedules(config) if spec.schedules else []
        if spec.ses_events:
            self._consume_email_events(runtime.platform)
        self._queues(runtime.platform)
        self._acknowledge()

    # --- permissions -----------------------------------------------------------------------------

    def _grant_logs(self) -> None:
        # The log group's `Arn` attribute ends in `:*`, which covers its log streams and nothing else.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )

    def _grant_tables(self, platform: PlatformConstruct) -> None:
        names_only = name_attributes() if shows_audit_trail(self.spec) else {}
        for key, access in table_access(self.spec).items():
            target = platform.tables[key]
            conditions = None
            if key in names_only and key not in self.spec.tables:
                # the audit trail's names: those attributes and the keys, never the rest of a record
                conditions = {
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": list(names_only[key])},
                    "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
                }
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(actions_for(access)), resources=[target.table_arn], conditions=conditions
                )
            )
            on_indexes = index_actions(access)
            if table(key).indexes and on_indexes:
                self.role.add_to_principal_policy(
                    iam.PolicyStatement(actions=list(on_indexes), resources=[f"{target.table_arn}/index/*"])
                )
                logical_id = Stack.of(target).get_logical_id(target.node.default_child)
                nag.acknowledge(
                    self.role,
                    f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/index/*]",
                    f"Queries on the {key} table's declared GSIs "
                    f"({', '.join(i.name for i in table(key).indexes)}): "
                    "index ARNs only exist as <table ARN>/index/<name>; `/index/*` is scoped to this one "
                    "table and grants dynamodb:Query only (no Scan).",
                )

    def _grant_buckets(self, platform: PlatformConstruct) -> None:
        """PutObject under the key prefixes the bucket declares this function writes; GetObject if it
        reads. Nothing else: no listing, no deleting, no other prefix."""
        for spec in buckets():
            bucket = platform.buckets[spec.key]
            prefixes = spec.writers.get(self.spec.name, ())
            if prefixes:
                self.role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["s3:PutObject"],
                        resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
                    )
                )
                logical_id = Stack.of(bucket).get_logical_id(bucket.node.default_child)
                for prefix in prefixes:
                    nag.acknowledge(
                        self.role,
                        f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{prefix}*]",
                        f"s3:PutObject only, under the one key prefix {prefix!r} of the {spec.key} bucket "
                        "that the declaration says this function writes (its published files, named "
                        "by content): object keys under a prefix can only be granted with a wildcard, "
                        "and it reaches no other prefix, no listing and no deletion.",
                    )
            published = spec.publishers.get(self.spec.name, ())
            if published:
                self._grant_publishing(platform, spec.key, bucket, published)
            if self.spec.name in spec.readers:
                self.role.add_to_principal_policy(
                    iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")])
                )
                logical_id = Stack.of(bucket).get_logical_id(bucket.node.default_child)
                nag.acknowledge(
                    self.role,
                    f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/*]",
                    f"s3:GetObject only, on the objects of the {spec.key} bucket, which the declaration "
                    "says this function reads (to compare with what it publishes, or roll back): "
                    "objects can only be named with a wildcard; no listing, writing or deleting.",
                )

    def _grant_publishing(
        self, platform: PlatformConstruct, key: str, bucket: Any, prefixes: tuple[str, ...]
    ) -> None:
        """A publisher of a section of the site (`shared/site`): put, get and delete objects under its
        prefixes (new versions, their manifests, the pruning of old ones), list keys under them only
        (a publication that stopped half-way is cleaned up by listing its version's prefix), and read
        and write the site's routes in the CloudFront KeyValueStore the edge reads. Nothing else of
        the bucket."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            )
        )
        logical_id = Stack.of(bucket).get_logical_id(bucket.node.default_child)
        for prefix in prefixes:
            nag.acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{prefix}*]",
                f"Put, get and delete only under the one key prefix {prefix!r} of the {key} bucket that "
                "the declaration says this function publishes (versions of its section, their manifests, "
                "and the pruning of versions no longer kept): object keys under a prefix can only be "
                "granted with a wildcard; listing is granted under the same prefix only, and no other "
                "prefix.",
            )
        routes = platform.site_routes
        if routes is not None:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=[
                        "cloudfront-keyvaluestore:DescribeKeyValueStore",
                        "cloudfront-keyvaluestore:GetKey",
                        "cloudfront-keyvaluestore:UpdateKeys",
                    ],
                    resources=[routes.key_value_store_arn],
                )
            )

    def _grant_email(self, runtime: FunctionRuntime) -> None:
        config = runtime.config
        stack = Stack.of(self)
        identity = stack.format_arn(service="ses", resource="identity", resource_name=config.sender_domain)
        configuration_set = stack.format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=runtime.platform.configuration_set.configuration_set_name,
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[identity, configuration_set],
                conditions={"StringEquals": {"ses:FromAddress": config.sender_address}},
            )
        )

    def _grant_account_level(self, construct_id: str, action: str, wildcard_reason: str) -> iam.Policy:
        """One SES action on the account's suppression list, alone, in a policy of its own: such
        actions have no resource-level permission, so the resource is `*`, and the acknowledgement
        of that wildcard sits on this policy and covers nothing else in the role."""
        policy = iam.Policy(
            self,
            construct_id,
            statements=[iam.PolicyStatement(actions=[action], resources=["*"])],
            roles=[self.role],
        )
        nag.acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", wildcard_reason)
        for rule in ("HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy"):
            nag.acknowledge(policy, rule, ONE_ROLE_ONE_POLICY)
        return policy

    def _queues(self, platform: PlatformConstruct) -> None:
        """Declared work queues: a producer may send to it (and nothing else of it); the consumer
        polls it through an event source mapping, which grants receive, delete and visibility."""
        for work in platform.work_queues.values():
            if self.spec.name in work.spec.producers:
                work.queue.grant_send_messages(self.role)
            if work.spec.key in self.spec.consumes:
                consume(work.queue, self.function, work.spec)

    def _consume_email_events(self, platform: PlatformConstruct) -> None:
        if platform.email_events is None:
            raise ValueError(
                f"{self.spec.name} declares ses_events, but the platform was built without the SES "
                "event path (build PlatformConstruct with the same functions as the stack)"
            )
        platform.email_events.add_consumer(self.function, self.spec.timeout_seconds)

    # --- asynchronous invocation -----------------------------------------------------------------

    def _dead_letter_queue(self, runtime: FunctionRuntime) -> sqs.Queue:
        return dead_letter_queue(
            self,
            "DeadLetterQueue",
            alerts=runtime.platform.alerts,
            alarm_id="DeadLetterAlarm",
            alarm_description=f"{self.spec.name}: an asynchronous invocation failed for good; see its DLQ.",
            reason="This queue is itself the dead-letter queue: the function's on-failure destination and "
            "the schedules' DLQ. Redriving a DLQ into another DLQ would only move the problem.",
        )

    def _schedules(self, config: DeploymentConfig) -> list[scheduler.CfnSchedule]:
        assert self.dead_letter_queue is not None
        role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description=f"EventBridge Scheduler: may invoke MKCPP {self.spec.name} and nothing else",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function.function_arn])
        )
        self.dead_letter_queue.grant_send_messages(role)
        for rule in ("HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy"):
            nag.acknowledge(
                role,
                rule,
                "The scheduler role's one policy belongs to this role alone: invoke this one function "
                "and send to its own dead-letter queue. It is deployed, versioned and rolled back with "
                "the stack; a managed policy would only add reuse across roles, which is not wanted.",
            )
        return [self._schedule(schedule, role, config) for schedule in self.spec.schedules]

    def _schedule(
        self, schedule: Schedule, role: iam.IRole, config: DeploymentConfig
    ) -> scheduler.CfnSchedule:
        assert self.dead_letter_queue is not None
        return scheduler.CfnSchedule(
            self,
            f"Schedule{schedule.name.title().replace('_', '').replace('-', '')}",
            description=schedule.description,
            schedule_expression=schedule.expression,
            schedule_expression_timezone=config.time_zone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.function.function_arn,
                role_arn=role.role_arn,
                input=json.dumps(dict(schedule.payload), sort_keys=True),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
                    maximum_event_age_in_seconds=int(SCHEDULE_MAX_EVENT_AGE.to_seconds()),
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letter_queue.queue_arn
                ),
            ),
        )

    # --- cdk-nag ---------------------------------------------------------------------------------

    def _acknowledge(self) -> None:
        nag.acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Added by Lambda's active tracing only: xray:PutTraceSegments and xray:PutTelemetryRecords "
            "do not support resource-level permissions (AWS service authorization reference). Tests "
            "assert that no other statement in this role's default policy has a `*` resource (the one "
            "other wildcard, to take addresses off SES's suppression list, is a separate policy with "
            "its own acknowledgement).",
        )
        nag.acknowledge(self.function, "AwsSolutions-L1", PINNED_RUNTIME)
        nag.acknowledge(self.function, "Serverless-LambdaLatestVersion", PINNED_RUNTIME)
        no_dlq = self._no_dlq_reason()
        for rule in ("Serverless-LambdaDLQ", "HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            nag.acknowledge(self.function, rule, no_dlq)
        for rule in ("HIPAA.Security-LambdaInsideVPC", "NIST.800.53.R5-LambdaInsideVPC"):
            nag.acknowledge(self.function, rule, OUTSIDE_VPC)
        for rule in ("HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy"):
            nag.acknowledge(self.role, rule, ONE_ROLE_ONE_POLICY)

    def _no_dlq_reason(self) -> str:
        """Why this function has no Lambda DeadLetterConfig, for each way it is invoked."""
        reasons = []
        if self.spec.http_routes or not (self.spec.invoked_by_schedule or self.spec.consumes):
            reasons.append(SYNC_NO_DLQ)
        if self.spec.invoked_by_schedule:
            reasons.append(ASYNC_DESTINATION)
        if self.spec.consumes:
            reasons.append(SQS_FED)
        return " ".join(reasons)
