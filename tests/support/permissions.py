"""Least privilege, proved: every AWS call a function makes is allowed by *its own* synthesized policy.

Neither moto nor DynamoDB Local enforces IAM, so a missing grant would only show in AWS. Instead,
every botocore call is recorded with the function that made it (`record`), turned into the IAM
actions and resource ARNs AWS would authorise (`authorisations`), and checked against the
statements of that function's role in the CloudFormation template (`PolicyCheck`).

- Handler tests: `calls_of(...)` records in-process calls made while a handler runs.
- Local mode (integration tests): a worker started with `MKCPP_CALL_LOG=<file>` appends each call as a
  JSON line (`infra/local/calls.py`), and the integration session checks the file when it ends.

The check evaluates Allow statements with action and resource wildcards and `StringEquals` and
`StringLike` conditions (the only kinds our roles use). A statement whose condition names a key we cannot
evaluate never allows anything here, so the check errs towards failing.
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

REGION = "eu-west-2"
ACCOUNT = "123456789012"
PARTITION = "aws"

# botocore service name -> IAM service prefix
IAM_PREFIX = {
    "dynamodb": "dynamodb",
    "sesv2": "ses",
    "ses": "ses",
    "secretsmanager": "secretsmanager",
    "s3": "s3",
    "sqs": "sqs",
    "scheduler": "scheduler",
    "events": "events",
    "sns": "sns",
    "cognito-idp": "cognito-idp",
}


# SES v2 operations on the account's suppression list: they name no identity or configuration set,
# and have no resource types in the service authorization reference
SES_ACCOUNT_OPERATIONS = frozenset(
    {
        "DeleteSuppressedDestination",
        "GetSuppressedDestination",
        "ListSuppressedDestinations",
        "PutSuppressedDestination",
    }
)


@dataclass(frozen=True)
class Call:
    function: str
    service: str
    operation: str
    params: Mapping[str, Any]


# --- recording --------------------------------------------------------------------------------------

current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_function", default=None
)
_recorded: list[Call] = []
_installed = False


def install() -> None:
    """Record every botocore call made while `current_function` is set (idempotent)."""
    global _installed
    if _installed:
        return
    from botocore.client import BaseClient

    from shared.aws import observe_native_calls

    original = BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: Mapping[str, Any]) -> Any:
        name = current_function.get()
        if name is not None:
            service = self.meta.service_model.service_name
            _recorded.append(Call(name, service, operation_name, dict(api_params)))
        return original(self, operation_name, api_params)

    def native(service: str, operation: str, params: Mapping[str, Any]) -> None:
        name = current_function.get()
        if name is not None:
            _recorded.append(Call(name, service, operation, dict(params)))

    BaseClient._make_api_call = recording  # type: ignore[method-assign]
    observe_native_calls(native)  # the uploads the AWS CRT sends (shared.site.uploads)
    _installed = True


@contextlib.contextmanager
def calls_of(function: str) -> Iterator[None]:
    token = current_function.set(function)
    try:
        yield
    finally:
        current_function.reset(token)


def recorded() -> list[Call]:
    """The calls recorded so far in this test, without taking them from the end-of-test check."""
    return list(_recorded)


def drain() -> list[Call]:
    calls = list(_recorded)
    _recorded.clear()
    return calls


def read_log(path: Any) -> list[Call]:
    calls = []
    with open(path, encoding="utf-8") as log:
        for line in log:
            data = json.loads(line)
            calls.append(Call(data["function"], data["service"], data["operation"], data["params"]))
    return calls


# --- what AWS would authorise ---------------------------------------------------------------------


@dataclass(frozen=True)
class Authorisation:
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


def _user_pool_arn(pool_id: str) -> str:
    return f"arn:{PARTITION}:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool_id}"


def _table_arn(name: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _read_context(request: Mapping[str, Any] | None) -> dict[str, Any]:
    """`dynamodb:Attributes` and `dynamodb:Select` of a read: the projected attributes, or (with no
    projection) every attribute, which no attribute condition allows."""
    if not request or not request.get("ProjectionExpression"):
        return {"dynamodb:Select": "ALL_ATTRIBUTES"}
    names = request.get("ExpressionAttributeNames") or {}
    attributes = [names.get(a.strip(), a.strip()) for a in str(request["ProjectionExpression"]).split(",")]
    return {"dynamodb:Attributes": attributes, "dynamodb:Select": "SPECIFIC_ATTRIBUTES"}


def authorisations(call: Call, names: Names) -> list[Authorisation]:
    """The (action, resource) pairs AWS checks for one API call."""
    service, op, p = call.service, call.operation, call.params
    prefix = IAM_PREFIX.get(service, service)
    if service == "dynamodb":
        if op == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return [
                Authorisation(f"dynamodb:{kinds[kind]}", _table_arn(body["TableName"]))
                for item in p.get("TransactItems", [])
                for kind, body in item.items()
            ]
        if op == "TransactGetItems":
            return [
                Authorisation("dynamodb:GetItem", _table_arn(i["Get"]["TableName"]))
                for i in p.get("TransactItems", [])
            ]
        if op == "BatchGetItem":
            return [
                Authorisation(f"dynamodb:{op}", _table_arn(t), _read_context(request))
                for t, request in p.get("RequestItems", {}).items()
            ]
        if op == "BatchWriteItem":
            return [Authorisation(f"dynamodb:{op}", _table_arn(t)) for t in p.get("RequestItems", {})]
        resource = _table_arn(p["TableName"])
        if p.get("IndexName"):
            resource += f"/index/{p['IndexName']}"
        return [Authorisation(f"dynamodb:{op}", resource)]
    if service == "secretsmanager":
        return [Authorisation(f"secretsmanager:{op}", names.secret_arn(p["SecretId"]))]
    if service == "sesv2" and op in SES_ACCOUNT_OPERATIONS:
        # no resource-level permission: IAM authorises these on `*` only
        return [Authorisation(f"ses:{op}", "*")]
    if service in ("sesv2", "ses"):
        sender = str(p.get("FromEmailAddress", ""))
        address = sender.rsplit("<", 1)[-1].rstrip(">")
        domain = address.rsplit("@", 1)[-1]
        found = [
            Authorisation(
                f"ses:{op}",
                f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}:identity/{domain}",
                {"ses:FromAddress": address},
            )
        ]
        if p.get("ConfigurationSetName"):
            found.append(
                Authorisation(
                    f"ses:{op}",
                    f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}:configuration-set/{names.configuration_set}",
                    {"ses:FromAddress": address},
                )
            )
        return found
    if service == "sqs" and p.get("QueueUrl"):
        # a batch is authorised as its single action (IAM has no SendMessageBatch)
        action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}.get(op, op)
        name = str(p["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
        return [Authorisation(f"sqs:{action}", f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}")]
    if service == "cognito-idp" and p.get("UserPoolId"):
        return [Authorisation(f"cognito-idp:{op}", _user_pool_arn(str(p["UserPoolId"])))]
    if service == "s3":
        resource = f"arn:{PARTITION}:s3:::{p.get('Bucket')}"
        if op == "DeleteObjects":  # authorised as s3:DeleteObject on each key it names
            return [
                Authorisation("s3:DeleteObject", f"{resource}/{o['Key']}")
                for o in p.get("Delete", {}).get("Objects", [])
            ]
        if op in ("ListObjectsV2", "ListObjects"):  # the bucket's keys, within the prefix asked
            return [Authorisation("s3:ListBucket", resource, {"s3:prefix": str(p.get("Prefix", ""))})]
        if "Key" in p:
            resource += f"/{p['Key']}"
        return [Authorisation(f"s3:{op}", resource)]
    return [Authorisation(f"{prefix}:{op}", "*")]


# --- the template's policies ------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """How the template's resources are named where the tests run them."""

    table_names: Mapping[str, str]  # table logical id -> local name
    secret_ids: Mapping[str, str]  # secret logical id -> the id the functions are given
    configuration_set: str
    configuration_set_id: str
    queue_names: Mapping[str, str] = field(default_factory=dict)  # queue logical id -> local name
    bucket_names: Mapping[str, str] = field(default_factory=dict)  # bucket logical id -> local name
    user_pools: Mapping[str, str] = field(default_factory=dict)  # user pool logical id -> its local id

    def secret_arn(self, secret_id: str) -> str:
        return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret_id}"


def _resolve(value: Any, template: Mapping[str, Any], names: Names) -> str:
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_resolve(part, template, names) for part in parts)
    if "Ref" in value:
        ref = value["Ref"]
        pseudo = {
            "AWS::Partition": PARTITION,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if ref in pseudo:
            return pseudo[ref]
        if ref in names.secret_ids:
            return names.secret_arn(names.secret_ids[ref])
        if ref == names.configuration_set_id:
            return names.configuration_set
        return f"<unresolved Ref {ref}>"
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        if logical_id in names.table_names and attribute == "Arn":
            return _table_arn(names.table_names[logical_id])
        if logical_id in names.queue_names and attribute == "Arn":
            return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{names.queue_names[logical_id]}"
        if logical_id in names.bucket_names and attribute == "Arn":
            return f"arn:{PARTITION}:s3:::{names.bucket_names[logical_id]}"
        if logical_id in names.user_pools and attribute == "Arn":
            return _user_pool_arn(names.user_pools[logical_id])
        kind = template["Resources"].get(logical_id, {}).get("Type", "?")
        return f"arn:{PARTITION}:{kind}:{REGION}:{ACCOUNT}:{logical_id}"
    raise ValueError(f"cannot resolve {value!r}")


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]]

    def allows(self, wanted: Authorisation) -> bool:
        if not any(fnmatch.fnmatchcase(wanted.action.lower(), a.lower()) for a in self.actions):
            return False
        if not any(fnmatch.fnmatchcase(wanted.resource, r) for r in self.resources):
            return False
        for operator, tests in self.conditions.items():
            for key, expected in tests.items():
                allowed = expected if isinstance(expected, list) else [expected]
                given = wanted.context.get(key)
                if operator == "StringEquals" and given not in allowed:
                    return False
                if operator == "StringLike" and not (
                    isinstance(given, str) and any(fnmatch.fnmatchcase(given, a) for a in allowed)
                ):
                    return False
                if operator == "StringEqualsIfExists" and given is not None and given not in allowed:
                    return False
                # stricter than AWS (which allows a missing key): a read of every attribute is refused
                partial = given is None or not set(given) <= set(allowed)
                if operator == "ForAllValues:StringEquals" and partial:
                    return False
                if operator not in (
                    "StringEquals",
                    "StringLike",
                    "StringEqualsIfExists",
                    "ForAllValues:StringEquals",
                ):
                    return False
        return True


class PolicyCheck:
    """The Allow statements of each declared function's role, from the synthesized template."""

    def __init__(self, template: Mapping[str, Any], names: Names, descriptions: Mapping[str, str]) -> None:
        self.names = names
        resources = template["Resources"]
        role_of: dict[str, str] = {}
        for _logical_id, resource in resources.items():
            if resource["Type"] == "AWS::Lambda::Function":
                for function, description in descriptions.items():
                    if resource["Properties"].get("Description") == description:
                        role_of[function] = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        self.statements: dict[str, list[Statement]] = {name: [] for name in role_of}
        for resource in resources.values():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            roles = {r["Ref"] for r in resource["Properties"].get("Roles", [])}
            for function, role in role_of.items():
                if role in roles:
                    for raw in resource["Properties"]["PolicyDocument"]["Statement"]:
                        if raw.get("Effect") != "Allow":
                            continue
                        actions = raw["Action"] if isinstance(raw["Action"], list) else [raw["Action"]]
                        found = raw["Resource"] if isinstance(raw["Resource"], list) else [raw["Resource"]]
                        self.statements[function].append(
                            Statement(
                                tuple(actions),
                                tuple(_resolve(r, template, names) for r in found),
                                raw.get("Condition", {}),
                            )
                        )

    def denied(self, call: Call) -> list[Authorisation]:
        statements = self.statements.get(call.function)
        if statements is None:
            raise AssertionError(f"no role found for function {call.function!r} in the template")
        return [
            wanted
            for wanted in authorisations(call, self.names)
            if not any(s.allows(wanted) for s in statements)
        ]

    def check(self, calls: list[Call]) -> list[str]:
        """One line per call that the calling function's policy does not allow."""
        problems = []
        for call in calls:
            for wanted in self.denied(call):
                problems.append(
                    f"{call.function} called {call.service}.{call.operation}, which needs {wanted.action} on "
                    f"{wanted.resource}: its role in the synthesized template does not allow that"
                )
        return sorted(set(problems))


def summary(calls: list[Call]) -> dict[str, list[str]]:
    """Per function, each IAM action and resource it used: the figures for the closing note."""
    found: dict[str, set[str]] = {}
    for call in calls:
        for wanted in authorisations(call, _NO_NAMES):
            resource = wanted.resource.rsplit(":", 1)[-1]
            if wanted.action.startswith("s3:") and resource.count("/") > 3:
                resource = "/".join(resource.split("/")[:3]) + "/*"  # a site's many files, by prefix
            found.setdefault(call.function, set()).add(f"{wanted.action} {resource}")
    return {name: sorted(items) for name, items in sorted(found.items())}


_NO_NAMES = Names({}, {}, "configuration-set", "")


def policy_check(
    template: Mapping[str, Any],
    secret_id: str,
    configuration_set: str,
    lookup_secret_id: str | None = None,
) -> PolicyCheck:
    """A PolicyCheck for `template`, with the names the tests give tables, the token-signing secret
    (`secret_id`), the email-lookup secret and the configuration set."""
    from infra.declaration import FUNCTIONS, table
    from tests.support.cdk import tables_by_key
    from tests.support.env import LOOKUP_SECRET_ID

    tables = {logical_id: table(key).local_name for key, (logical_id, _) in tables_by_key(template).items()}
    resources = template["Resources"]
    # the email-lookup secret, by its description (infra/constructs/platform.py); every other
    # secret is given the token-signing secret's id
    secrets = {
        lid: (lookup_secret_id or LOOKUP_SECRET_ID)
        if "MKCPP email-lookup key" in r["Properties"].get("Description", "")
        else secret_id
        for lid, r in resources.items()
        if r["Type"] == "AWS::SecretsManager::Secret"
    }
    (config_set_id,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::SES::ConfigurationSet"]
    from infra.declaration import queue

    queues = {
        lid: queue(tag["Value"]).local_name
        for lid, r in resources.items()
        if r["Type"] == "AWS::SQS::Queue"
        for tag in r["Properties"].get("Tags", [])
        if tag["Key"] == "mkcpp:queue"
    }
    from infra.declaration import bucket

    bucket_names = {
        lid: bucket(tag["Value"]).local_name
        for lid, r in resources.items()
        if r["Type"] == "AWS::S3::Bucket"
        for tag in r["Properties"].get("Tags", [])
        if tag["Key"] == "mkcpp:bucket"
    }
    from infra.local.environment import USER_POOL_ID

    pools = {lid: USER_POOL_ID for lid, r in resources.items() if r["Type"] == "AWS::Cognito::UserPool"}
    names = Names(tables, secrets, configuration_set, config_set_id, queues, bucket_names, pools)
    return PolicyCheck(template, names, {spec.name: spec.description for spec in FUNCTIONS})
