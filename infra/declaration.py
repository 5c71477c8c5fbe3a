"""The one declaration of the system.

Every table and every function (handler path, HTTP routes, schedules, environment and permissions)
is declared here once. The CDK constructs (`infra/constructs/`) and the local runtime
(`infra/local/`) both read this module, so the cloud and the laptop cannot drift apart.

This module imports handler *paths* (strings), never handler code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Flag, auto
from typing import Literal


class Access(Flag):
    """What a function may do to a table, each flag one IAM action. There is deliberately no Scan.

    Declare the least a function needs: `READ | APPEND` for the audit table (entries are added,
    never changed or removed), `DELETE` alone where a function only removes records."""

    GET = auto()  # GetItem
    BATCH_GET = auto()  # BatchGetItem
    QUERY = auto()  # Query, on the table and (if it has any) its indexes
    PUT = auto()  # PutItem
    UPDATE = auto()  # UpdateItem
    DELETE = auto()  # DeleteItem
    BATCH_WRITE = auto()  # BatchWriteItem

    READ = GET | BATCH_GET | QUERY
    APPEND = PUT
    WRITE = PUT | UPDATE | DELETE | BATCH_WRITE
    READ_WRITE = READ | WRITE


_ACTIONS = {
    Access.GET: "dynamodb:GetItem",
    Access.BATCH_GET: "dynamodb:BatchGetItem",
    Access.QUERY: "dynamodb:Query",
    Access.PUT: "dynamodb:PutItem",
    Access.UPDATE: "dynamodb:UpdateItem",
    Access.DELETE: "dynamodb:DeleteItem",
    Access.BATCH_WRITE: "dynamodb:BatchWriteItem",
}


def actions_for(access: Access) -> tuple[str, ...]:
    """The IAM actions of `access`, in a stable order."""
    return tuple(action for flag, action in _ACTIONS.items() if flag in access)


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table. All keys are strings; every table is on-demand, encrypted and has PITR."""

    key: str
    description: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None

    @property
    def env_var(self) -> str:
        return f"{self.key.upper()}_TABLE_NAME"

    @property
    def local_name(self) -> str:
        return f"mkcpp-{self.key.replace('_', '-')}"

    def create_table_kwargs(self, name: str) -> dict[str, object]:
        """`dynamodb.create_table` arguments, for DynamoDB Local and moto."""
        attributes = {self.partition_key}
        schema = [{"AttributeName": self.partition_key, "KeyType": "HASH"}]
        if self.sort_key:
            attributes.add(self.sort_key)
            schema.append({"AttributeName": self.sort_key, "KeyType": "RANGE"})
        indexes = []
        for index in self.indexes:
            attributes.add(index.partition_key)
            index_schema = [{"AttributeName": index.partition_key, "KeyType": "HASH"}]
            if index.sort_key:
                attributes.add(index.sort_key)
                index_schema.append({"AttributeName": index.sort_key, "KeyType": "RANGE"})
            indexes.append(
                {"IndexName": index.name, "KeySchema": index_schema, "Projection": {"ProjectionType": "ALL"}}
            )
        kwargs: dict[str, object] = {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
            "KeySchema": schema,
        }
        if indexes:
            kwargs["GlobalSecondaryIndexes"] = indexes
        return kwargs


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str  # API Gateway syntax: /admin/members/{id}
    # public: anyone (forms, email links); admin: API Gateway's JWT authorizer (the JSON admin API);
    # session: the console, whose function checks its own signed-in session cookie (shared/console)
    auth: Literal["public", "admin", "session"] = "public"

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Schedule:
    """An EventBridge Scheduler schedule that invokes the function with `payload` as its event."""

    name: str
    expression: str  # "cron(0 9 * * ? *)" or "rate(1 day)", evaluated in the deployment time zone
    description: str
    payload: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BucketSpec:
    """An S3 bucket (encrypted, private, TLS only). Who writes which key prefix and who reads are
    declared here: the grants and the `<KEY>_BUCKET_NAME` environment variable follow from it, in AWS
    and locally. `public_prefix`: the keys under it are the published site, served by CloudFront at
    `/<prefix>...` in AWS and by local mode at the same path (`/site/...`)."""

    key: str
    description: str
    writers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # function -> key prefixes
    readers: tuple[str, ...] = ()  # functions that read any key
    public_prefix: str | None = None

    @property
    def env_var(self) -> str:
        return f"{self.key.upper()}_BUCKET_NAME"

    @property
    def local_name(self) -> str:
        return f"mkcpp-local-{self.key.replace('_', '-')}"

    def users(self) -> set[str]:
        return set(self.writers) | set(self.readers)


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue and its dead-letter queue, consumed by one declared function (the one whose
    `consumes` names it) through an event source mapping with partial batch failures.

    The CDK construct and local mode both build it from these values, so the cloud and the laptop
    retry, batch and dead-letter alike. `source` says what fills it: "ses_events" is the SES
    configuration set's bounce and complaint events (via an SNS topic); None means the functions
    named in `producers` send to it (they get sqs:SendMessage on it, and its URL in their env)."""

    key: str
    description: str
    source: Literal["ses_events"] | None = None
    producers: tuple[str, ...] = ()
    batch_size: int = 5  # small: one poison message delays few others
    max_receive_count: int = 5  # receives before a message moves to the dead-letter queue
    max_concurrency: int = 2  # batches at once (2 is the lowest SQS allows)
    # AWS: at least six times the consumer's timeout, so throttled retries don't redeliver early
    visibility_factor: int = 6
    retention_days: int = 4

    def visibility_timeout_seconds(self, consumer: FunctionSpec) -> int:
        return self.visibility_factor * consumer.timeout_seconds

    @property
    def env_var(self) -> str:
        return f"{self.key.upper()}_QUEUE_URL"

    @property
    def local_name(self) -> str:
        return f"mkcpp-local-{self.key.replace('_', '-')}"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str  # dotted path: functions.members.public.lambda_handler
    description: str
    routes: tuple[Route, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    tables: Mapping[str, Access] = field(default_factory=dict)
    idempotency: bool = False  # read/write on the Powertools idempotency table
    signing_key: bool = False  # may read the token-signing and email-lookup secrets (shared/keys.py)
    # may read the email-lookup secret alone: finds records by address, signs and verifies nothing
    lookup_key: bool = False
    sends_email: bool = False  # may send through SES with the configuration set
    # may take an address off SES's account-level suppression list (ses:DeleteSuppressedDestination,
    # which has no resource-level permission): what erases members, lifts suppressions or removes
    # profiles, so that Amazon never keeps an address we no longer hold or block
    # (shared/email/account_suppression.py)
    clears_ses_suppressions: bool = False
    # may read SES's account-level suppression list (ses:ListSuppressedDestinations, which has no
    # resource-level permission either): the daily run that takes off it every address we no longer
    # hold, such as a sign-up that bounced, was never confirmed and has expired
    lists_ses_suppressions: bool = False
    resolver: str | None = None  # dotted path of the HTTP resolver, for the OpenAPI document
    consumes: tuple[str, ...] = ()  # keys of the declared queues this function consumes
    # answers every request no declared route matches (API Gateway's `$default` route, and local
    # mode's fallback): a browser gets the function's HTML "page not found" or "not like that" page
    # instead of API Gateway's bare `{"message":"Not Found"}`. One function at most.
    catch_all: bool = False
    # signs administrators in through Cognito's managed login (the console): gets the user pool's
    # issuer, the console app client's id and the login domain in its environment
    signs_in: bool = False
    memory_mb: int = 512
    timeout_seconds: int = 10
    # Reserved concurrency: the most copies that may run at once (and a floor the account keeps for
    # it). Small on purpose: it caps what a flood or a bug can do to the tables and to SES, and the
    # total stays far below the account's unreserved minimum (see RESERVED_CONCURRENCY_BUDGET).
    reserved_concurrency: int = 2

    @property
    def invoked_by_schedule(self) -> bool:
        """Invoked asynchronously (schedules): needs an on-failure destination. (SQS-fed functions
        keep failed messages in their queue's own DLQ instead.)"""
        return bool(self.schedules)

    @property
    def ses_events(self) -> bool:
        """Consumes the SES bounce/complaint events (a declared queue whose source is SES)."""
        return any(q.source == "ses_events" for q in QUEUES if q.key in self.consumes)

    @property
    def service_name(self) -> str:
        return self.name.replace("_", "-")


# --- tables -------------------------------------------------------------------------------------

MEMBERS = TableSpec(
    key="members",
    description="Members: profile, consents and preferences (MEMBER#id), their working-group memberships "
    "(MEMBER#id/GROUP#gid), email-lookup pointers (EMAIL#hmac), suppressions (SUPPRESSION#hmac) and "
    "working groups (GROUPS/GROUP#gid) with the claims on their names (GROUPNAME#hash/CLAIM). "
    "Pending sign-ups and soft-bounce counts expire by TTL.",
    partition_key="pk",
    sort_key="sk",
    indexes=(
        Index("by_status", "status", "listed_at"),
        Index("by_role", "role", "listed_at"),
        Index("by_group", "group_id", "member_id"),
    ),
    ttl_attribute="expires_at",
)

MEETINGS = TableSpec(
    key="meetings",
    description="Plenary and working-group meetings. Only scheduled, public meetings carry the sparse "
    "`listing` key, so the by_start index holds exactly the upcoming public meetings.",
    partition_key="pk",
    sort_key="sk",
    indexes=(Index("by_start", "listing", "starts_at"),),
)

IDEMPOTENCY = TableSpec(
    key="idempotency",
    description="Powertools idempotency records (hashed keys and non-personal responses only).",
    partition_key="id",
    ttl_attribute="expiration",
)

AUDIT = TableSpec(
    key="audit",
    description="Administrators' changes: who (Cognito sub), what (action, target id, field names), when. "
    "No personal data. Kept two years by TTL.",
    partition_key="target",
    sort_key="sk",
    indexes=(Index("by_month", "month", "sk"),),
    ttl_attribute="expires_at",
)

TABLES: tuple[TableSpec, ...] = (MEMBERS, MEETINGS, IDEMPOTENCY, AUDIT)

# --- functions ----------------------------------------------------------------------------------

MEMBERS_PUBLIC = FunctionSpec(
    name="members_public",
    handler="functions.members.public.lambda_handler",
    resolver="functions.members.public.app",
    description="Member sign-up with double opt-in, confirmation, and what members do from email links: "
    "preferences, one-click unsubscribe, a copy of their data, erasure.",
    routes=(
        Route("GET", "/"),  # the sign-up form is what the partnership's address opens
        Route("GET", "/members/signup"),
        Route("GET", "/members/privacy"),
        Route("POST", "/members"),
        Route("GET", "/members/confirm"),
        Route("POST", "/members/confirm"),
        Route("GET", "/members/preferences"),
        Route("POST", "/members/preferences"),
        Route("GET", "/members/unsubscribe"),
        Route("POST", "/members/unsubscribe"),
        Route("POST", "/members/data-requests"),
        Route("GET", "/members/export"),
        Route("POST", "/members/export"),
        Route("GET", "/members/erase"),
        Route("POST", "/members/erase"),
    ),
    # the audit trail: self-service export and erasure add entries; a member's export reads theirs
    tables={
        # sign-up reads an address's pointer and suppression in one BatchGetItem; confirmation,
        # preferences, unsubscribe and erasure write
        "members": Access.READ_WRITE,
        "meetings": Access.QUERY,
        "audit": Access.QUERY | Access.APPEND,
    },
    idempotency=True,
    signing_key=True,
    sends_email=True,
    clears_ses_suppressions=True,  # self-service erasure and "remove my details now"
    catch_all=True,
    # the public forms: 10 at once is ~100 sign-ups a second at the usual latency, far above any
    # mailing's response, and below the stage throttle's burst
    reserved_concurrency=10,
)

MEMBERS_ADMIN = FunctionSpec(
    name="members_admin",
    handler="functions.members.admin.lambda_handler",
    resolver="functions.members.admin.app",
    description="Administrators' member and working-group management, GDPR export and erasure.",
    routes=tuple(
        Route(method, path, auth="admin")  # type: ignore[arg-type]
        for method, path in (
            ("GET", "/admin/members"),
            ("POST", "/admin/members"),
            ("GET", "/admin/members.csv"),
            ("GET", "/admin/offline-members"),
            ("GET", "/admin/members/{id}"),
            ("PATCH", "/admin/members/{id}"),
            ("DELETE", "/admin/members/{id}"),
            ("GET", "/admin/members/{id}/export"),
            ("POST", "/admin/members/{id}/resend-confirmation"),
            ("POST", "/admin/members/{id}/preferences-link"),
            ("DELETE", "/admin/members/{id}/suppression"),
            ("GET", "/admin/groups"),
            ("POST", "/admin/groups"),
            ("PATCH", "/admin/groups/{id}"),
            ("POST", "/admin/groups/{id}/close"),
            ("POST", "/admin/groups/{id}/members"),
            ("DELETE", "/admin/groups/{id}/members/{member_id}"),
            ("GET", "/admin/audit"),
        )
    ),
    tables={
        "members": Access.READ_WRITE,
        "meetings": Access.QUERY,
        "audit": Access.QUERY | Access.APPEND,
    },
    signing_key=True,
    sends_email=True,
    clears_ses_suppressions=True,  # erasure, and lifting a suppression
    reserved_concurrency=5,  # a handful of administrators
)

MEMBER_BOUNCES = FunctionSpec(
    name="member_bounces",
    handler="functions.members.bounces.lambda_handler",
    description="Suppresses addresses that hard-bounce or complain, and counts soft bounces (3 in 30 days).",
    tables={"members": Access.GET | Access.QUERY | Access.PUT | Access.UPDATE | Access.DELETE},
    lookup_key=True,  # finds the member and the suppression by the address's keyed hash
    consumes=("ses_events",),
    timeout_seconds=30,
    # = the event source mapping's maximum concurrency (SES_EVENTS.max_concurrency)
    reserved_concurrency=2,
)

MEMBER_RETENTION = FunctionSpec(
    name="member_retention",
    handler="functions.members.retention.lambda_handler",
    description="Daily: removes unsubscribed members' names, contact details and roles once the "
    "unsubscribe grace period is over, and takes off SES's suppression list every address no member "
    "we hold has.",
    schedules=(
        Schedule(
            "member-retention",
            "cron(30 3 * * ? *)",
            "Every night at 03:30: remove the profiles of members who unsubscribed more than "
            "unsubscribe_grace_days ago",
            {"kind": "member_retention"},
        ),
    ),
    # reads the unsubscribed partition of by_status and each member it changes; writes the profile
    # back (a transactional Put); adds an audit entry per removal. No delete, no update, no email.
    # Its SES calls take addresses off SES's suppression list: a removed profile's, and every one
    # listed there that we suppressed and no member we hold has (its pointer and our suppression
    # entry read in one BatchGetItem, by the address's keyed hash: hence the lookup key).
    tables={"members": Access.GET | Access.BATCH_GET | Access.QUERY | Access.PUT, "audit": Access.APPEND},
    clears_ses_suppressions=True,
    lists_ses_suppressions=True,
    lookup_key=True,
    memory_mb=256,
    timeout_seconds=60,
    # one run at a time: a second would only race the first for the same records
    reserved_concurrency=1,
)

DOCS = FunctionSpec(
    name="docs",
    handler="functions.docs.handler.lambda_handler",
    description="Serves the OpenAPI document of the whole API.",
    routes=(Route("GET", "/openapi.json"),),
    memory_mb=256,
    timeout_seconds=5,
    reserved_concurrency=2,
)

CONSOLE = FunctionSpec(
    name="console",
    handler="functions.console.handler.lambda_handler",
    resolver="functions.console.handler.app",
    description="The administrators' web console: sign-in through Cognito's managed login, and the "
    "pages for members, working groups and the audit trail (later capabilities add theirs).",
    routes=tuple(
        Route(method, path, auth="session")  # type: ignore[arg-type]
        for method, path in (
            # API Gateway routes `/console/` here too (a route path cannot end with a slash)
            ("GET", "/console"),
            ("GET", "/console/callback"),
            ("GET", "/console/signed-out"),
            ("POST", "/console/sign-out"),
            ("GET", "/console/members"),
            ("GET", "/console/members/new"),
            ("POST", "/console/members/new"),
            ("GET", "/console/members/{id}"),
            ("GET", "/console/members/{id}/edit"),
            ("POST", "/console/members/{id}/edit"),
            ("POST", "/console/members/{id}/resend-confirmation"),
            ("POST", "/console/members/{id}/preferences-link"),
            ("POST", "/console/members/{id}/lift-suppression"),
            ("GET", "/console/members/{id}/export"),
            ("GET", "/console/members/{id}/erase"),
            ("POST", "/console/members/{id}/erase"),
            ("GET", "/console/offline-members"),
            ("GET", "/console/groups"),
            ("POST", "/console/groups"),
            ("GET", "/console/groups/{id}"),
            ("POST", "/console/groups/{id}"),
            ("POST", "/console/groups/{id}/close"),
            ("POST", "/console/groups/{id}/members"),
            ("POST", "/console/groups/{id}/members/{member_id}/remove"),
            ("POST", "/console/groups/{id}/lead"),
            ("GET", "/console/audit"),
            ("GET", "/console/audit.csv"),
        )
    ),
    # the same grants as the JSON admin API: the console runs the same domain services
    tables={
        "members": Access.READ_WRITE,
        "meetings": Access.QUERY,
        "audit": Access.QUERY | Access.APPEND,
    },
    signing_key=True,  # CSRF tokens and the sign-in state are keyed with the token-signing key
    sends_email=True,
    clears_ses_suppressions=True,  # erasure, and lifting a suppression
    signs_in=True,
    reserved_concurrency=5,  # a handful of administrators
)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    MEMBERS_PUBLIC,
    MEMBERS_ADMIN,
    MEMBER_BOUNCES,
    MEMBER_RETENTION,
    DOCS,
    CONSOLE,
)

# Lambda keeps at least 100 of an account's concurrency unreserved, and a new account's quota can
# be as low as 10: deploying needs a quota of at least 100 + the sum of every reserved_concurrency
# (README, "Deploying for real"). Keeping the sum small keeps that request modest.
RESERVED_CONCURRENCY_BUDGET = 50


# --- buckets ------------------------------------------------------------------------------------

SITE = BucketSpec(
    key="site",
    description="The published site: the directory's HTML, print and JSON editions (written by the "
    "directory capability, to come), served under /site/ by CloudFront.",
    public_prefix="site/",
)

BUCKETS: tuple[BucketSpec, ...] = (SITE,)

# --- queues -------------------------------------------------------------------------------------

SES_EVENTS = QueueSpec(
    key="ses_events",
    description="Bounces and complaints SES publishes for our configuration set (SNS topic -> this queue).",
    source="ses_events",
)

QUEUES: tuple[QueueSpec, ...] = (SES_EVENTS,)


def queue(key: str) -> QueueSpec:
    for spec in QUEUES:
        if spec.key == key:
            return spec
    raise KeyError(f"no queue named {key!r}; known: {', '.join(q.key for q in QUEUES)}")


def consumers_of(spec: QueueSpec, functions: tuple[FunctionSpec, ...] | None = None) -> list[FunctionSpec]:
    return [f for f in (FUNCTIONS if functions is None else functions) if spec.key in f.consumes]


def table(key: str) -> TableSpec:
    return next(t for t in TABLES if t.key == key)


def function(name: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.name == name:
            return spec
    raise KeyError(f"no function named {name!r}; known: {', '.join(f.name for f in FUNCTIONS)}")


def catch_all() -> FunctionSpec | None:
    found = [spec for spec in FUNCTIONS if spec.catch_all]
    if len(found) > 1:
        raise ValueError(f"only one function may catch all: {', '.join(s.name for s in found)}")
    return found[0] if found else None


def all_routes() -> list[tuple[Route, FunctionSpec]]:
    return [(route, spec) for spec in FUNCTIONS for route in spec.routes]


def all_schedules() -> list[tuple[Schedule, FunctionSpec]]:
    return [(schedule, spec) for spec in FUNCTIONS for schedule in spec.schedules]


@dataclass(frozen=True)
class Resources:
    """Where the shared resources are: CDK tokens in the cloud, local names on a laptop."""

    table_names: Mapping[str, str]
    signing_key_secret: str  # the token-signing secret (rotatable)
    configuration_set: str
    lookup_key_secret: str  # the email-lookup secret (never rotated)
    bucket_names: Mapping[str, str] = field(default_factory=dict)
    sign_in: SignIn | None = None
    queue_urls: Mapping[str, str] = field(default_factory=dict)  # the queues functions fill


@dataclass(frozen=True)
class SignIn:
    """Where administrators sign in: Cognito's managed login in AWS, local mode's stand-in locally."""

    issuer: str  # the `iss` of the user pool's tokens; its keys are at <issuer>/.well-known/jwks.json
    client_id: str  # the console's app client (public, authorization code with PKCE)
    login_url: str  # the login domain: /oauth2/authorize, /oauth2/token and /logout live under it


def environment(
    spec: FunctionSpec,
    resources: Resources,
    settings: Mapping[str, str],
    queues: tuple[QueueSpec, ...] | None = None,
) -> dict[str, str]:
    """The environment variables a function gets, in AWS and locally alike.

    `settings` holds the deployment configuration rendered as environment variables
    (see `infra.config.DeploymentConfig.as_environment`).
    """
    env = {
        "POWERTOOLS_SERVICE_NAME": spec.service_name,
        "POWERTOOLS_METRICS_NAMESPACE": "MKCPP",
        **settings,
    }
    for key in spec.tables:
        env[table(key).env_var] = resources.table_names[key]
    if spec.idempotency:
        env[IDEMPOTENCY.env_var] = resources.table_names[IDEMPOTENCY.key]
    if spec.signing_key:
        env["SIGNING_KEY_SECRET_ID"] = resources.signing_key_secret
    if spec.signing_key or spec.lookup_key:
        env["LOOKUP_KEY_SECRET_ID"] = resources.lookup_key_secret
    for bucket in BUCKETS:
        if spec.name in bucket.users():
            env[bucket.env_var] = resources.bucket_names[bucket.key]
    for declared in QUEUES if queues is None else queues:
        if spec.name in declared.producers:
            env[declared.env_var] = resources.queue_urls[declared.key]
    if spec.sends_email:
        env["SES_CONFIGURATION_SET"] = resources.configuration_set
    if spec.signs_in:
        if resources.sign_in is None:
            raise ValueError(f"{spec.name} signs administrators in, but no sign-in is configured")
        env["COGNITO_ISSUER"] = resources.sign_in.issuer
        env["COGNITO_CLIENT_ID"] = resources.sign_in.client_id
        env["COGNITO_LOGIN_URL"] = resources.sign_in.login_url
    return env
