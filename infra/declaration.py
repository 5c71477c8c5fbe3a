"""The one declaration of the system.

Every table and every function (handler path, HTTP routes, schedules, environment and permissions)
is declared here once. The CDK constructs (`infra/constructs/`) and the local runtime
(`infra/local/`) both read this module, so the cloud and the laptop cannot drift apart.

This module imports handler *paths* (strings), never handler code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Flag, auto
from typing import TYPE_CHECKING, Literal


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


CONSOLE_ROOT = "/console"


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "ANY"]
    path: str  # API Gateway syntax: /admin/members/{id}, /console/members/{proxy+}
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
    # functions that publish versions of a section of the site under these key prefixes
    # (`shared/site`): they put, get and delete objects there (new versions, their manifests, the
    # pruning of old ones) and write the site's routes (the CloudFront KeyValueStore that the edge
    # reads, whose ARN they get as `SITE_ROUTES`; `bucket` locally, where the routes are objects of
    # the same prefix)
    publishers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def env_var(self) -> str:
        return f"{self.key.upper()}_BUCKET_NAME"

    @property
    def local_name(self) -> str:
        return f"mkcpp-local-{self.key.replace('_', '-')}"

    def users(self) -> set[str]:
        return set(self.writers) | set(self.readers) | set(self.publishers)


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
    """One Lambda function: its handler, how it is invoked and exactly what it may touch."""

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
    # Console pages this function serves, as path segments under /console: ("members", "groups")
    # routes `ANY /console/members`, `ANY /console/members/{proxy+}` and the same for groups to it, so
    # the function's own router answers every method and path there (its 404 and 405 are console
    # pages) and nothing lists its pages twice. "" is the console's root: `/console` itself and every
    # console path no capability serves. A console function checks the session on every request
    # (shared/console/app.py): it gets the sign-in settings, the navigation and read access to the
    # revoked sessions (`console_sessions`), and no key: its CSRF tokens and sign-in need none.
    console: tuple[str, ...] = ()
    # Exports and erases a person across every capability (the subject-rights register): gets, on
    # each table that holds personal data, the access that capability's `PersonalData` declares,
    # and the register's entries in its environment (`PERSONAL_DATA`).
    subject_rights: bool = False
    # lists, invites and removes the console's administrators and resets their two-step sign-in: the
    # Cognito user pool's administrator actions on that pool alone (`ADMINISTRATION_ACTIONS`), and
    # the pool's id in its environment (`USER_POOL_ID`)
    manages_administrators: bool = False
    # serves the member's preferences page, which links to the pages every capability offers a
    # member with the same link (`Capability.member_pages`, in its environment as `MEMBER_PAGES`)
    shows_member_pages: bool = False
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
        return any(q.source == "ses_events" for q in queues() if q.key in self.consumes)

    @property
    def service_name(self) -> str:
        return self.name.replace("_", "-")

    @property
    def serves_console(self) -> bool:
        return bool(self.console)

    @property
    def http_routes(self) -> tuple[Route, ...]:
        """The declared routes, and the console routes its `console` prefixes derive."""
        derived: list[Route] = []
        for prefix in self.console:
            base = f"{CONSOLE_ROOT}/{prefix}" if prefix else CONSOLE_ROOT
            derived += [
                Route("ANY", base, auth="session"),
                Route("ANY", f"{base}/{{proxy+}}", auth="session"),
            ]
        return (*self.routes, *derived)


# --- what a capability declares besides its resources -------------------------------------------


@dataclass(frozen=True)
class NavItem:
    """An entry in the console's one navigation, and its line on the console's home page."""

    label: str
    path: str  # /console/...
    summary: str = ""  # one sentence for the home page; empty: not listed there
    position: int = 50  # the home page first (0), the audit trail last (90), capabilities between


@dataclass(frozen=True)
class AuditWords:
    """How the audit trail names a capability's entries: `targets` maps a target's prefix
    (`MEMBER` in `MEMBER#<id>`) to its console page (`/console/members/{id}`); `module` is the dotted
    path of a module in `shared/<capability>/` whose `ACTIONS` dict gives each action in words
    (and `FIELDS`, each changed field)."""

    module: str
    targets: Mapping[str, str] = field(default_factory=dict)
    # target prefix -> where its name is read, so the audit trail says "Jane Smith", not "Member f9d5612c"
    names: Mapping[str, TargetName] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetName:
    """Where the audit trail reads a target's name: the item at (`pk`, `sk`) of `table`, its
    `attribute` alone (`{id}` in the keys is the target's id). The function showing the audit trail
    may read that attribute and the keys, nothing else (an IAM condition). `gone`: the words for a
    target whose item no longer exists ("An erased member")."""

    table: str
    pk: str
    sk: str
    attribute: str
    gone: str


@dataclass(frozen=True)
class PersonalData:
    """An entry of the subject-rights register: what a capability holds about a person, for the
    subject-access export and for erasure. `holder` is the dotted path of a class in
    `shared/<capability>/` (`shared.privacy.register.Holder`: built from a DynamoDB client and the
    table names, it exports and erases one person by member id and address lookup id, and lists its
    rows of the retention table). `tables`: the access the functions that export and erase
    (`subject_rights`) need for it, granted to them from here."""

    holder: str
    tables: Mapping[str, Access] = field(default_factory=dict)


@dataclass(frozen=True)
class Capability:
    """A capability: this entry, and its own folders (`functions/<name>/`, `shared/<name>/`,
    `shared/templates/...`, `events/<name>/`, tests). The stack, local mode, OpenAPI, the console's
    navigation and audit trail, the register and the README's figures all derive from it."""

    name: str
    summary: str
    tables: tuple[TableSpec, ...] = ()
    functions: tuple[FunctionSpec, ...] = ()
    queues: tuple[QueueSpec, ...] = ()
    buckets: tuple[BucketSpec, ...] = ()
    nav: tuple[NavItem, ...] = ()
    audit: AuditWords | None = None
    personal_data: tuple[PersonalData, ...] = ()
    # pages a member reaches from their preferences page with the same link (its token appended)
    member_pages: tuple[NavItem, ...] = ()
    # the console's help pages about it: `shared/templates/console/help/<slug>.html` each
    help: tuple[HelpTopic, ...] = ()
    # deployment settings (environment variables) only this capability's functions get: those whose
    # name starts with it (`FEEDBACK_`), so no other function carries them (Lambda allows 4 KB)
    settings_prefix: str | None = None


@dataclass(frozen=True)
class HelpTopic:
    """A help page in the console (`/console/help/<slug>`), in plain words for a volunteer."""

    slug: str
    title: str
    summary: str  # its line on the help index


# --- the platform: what every capability shares ----------------------------------------------------

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

CONSOLE_SESSIONS = TableSpec(
    key="console_sessions",
    description="Console sessions ended by signing out (a hash of the session's token id), so a copied "
    "session cookie is refused after sign-out. Each expires by TTL when its token would have.",
    partition_key="id",
    ttl_attribute="expires_at",
)

SITE = BucketSpec(
    key="site",
    description="The published site: the directory's HTML, print and JSON editions (written by the "
    "directory capability) and 'you said, we did' (written by the feedback capability), served under "
    "/site/ by CloudFront.",
    public_prefix="site/",
    publishers={
        "directory_publisher": ("site/directory/",),
        "directory_admin": ("site/directory/",),
        "directory_console": ("site/directory/",),
        "feedback_publisher": ("site/you-said-we-did/",),
    },
)

SES_EVENTS = QueueSpec(
    key="ses_events",
    description="Bounces and complaints SES publishes for our configuration set (SNS topic -> this queue).",
    source="ses_events",
)

PLATFORM = Capability(
    name="platform",
    summary="What every capability shares: idempotency, the audit trail, console sessions, the site "
    "bucket and the queue of SES bounces and complaints.",
    tables=(IDEMPOTENCY, AUDIT, CONSOLE_SESSIONS),
    buckets=(SITE,),
    queues=(SES_EVENTS,),
    # The audit trail (ids, actions and field names, never values) is in a member's export and kept
    # on erasure, and idempotency records hold no personal data: the platform registers no holder.
)

# --- the console: sign-in, home, the audit trail ----------------------------------------------------

CONSOLE = FunctionSpec(
    name="console",
    handler="functions.console.handler.lambda_handler",
    resolver="functions.console.handler.app",
    description="The administrators' web console: sign-in through Cognito's managed login, sign-out, "
    "the home page and the audit trail. Each capability's pages are served by its own function.",
    console=("",),
    tables={"audit": Access.QUERY, "console_sessions": Access.PUT},
    reserved_concurrency=2,  # a handful of administrators; its pages are light
)

CONSOLE_CAPABILITY = Capability(
    name="console",
    summary="The administrators' console: sign-in, the home page and the audit trail.",
    functions=(CONSOLE,),
    nav=(
        NavItem("Home", "/console/", position=0),
        NavItem(
            "Audit trail",
            "/console/audit",
            "What administrators did, a month at a time, and its download.",
            position=90,
        ),
        NavItem("Help", "/console/help", "How to do each job here, step by step.", position=95),
    ),
    help=(
        HelpTopic("start", "Using the console", "Signing in, the home page, and keeping details safe."),
        HelpTopic("audit", "Reading the audit trail", "Who did what, and when."),
    ),
)

# --- administrators: who may sign in to the console ------------------------------------------------

ADMINISTRATORS_CONSOLE = FunctionSpec(
    name="administrators_console",
    handler="functions.administrators.console.lambda_handler",
    resolver="functions.administrators.console.app",
    description="The console's administrators pages: list them, invite one (Cognito emails the temporary "
    "password), remove one, reset their two-step sign-in. The only function with the user pool's "
    "administrator actions.",
    console=("administrators",),
    # console_sessions: the name of someone invited, for the audit trail before they first sign in
    tables={"audit": Access.APPEND, "console_sessions": Access.PUT},
    manages_administrators=True,
    reserved_concurrency=1,  # a handful of administrators, rarely
)

ADMINISTRATORS_CAPABILITY = Capability(
    name="administrators",
    summary="Who may sign in to the console: invite, remove, and reset two-step sign-in.",
    functions=(ADMINISTRATORS_CONSOLE,),
    nav=(
        NavItem(
            "Administrators",
            "/console/administrators",
            "Who may sign in to this console: invite someone, remove someone, or reset a lost authenticator.",
            position=80,
        ),
    ),
    audit=AuditWords("shared.administrators.words", {"ADMIN": "/console/administrators"}),
    help=(
        HelpTopic(
            "administrators", "Administrators", "Who can sign in here, and what to do about a lost phone."
        ),
    ),
)

# --- members ----------------------------------------------------------------------------------------

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
        # sparse: suppressions caused by a mailing's email (`Suppression.mailing`), to count its bounces
        Index("by_mailing", "mailing", "suppressed_at"),
    ),
    ttl_attribute="expires_at",
)

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
        Route("POST", "/members/preferences/email"),
        Route("GET", "/members/email/confirm"),
        Route("POST", "/members/email/confirm"),
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
    subject_rights=True,  # a member's own copy of their data, and erasure
    shows_member_pages=True,
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
            ("POST", "/admin/members/{id}/email"),
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
    subject_rights=True,  # export and erasure on request
    reserved_concurrency=5,  # a handful of administrators
)

MEMBERS_CONSOLE = FunctionSpec(
    name="members_console",
    handler="functions.members.console.lambda_handler",
    resolver="functions.members.console.app",
    description="The console's pages for members, working groups and members without email.",
    console=("members", "groups", "offline-members"),
    # the same grants as the JSON admin API: the pages run the same domain services
    tables={
        "members": Access.READ_WRITE,
        "meetings": Access.QUERY,
        "audit": Access.QUERY | Access.APPEND,
    },
    signing_key=True,
    sends_email=True,
    clears_ses_suppressions=True,  # erasure, and lifting a suppression
    subject_rights=True,
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

MEMBERSHIP = Capability(
    name="members",
    summary="Sign-up with double opt-in, the membership lifecycle, working groups, bounces and complaints.",
    tables=(MEMBERS,),
    functions=(MEMBERS_PUBLIC, MEMBERS_ADMIN, MEMBERS_CONSOLE, MEMBER_BOUNCES, MEMBER_RETENTION),
    nav=(
        NavItem(
            "Members",
            "/console/members",
            "Find, add and change members, and see who needs attention.",
        ),
        NavItem("Working groups", "/console/groups", "Create and change groups, and who is in them."),
        NavItem(
            "Phone or post",
            "/console/offline-members",
            "Members with no email address, or whose emails bounce: to phone or write to, ready to print.",
        ),
    ),
    audit=AuditWords(
        "shared.members.words",
        {"MEMBER": "/console/members/{id}", "GROUP": "/console/groups/{id}"},
        {
            "MEMBER": TargetName("members", "MEMBER#{id}", "PROFILE", "name", "An erased member"),
            "GROUP": TargetName("members", "GROUPS", "GROUP#{id}", "name", "A removed working group"),
        },
    ),
    help=(
        HelpTopic("members", "Members", "Adding someone, changing their details, and doing things for them."),
        HelpTopic(
            "import",
            "Importing and downloading the list",
            "Bringing in a list from a spreadsheet.",
        ),
        HelpTopic(
            "post",
            "Post: letters and labels",
            "Printing lists and labels for members without email.",
        ),
        HelpTopic("groups", "Working groups", "Starting a group, adding people, and closing it."),
    ),
    personal_data=(
        PersonalData(
            "shared.members.privacy.MemberRecords",
            {"members": Access.READ_WRITE},
        ),
    ),
)

# --- meetings -----------------------------------------------------------------------------------

MEETINGS = TableSpec(
    key="meetings",
    description="Plenary and working-group meetings (MEETING#id), what each member was sent and "
    "replied about each (TOLD#, LOG#, PERSON# under the meeting; SENT# and pointers under PERSON#id), "
    "private calendar feeds (FEED#hash) and announcements (ANNOUNCEMENT#id). Only public meetings "
    "carry the sparse `listing` key (`public` while scheduled, `public-cancelled` once cancelled, for "
    "the feeds alone), so the by_start index holds exactly the public meetings in start order; "
    "by_calendar lists every meeting, and every announcement, in time order.",
    partition_key="pk",
    sort_key="sk",
    indexes=(Index("by_start", "listing", "starts_at"), Index("by_calendar", "calendar", "at")),
    ttl_attribute="expires_at",
)

MEETING_MAIL = QueueSpec(
    key="meeting_mail",
    description="Pages of meeting reminders, updates, cancellations, announcements and report-back "
    "requests, each at most 25 recipients, sent exactly once.",
    producers=("meeting_planner", "meetings_admin", "meetings_console", "meeting_sender"),
    batch_size=1,  # a page is 25 emails: one page per invocation keeps retries small
    max_receive_count=5,
    max_concurrency=2,
)

# What the meetings functions read of members: the audiences' indexes (by_status, by_role, by_group),
# profiles in batches, and the suppression entries of a page in one BatchGetItem.
READS_MEMBERS = Access.GET | Access.BATCH_GET | Access.QUERY

MEETINGS_PUBLIC = FunctionSpec(
    name="meetings_public",
    handler="functions.meetings.public.lambda_handler",
    resolver="functions.meetings.public.app",
    description="The public list and calendar feed of meetings, members' private feeds, and the "
    "apologies link in reminders.",
    routes=(
        Route("GET", "/meetings"),
        Route("GET", "/meetings.ics"),
        Route("GET", "/meetings/feeds/{token}"),
        Route("GET", "/meetings/calendar"),
        Route("POST", "/meetings/calendar"),
        Route("GET", "/meetings/apologies"),
        Route("POST", "/meetings/apologies"),
    ),
    # apologies write the member's record of the meeting; the calendar page keeps their feed token
    tables={
        "meetings": Access.READ | Access.PUT | Access.UPDATE | Access.DELETE,
        "members": Access.GET,
        "audit": Access.APPEND,  # a member's apologies, as the audit trail names them
    },
    signing_key=True,  # apologies links, and the preferences link that opens the calendar page
    memory_mb=512,
    reserved_concurrency=5,
)

MEETINGS_ADMIN = FunctionSpec(
    name="meetings_admin",
    handler="functions.meetings.admin.lambda_handler",
    resolver="functions.meetings.admin.app",
    description="Administrators' meetings, series, cancellations, attendance, report-backs and "
    "announcements.",
    routes=tuple(
        Route(method, path, auth="admin")  # type: ignore[arg-type]
        for method, path in (
            ("GET", "/admin/meetings"),
            ("POST", "/admin/meetings"),
            ("POST", "/admin/meetings/series"),
            ("GET", "/admin/meetings/{id}"),
            ("PATCH", "/admin/meetings/{id}"),
            ("POST", "/admin/meetings/{id}/cancel"),
            ("GET", "/admin/meetings/{id}/attendance"),
            ("POST", "/admin/meetings/{id}/attendance"),
            ("POST", "/admin/meetings/{id}/report-backs/{group}"),
            ("GET", "/admin/announcements"),
            ("POST", "/admin/announcements"),
        )
    ),
    tables={
        "meetings": Access.READ_WRITE,
        "members": READS_MEMBERS,
        "audit": Access.QUERY | Access.APPEND,
    },
    reserved_concurrency=3,
)

MEETINGS_CONSOLE = FunctionSpec(
    name="meetings_console",
    handler="functions.meetings.console.lambda_handler",
    resolver="functions.meetings.console.app",
    description="The console's pages for meetings, attendance, letters, report-backs and announcements.",
    console=("meetings", "announcements"),
    tables={
        "meetings": Access.READ_WRITE,
        "members": READS_MEMBERS,
        "audit": Access.QUERY | Access.APPEND,
    },
    reserved_concurrency=3,
)

MEETING_PLANNER = FunctionSpec(
    name="meeting_planner",
    handler="functions.meetings.planner.lambda_handler",
    description="Every minute: queues the meeting reminders now due (exactly once per offset), the "
    "updates whose quick edits have settled, report-back requests and announcements whose time has come.",
    schedules=(
        Schedule(
            "meeting-reminders",
            "rate(1 minute)",
            "Every minute: plan meeting reminders, updates, report-back requests and announcements",
            {"kind": "meeting_reminders"},
        ),
    ),
    tables={"meetings": Access.QUERY | Access.UPDATE, "members": Access.QUERY},
    memory_mb=256,
    timeout_seconds=60,
    reserved_concurrency=1,  # one run at a time; a second would only find the same offsets planned
)

MEETING_SENDER = FunctionSpec(
    name="meeting_sender",
    handler="functions.meetings.sender.lambda_handler",
    description="Sends one page of a meeting mailing (at most 25 emails, at the SES rate), exactly "
    "once per member, and queues the next page.",
    tables={
        # claims (a transaction of puts), marks that emails went (batches), released claims
        # (deletes), an announcement's counts and status (updates)
        "meetings": Access.GET
        | Access.QUERY
        | Access.PUT
        | Access.UPDATE
        | Access.DELETE
        | Access.BATCH_WRITE,
        "members": READS_MEMBERS,
    },
    signing_key=True,  # apologies and unsubscribe links
    sends_email=True,
    consumes=("meeting_mail",),
    memory_mb=512,
    timeout_seconds=120,  # 25 emails at 1 a second, shared by two senders, and the writes
    reserved_concurrency=2,  # = the queue's maximum concurrency
)

MEETINGS_CAPABILITY = Capability(
    name="meetings",
    summary="Plenary and working-group meetings, reminders, calendars, apologies, attendance, "
    "report-backs and announcements.",
    tables=(MEETINGS,),
    functions=(MEETINGS_PUBLIC, MEETINGS_ADMIN, MEETINGS_CONSOLE, MEETING_PLANNER, MEETING_SENDER),
    queues=(MEETING_MAIL,),
    nav=(
        NavItem(
            "Meetings",
            "/console/meetings",
            "Plan meetings, see who was told and who is coming, letters, and the minutes' attendance.",
        ),
        NavItem(
            "Announcements", "/console/announcements", "Email news to members, and letters for the rest."
        ),
    ),
    audit=AuditWords(
        "shared.meetings.words",
        {"MEETING": "/console/meetings/{id}"},
        {"MEETING": TargetName("meetings", "MEETING#{id}", "MEETING", "title", "A removed meeting")},
    ),
    help=(HelpTopic("meetings", "Meetings", "Setting up meetings, reminders and letters."),),
    personal_data=(
        # read and delete only: the functions that run subject rights (members_public, members_admin,
        # members_console) can write nothing of the meetings capability's (BatchWriteItem would
        # also allow puts)
        PersonalData(
            "shared.meetings.privacy.MeetingRecords", {"meetings": Access.GET | Access.QUERY | Access.DELETE}
        ),
    ),
    member_pages=(NavItem("Your meetings in your calendar", "/meetings/calendar"),),
)

# --- the directory ----------------------------------------------------------------------------------

DIRECTORY = TableSpec(
    key="directory",
    description="The Local Cancer Resources Directory: services (SERVICE/<id>), each one's change log "
    "(SERVICE#id/CHANGE#...), public reports (REPORT/...) and their reporters' lookup pointers "
    "(REPORTER#hmac), the reviewers' send ledger, and the site's publication record (SITE#directory). "
    "Change logs and reports expire by TTL.",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
)

# what publishing needs: every entry (Query), the publication record (Get, Update), the audit trail
_PUBLISHES = Access.GET | Access.QUERY | Access.UPDATE

DIRECTORY_PUBLIC = FunctionSpec(
    name="directory_public",
    handler="functions.directory.public.lambda_handler",
    resolver="functions.directory.public.app",
    description="The directory's public forms: 'is something wrong with this entry?' and the "
    "'my list' sheet.",
    routes=(
        Route("GET", "/directory/report"),
        Route("POST", "/directory/reports"),
        Route("GET", "/directory/my-list"),
    ),
    # reads the entries; a report is a Put (and its reporter's pointer), flags the entry (Update), and
    # claims its email to the reviewers in the send ledger (Put; Delete if sending fails)
    tables={"directory": Access.GET | Access.BATCH_GET | Access.PUT | Access.UPDATE | Access.DELETE},
    lookup_key=True,  # a contact that is an email address is also kept as its lookup id (erasure)
    sends_email=True,
    reserved_concurrency=3,
)

DIRECTORY_ADMIN = FunctionSpec(
    name="directory_admin",
    handler="functions.directory.admin.lambda_handler",
    resolver="functions.directory.admin.app",
    description="Administrators' directory API: entries, their change log, import, review, reports, "
    "publishing, versions and rollback.",
    routes=tuple(
        Route(method, path, auth="admin")  # type: ignore[arg-type]
        for method, path in (
            ("GET", "/admin/directory/services"),
            ("POST", "/admin/directory/services"),
            ("GET", "/admin/directory/services/{id}"),
            ("PUT", "/admin/directory/services/{id}"),
            ("DELETE", "/admin/directory/services/{id}"),
            ("GET", "/admin/directory/services/{id}/changes"),
            ("POST", "/admin/directory/services/{id}/review"),
            ("POST", "/admin/directory/import"),
            ("GET", "/admin/directory/reports"),
            ("POST", "/admin/directory/reports/{id}/resolve"),
            ("GET", "/admin/directory/publish"),
            ("POST", "/admin/directory/publish"),
            ("GET", "/admin/directory/versions"),
            ("POST", "/admin/directory/versions/{version}/rollback"),
        )
    ),
    tables={"directory": Access.READ_WRITE, "audit": Access.APPEND},
    memory_mb=1024,
    timeout_seconds=29,  # API Gateway's limit
    reserved_concurrency=2,
)

DIRECTORY_CONSOLE = FunctionSpec(
    name="directory_console",
    handler="functions.directory.console.lambda_handler",
    resolver="functions.directory.console.app",
    description="The console's directory pages: entries by category, the entry form, change log, import, "
    "publish, versions, review list and reports.",
    console=("directory",),
    tables={"directory": Access.READ_WRITE, "audit": Access.APPEND},
    memory_mb=1024,
    timeout_seconds=29,
    reserved_concurrency=2,
)

# A publication too large to finish inside a web request (API Gateway gives 29 s) is asked for on
# this queue instead, and the publisher does it (300 s).
DIRECTORY_PUBLISH = QueueSpec(
    key="directory_publish",
    description="Requests to publish the directory now, from the admin API and the console, when a "
    "publication has too many files to write inside a web request.",
    producers=("directory_admin", "directory_console"),
    batch_size=1,
    max_receive_count=3,
    max_concurrency=2,
)

DIRECTORY_PUBLISHER = FunctionSpec(
    name="directory_publisher",
    handler="functions.directory.publisher.lambda_handler",
    description="Nightly: publishes the directory (only what changed; nothing when nothing did).",
    schedules=(
        Schedule(
            "directory-publish",
            "cron(15 2 * * ? *)",
            "Every night at 02:15: publish the directory, so entries checked or changed during the day "
            "and closures that have ended show, and 'not checked recently' is up to date",
            {"kind": "directory_publish"},
        ),
    ),
    tables={"directory": _PUBLISHES, "audit": Access.APPEND},
    consumes=("directory_publish",),
    # a whole vCPU (Lambda gives one at 1,769 MB): a first publication of 5,000 entries is about 8.5 s
    # of CPU (`make bench`, directory), which at 1,024 MB (0.58 of one) would take about 15 s
    memory_mb=1769,
    timeout_seconds=300,
    # = the queue's maximum concurrency (the least SQS allows); the lease lets one publish at a time
    reserved_concurrency=2,
)

DIRECTORY_REVIEW = FunctionSpec(
    name="directory_review",
    handler="functions.directory.review.lambda_handler",
    description="Monthly: emails the reviewers the directory entries past their review interval.",
    schedules=(
        Schedule(
            "directory-review",
            "cron(0 9 1 * ? *)",
            "On the first of each month at 09:00: email the reviewers the entries due to be checked",
            {"kind": "directory_review"},
        ),
    ),
    # reads the entries; claims the month's email in the send ledger (Put; Delete if sending fails)
    tables={"directory": Access.QUERY | Access.PUT | Access.DELETE},
    sends_email=True,
    memory_mb=512,
    timeout_seconds=60,
    reserved_concurrency=1,
)

DIRECTORY_CAPABILITY = Capability(
    name="directory",
    summary="The Local Cancer Resources Directory: HSDS entries, review dates, public reports, and its "
    "versioned publication as HTML, print and open JSON.",
    tables=(DIRECTORY,),
    queues=(DIRECTORY_PUBLISH,),
    functions=(DIRECTORY_PUBLIC, DIRECTORY_ADMIN, DIRECTORY_CONSOLE, DIRECTORY_PUBLISHER, DIRECTORY_REVIEW),
    nav=(
        NavItem(
            "Directory",
            "/console/directory",
            "The Local Cancer Resources Directory: entries, checks, reports, import and publishing.",
            position=60,
        ),
    ),
    audit=AuditWords(
        "shared.directory.words",
        {"SERVICE": "/console/directory/services/{id}"},
        {"SERVICE": TargetName("directory", "SERVICE", "{id}", "name", "A deleted directory entry")},
    ),
    help=(HelpTopic("directory", "The directory", "Adding, checking and publishing entries."),),
    personal_data=(
        PersonalData(
            "shared.directory.privacy.DirectoryReports",
            {"directory": Access.QUERY | Access.BATCH_GET | Access.DELETE},
        ),
    ),
)

# --- feedback: the Patient Feedback Project ---------------------------------------------------------

FEEDBACK = TableSpec(
    key="feedback",
    description="Feedback and journal entries (FEEDBACK#ref/ITEM), each one's history and internal notes "
    "(FEEDBACK#ref/HISTORY#...), its reporter's contact stored apart (FEEDBACK#ref/CONTACT) with the "
    "lookup pointer that finds it for export and erasure (REPORTER#hmac), what was sent (SENT#...), "
    "double-submission guards (SUBMISSION#hash), and the publication record of 'you said, we did' "
    "(SITE#you-said-we-did). Only items carry the sparse `listing` key, so by_received lists every item "
    "in time order. Everything expires by TTL.",
    partition_key="pk",
    sort_key="sk",
    indexes=(Index("by_received", "listing", "received_at"),),
    ttl_attribute="expires_at",
)

# what reading and changing one item needs: the item, its history and contact (Get, Query), the
# changes (Update), history entries and send claims (Put), a released claim and a contact erased
# (Delete), and the queue (Query on by_received)
_FEEDBACK_WORK = Access.GET | Access.QUERY | Access.PUT | Access.UPDATE | Access.DELETE

FEEDBACK_PUBLIC = FunctionSpec(
    name="feedback_public",
    handler="functions.feedback.public.lambda_handler",
    resolver="functions.feedback.public.app",
    description="The feedback form (anonymous or named), its reply page, a reference's status and "
    "public response, and the follow-up question's page.",
    routes=(
        Route("GET", "/feedback"),
        Route("POST", "/feedback"),
        Route("GET", "/feedback/follow-up"),
        Route("POST", "/feedback/follow-up"),
        Route("GET", "/feedback/{reference}"),
    ),
    # a submission is one transaction of puts (the item, its contact and pointer, its first history
    # entry, the publication's change mark), a double-submission guard (Put, Get), and send claims
    tables={"feedback": _FEEDBACK_WORK | Access.BATCH_WRITE},
    lookup_key=True,  # a contact address is also kept as its lookup id (export and erasure)
    signing_key=True,  # verifies the follow-up question's signed links
    sends_email=True,
    reserved_concurrency=3,
)

FEEDBACK_ADMIN = FunctionSpec(
    name="feedback_admin",
    handler="functions.feedback.admin.lambda_handler",
    resolver="functions.feedback.admin.app",
    description="Administrators' feedback API: the list with filters, an item, and its changes (status, "
    "working group, internal notes, public response, anonymised text).",
    routes=tuple(
        Route(method, path, auth="admin")  # type: ignore[arg-type]
        for method, path in (
            ("GET", "/admin/feedback"),
            ("GET", "/admin/feedback/{reference}"),
            ("PATCH", "/admin/feedback/{reference}"),
        )
    ),
    tables={"feedback": _FEEDBACK_WORK, "audit": Access.APPEND},
    sends_email=True,  # the reporter hears of a new status or a public response
    reserved_concurrency=2,
)

FEEDBACK_CONSOLE = FunctionSpec(
    name="feedback_console",
    handler="functions.feedback.console.lambda_handler",
    resolver="functions.feedback.console.app",
    description="The console's feedback pages: the triage queue, each item with its history, changes, "
    "suggested redactions and notes, feedback entered on someone's behalf, and the 'you said, we did' "
    "preview.",
    console=("feedback",),
    tables={"feedback": _FEEDBACK_WORK | Access.BATCH_WRITE, "audit": Access.APPEND},
    lookup_key=True,  # feedback entered on someone's behalf may carry their address
    sends_email=True,
    reserved_concurrency=2,
)

FEEDBACK_MAILER = FunctionSpec(
    name="feedback_mailer",
    handler="functions.feedback.mailer.lambda_handler",
    description="Feedback's scheduled emails: the coordinators' digest of new items, the escalation of "
    "urgent items nobody has acknowledged, and the follow-up question four weeks after an item closed "
    "(which also erases contacts whose time is over).",
    schedules=(
        Schedule(
            "feedback-digest",
            "cron(0 8 * * ? *)",
            "Every morning at 08:00: email the coordinators the feedback that came in since yesterday",
            {"kind": "feedback_digest"},
        ),
        Schedule(
            "feedback-escalation",
            "rate(15 minutes)",
            "Every 15 minutes: escalate urgent feedback no coordinator acknowledged in time",
            {"kind": "feedback_escalation"},
        ),
        Schedule(
            "feedback-follow-up",
            "cron(0 10 * * ? *)",
            "Every day at 10:00: ask reporters whose feedback closed four weeks ago whether it was solved, "
            "and erase contacts whose follow-up window is over",
            {"kind": "feedback_follow_up"},
        ),
    ),
    tables={"feedback": _FEEDBACK_WORK},
    signing_key=True,  # signs the follow-up question's links
    sends_email=True,
    memory_mb=256,
    timeout_seconds=120,
    reserved_concurrency=1,  # one run at a time
)

FEEDBACK_PUBLISHER = FunctionSpec(
    name="feedback_publisher",
    handler="functions.feedback.publisher.lambda_handler",
    description="Every minute: re-publishes 'you said, we did' (page, JSON feed and headline figures) "
    "when a change that affects it was made; nothing otherwise.",
    schedules=(
        Schedule(
            "you-said-we-did-publish",
            "rate(1 minute)",
            "Every minute: publish 'you said, we did' if feedback changed since it was last published",
            {"kind": "you_said_we_did_publish"},
        ),
    ),
    tables={"feedback": Access.GET | Access.QUERY | Access.UPDATE},
    memory_mb=512,
    timeout_seconds=120,
    reserved_concurrency=1,  # one publication at a time (the lease makes sure of it too)
)

FEEDBACK_CAPABILITY = Capability(
    name="feedback",
    summary="The Patient Feedback Project: anonymous or named feedback and journal entries, safeguarding "
    "signposting and escalation, triage, updates to the reporter, follow-up, and 'you said, we did'.",
    tables=(FEEDBACK,),
    functions=(FEEDBACK_PUBLIC, FEEDBACK_ADMIN, FEEDBACK_CONSOLE, FEEDBACK_MAILER, FEEDBACK_PUBLISHER),
    nav=(
        NavItem(
            "Feedback",
            "/console/feedback",
            "Feedback and journal entries: urgent first, then the oldest; respond, and publish what changed.",
            position=55,
        ),
    ),
    audit=AuditWords("shared.feedback.words", {"FEEDBACK": "/console/feedback/{id}"}),
    help=(HelpTopic("feedback", "Feedback", "Reading feedback, answering it, and saying what changed."),),
    personal_data=(
        PersonalData(
            "shared.feedback.privacy.FeedbackRecords",
            {"feedback": Access.QUERY | Access.BATCH_GET | Access.DELETE},
        ),
    ),
    settings_prefix="FEEDBACK_",
)

# --- the OpenAPI document -----------------------------------------------------------------------------

DOCS = FunctionSpec(
    name="docs",
    handler="functions.docs.handler.lambda_handler",
    description="Serves the OpenAPI document of the whole API.",
    routes=(Route("GET", "/openapi.json"),),
    memory_mb=256,
    timeout_seconds=5,
    reserved_concurrency=2,
)

DOCS_CAPABILITY = Capability(name="docs", summary="The OpenAPI document of the whole API.", functions=(DOCS,))

# --- every capability, in the order the console lists them ------------------------------------------

CAPABILITIES: tuple[Capability, ...] = (
    PLATFORM,
    CONSOLE_CAPABILITY,
    ADMINISTRATORS_CAPABILITY,
    MEMBERSHIP,
    MEETINGS_CAPABILITY,
    FEEDBACK_CAPABILITY,
    DIRECTORY_CAPABILITY,
    DOCS_CAPABILITY,
)

# Lambda keeps at least 100 of an account's concurrency unreserved, and a new account's quota can
# be as low as 10: deploying needs a quota of at least 100 + the sum of every reserved_concurrency
# (README, "Deploying for real"). Keeping the sum small keeps that request modest.
RESERVED_CONCURRENCY_BUDGET = 64  # four capabilities, administrators and the console


# Everything below reads `CAPABILITIES` when it is called, never a copy made at import, so a test
# that declares one more capability (tests/infra/test_capability.py) sees every part pick it up.


def tables() -> tuple[TableSpec, ...]:
    return tuple(t for c in CAPABILITIES for t in c.tables)


def functions() -> tuple[FunctionSpec, ...]:
    return tuple(f for c in CAPABILITIES for f in c.functions)


def queues() -> tuple[QueueSpec, ...]:
    return tuple(q for c in CAPABILITIES for q in c.queues)


def buckets() -> tuple[BucketSpec, ...]:
    return tuple(b for c in CAPABILITIES for b in c.buckets)


if TYPE_CHECKING:  # at run time these are read through __getattr__, so they are never a stale copy
    TABLES: tuple[TableSpec, ...]
    FUNCTIONS: tuple[FunctionSpec, ...]
    QUEUES: tuple[QueueSpec, ...]
    BUCKETS: tuple[BucketSpec, ...]


def __getattr__(name: str) -> object:
    """`TABLES`, `FUNCTIONS`, `QUEUES` and `BUCKETS`, read when asked for (PEP 562)."""
    found = {"TABLES": tables, "FUNCTIONS": functions, "QUEUES": queues, "BUCKETS": buckets}.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return found()


def capability_of(spec: FunctionSpec) -> Capability:
    for capability in CAPABILITIES:
        if any(f.name == spec.name for f in capability.functions):
            return capability
    raise KeyError(f"{spec.name} belongs to no declared capability")


def queue(key: str) -> QueueSpec:
    for spec in queues():
        if spec.key == key:
            return spec
    raise KeyError(f"no queue named {key!r}; known: {', '.join(q.key for q in queues())}")


def bucket(key: str) -> BucketSpec:
    for spec in buckets():
        if spec.key == key:
            return spec
    raise KeyError(f"no bucket named {key!r}; known: {', '.join(b.key for b in buckets())}")


def consumers_of(spec: QueueSpec, among: tuple[FunctionSpec, ...] | None = None) -> list[FunctionSpec]:
    return [f for f in (functions() if among is None else among) if spec.key in f.consumes]


def table(key: str) -> TableSpec:
    for spec in tables():
        if spec.key == key:
            return spec
    raise KeyError(f"no table named {key!r}; known: {', '.join(t.key for t in tables())}")


def function(name: str) -> FunctionSpec:
    for spec in functions():
        if spec.name == name:
            return spec
    raise KeyError(f"no function named {name!r}; known: {', '.join(f.name for f in functions())}")


def catch_all() -> FunctionSpec | None:
    found = [spec for spec in functions() if spec.catch_all]
    if len(found) > 1:
        raise ValueError(f"only one function may catch all: {', '.join(s.name for s in found)}")
    return found[0] if found else None


def all_routes() -> list[tuple[Route, FunctionSpec]]:
    return [(route, spec) for spec in functions() for route in spec.http_routes]


def all_schedules() -> list[tuple[Schedule, FunctionSpec]]:
    return [(schedule, spec) for spec in functions() for schedule in spec.schedules]


def check() -> None:
    """Refuse a declaration that would deploy something other than what it says: two of anything
    with one name, or two functions answering one route."""

    def once(kind: str, names: list[str]) -> None:
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"{kind} declared twice: {', '.join(twice)}")

    once("capabilities", [c.name for c in CAPABILITIES])
    once("functions", [f.name for f in functions()])
    once("tables", [t.key for t in tables()])
    once("queues", [q.key for q in queues()])
    once("buckets", [b.key for b in buckets()])
    once("routes", [route.route_key for route, _ in all_routes()])


def public_form_paths() -> tuple[str, ...]:
    """The public POST routes' first path segments (`/members`, `/feedback`): the forms the edge's
    rate rule limits per client address."""
    found = {
        "/" + route.path.strip("/").split("/")[0]
        for route, _ in all_routes()
        if route.auth == "public" and route.method == "POST"
    }
    return tuple(sorted(found))


def console_nav() -> tuple[NavItem, ...]:
    items = [item for c in CAPABILITIES for item in c.nav]
    return tuple(sorted(items, key=lambda item: item.position))


def help_topics() -> tuple[HelpTopic, ...]:
    return tuple(topic for c in CAPABILITIES for topic in c.help)


def personal_data() -> tuple[PersonalData, ...]:
    return tuple(p for c in CAPABILITIES for p in c.personal_data)


def member_pages() -> tuple[NavItem, ...]:
    return tuple(page for c in CAPABILITIES for page in c.member_pages)


def audit_words() -> tuple[AuditWords, ...]:
    return tuple(c.audit for c in CAPABILITIES if c.audit is not None)


def table_access(spec: FunctionSpec) -> dict[str, Access]:
    """Every table `spec` may touch, and how: what it declares, the idempotency table if it is
    idempotent, the revoked console sessions (read) if it serves console pages, and what the
    register's entries need if it exports and erases people."""
    grants = dict(spec.tables)

    def add(key: str, access: Access) -> None:
        grants[key] = grants.get(key, Access(0)) | access

    if spec.idempotency:
        # Powertools' idempotency: GetItem, a conditional PutItem, UpdateItem, DeleteItem on failure
        add(IDEMPOTENCY.key, Access.GET | Access.PUT | Access.UPDATE | Access.DELETE)
    if spec.serves_console:
        add(CONSOLE_SESSIONS.key, Access.GET)
    if spec.subject_rights:
        for entry in personal_data():
            for key, access in entry.tables.items():
                add(key, access)
    if shows_audit_trail(spec):
        for key in name_attributes():
            add(key, Access.BATCH_GET)
    return grants


def shows_audit_trail(spec: FunctionSpec) -> bool:
    """Serves the audit trail's pages: reads the targets' names (`TargetName`). Administrators'
    names come from `console_sessions`, written at sign-in (`shared.console.revoked`): no Cognito."""
    return "" in spec.console  # the console's root


def name_attributes() -> dict[str, tuple[str, ...]]:
    """Each table the audit trail reads names from -> the attributes it may read there."""
    found: dict[str, set[str]] = {}
    for words in audit_words():
        for named in words.names.values():
            found.setdefault(named.table, {"pk", "sk"}).add(named.attribute)
    return {key: tuple(sorted(attributes)) for key, attributes in found.items()}


def reads_signing_key(spec: FunctionSpec) -> bool:
    """The token-signing secret: what signs and verifies the links in emails. A console function
    does not get it for being one (its CSRF tokens and sign-in need no key): only a capability
    whose pages make or check links declares it."""
    return spec.signing_key


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
    # where the site's routes are (`shared.site.routes`): the KeyValueStore's ARN, or `bucket`
    site_routes: str = "bucket"


@dataclass(frozen=True)
class SignIn:
    """Where administrators sign in: Cognito's managed login in AWS, local mode's stand-in locally."""

    issuer: str  # the `iss` of the user pool's tokens; its keys are at <issuer>/.well-known/jwks.json
    client_id: str  # the console's app client (public, authorization code with PKCE)
    login_url: str  # the login domain: /oauth2/authorize, /oauth2/token and /logout live under it
    user_pool_id: str = ""  # where the administrators are (what `manages_administrators` changes)
    user_pool_arn: str = ""


# What a function that `manages_administrators` may do, on the administrators' user pool only:
# list them, invite one (Cognito emails the temporary password), put them in or out of the admins
# group, remove them, and reset their two-step sign-in.
ADMINISTRATION_ACTIONS = (
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminSetUserMFAPreference",
    "cognito-idp:AdminUserGlobalSignOut",
)


def _compact(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def settings_for(spec: FunctionSpec, settings: Mapping[str, str]) -> dict[str, str]:
    """The deployment settings `spec` gets: all of them but those another capability keeps to its
    own functions (`Capability.settings_prefix`)."""
    own = capability_of(spec).settings_prefix if spec in functions() else None
    others = tuple(c.settings_prefix for c in CAPABILITIES if c.settings_prefix and c.settings_prefix != own)
    return {key: value for key, value in settings.items() if not (others and key.startswith(others))}


def environment(spec: FunctionSpec, resources: Resources, settings: Mapping[str, str]) -> dict[str, str]:
    """The environment variables a function gets, in AWS and locally alike.

    `settings` holds the deployment configuration rendered as environment variables
    (see `infra.config.DeploymentConfig.as_environment`).
    """
    env = {
        "POWERTOOLS_SERVICE_NAME": spec.service_name,
        "POWERTOOLS_METRICS_NAMESPACE": "MKCPP",
        **settings_for(spec, settings),
    }
    for key in table_access(spec):
        env[table(key).env_var] = resources.table_names[key]
    if reads_signing_key(spec):
        env["SIGNING_KEY_SECRET_ID"] = resources.signing_key_secret
    if reads_signing_key(spec) or spec.lookup_key:
        env["LOOKUP_KEY_SECRET_ID"] = resources.lookup_key_secret
    for bucket in buckets():
        if spec.name in bucket.users():
            env[bucket.env_var] = resources.bucket_names[bucket.key]
        if spec.name in bucket.publishers:
            env["SITE_ROUTES"] = resources.site_routes
    for declared in queues():
        if spec.name in declared.producers:
            env[declared.env_var] = resources.queue_urls[declared.key]
        if declared.key in spec.consumes and declared.source is None:
            # a consumer that claims work until the message could come back, and shares a rate
            prefix = declared.key.upper()
            env[f"{prefix}_VISIBILITY_SECONDS"] = str(declared.visibility_timeout_seconds(spec))
            env[f"{prefix}_CONCURRENCY"] = str(declared.max_concurrency)
    if spec.sends_email:
        env["SES_CONFIGURATION_SET"] = resources.configuration_set
    if spec.manages_administrators:
        if resources.sign_in is None or not resources.sign_in.user_pool_id:
            raise ValueError(f"{spec.name} manages administrators, but no user pool is configured")
        env["USER_POOL_ID"] = resources.sign_in.user_pool_id
    if spec.subject_rights:
        env["PERSONAL_DATA"] = ",".join(entry.holder for entry in personal_data())
    if spec.shows_member_pages and member_pages():
        env["MEMBER_PAGES"] = _compact([[p.label, p.path] for p in member_pages()])
    if spec.serves_console:
        if resources.sign_in is None:
            raise ValueError(f"{spec.name} serves console pages, but no sign-in is configured")
        env["COGNITO_ISSUER"] = resources.sign_in.issuer
        env["COGNITO_CLIENT_ID"] = resources.sign_in.client_id
        env["COGNITO_LOGIN_URL"] = resources.sign_in.login_url
        # each item's summary is for the home page, which only the console's root serves
        home = "" in spec.console
        env["CONSOLE_NAV"] = _compact([[i.label, i.path, i.summary if home else ""] for i in console_nav()])
        if AUDIT.key in spec.tables:
            env["AUDIT_WORDS"] = _compact({w.module: dict(w.targets) for w in audit_words()})
        if shows_audit_trail(spec):
            env["CONSOLE_HELP"] = _compact([[t.slug, t.title, t.summary] for t in help_topics()])
            env["AUDIT_NAMES"] = _compact(
                {
                    prefix: [table(n.table).env_var, n.pk, n.sk, n.attribute, n.gone]
                    for w in audit_words()
                    for prefix, n in w.names.items()
                }
            )
    return env
