"""Every declared function is built the same way, with a role that allows what it declares and no more."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import load_config
from infra.declaration import (
    ADMINISTRATION_ACTIONS,
    FUNCTIONS,
    IDEMPOTENCY,
    SITE,
    Access,
    FunctionSpec,
    actions_for,
    all_schedules,
    queue,
    reads_signing_key,
    settings_for,
    shows_audit_trail,
    table,
    table_access,
)
from infra.declaration import (
    function as declared_function,
)
from tests.infra.template import as_list, functions_by_name, ref, resource_key, resources, role_statements
from tests.support.cdk import tables_by_key

pytestmark = pytest.mark.infra

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
SECRET_ACTIONS = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
SES_ACTIONS = {"ses:SendEmail", "ses:SendRawEmail"}
SES_SUPPRESSION_ACTIONS = {"ses:DeleteSuppressedDestination"}
SES_SUPPRESSION_LISTING_ACTIONS = {"ses:ListSuppressedDestinations"}
SQS_SEND_ACTIONS = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
SQS_CONSUME_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}


def config() -> Any:
    from infra.app import cdk_json_context

    return load_config(cdk_json_context()["mkcpp"])


def expected_table_grants(spec: FunctionSpec) -> dict[str, Access]:
    return table_access(spec)


def granted(template: dict[str, Any], spec: FunctionSpec) -> set[tuple[str, tuple[str, str]]]:
    """(action, resource) pairs the function's role allows."""
    _logical_id, function = functions_by_name(template)[spec.name]
    pairs = set()
    for statement in role_statements(template, ref(function["Properties"]["Role"])):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                pairs.add((action, resource_key(resource)))
    return pairs


def test_every_declared_function_is_deployed_once(template):
    # Given the declaration, When the stack is synthesized, Then each function exists exactly once
    assert sorted(functions_by_name(template)) == sorted(spec.name for spec in FUNCTIONS)
    # besides them, only CDK's own reader of the web ACL's ARN from us-east-1 (cross-region reference)
    others = [
        lid
        for lid in resources(template, "AWS::Lambda::Function")
        if lid not in dict(functions_by_name(template).values())
    ]
    assert all("CrossRegion" in lid for lid in others), others


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_function_runtime_logging_and_tracing(template, spec):
    _logical_id, function = functions_by_name(template)[spec.name]
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == spec.handler
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_seconds
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert len(props["Layers"]) == 1
    # an explicit log group of its own, with the configured retention
    log_group = template["Resources"][ref(props["LoggingConfig"]["LogGroup"])]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == config().log_retention_days
    assert log_group["DeletionPolicy"] == "Retain"


def test_log_groups_are_not_shared(template):
    groups = [
        ref(f["Properties"]["LoggingConfig"]["LogGroup"]) for _, f in functions_by_name(template).values()
    ]
    assert len(set(groups)) == len(groups)


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_function_environment_comes_from_the_declaration(template, spec):
    _logical_id, function = functions_by_name(template)[spec.name]
    env = function["Properties"]["Environment"]["Variables"]
    settings = config().as_environment("https://unused.example")
    given = settings_for(spec, settings)
    for key, value in settings.items():
        if key in given and key != "BASE_URL":
            assert env[key] == value
        elif key not in given:  # another capability's own settings (`Capability.settings_prefix`)
            assert key not in env, key
    # the feedback settings (safeguarding phrases, signposting) go to the feedback functions only
    assert ("FEEDBACK_SETTINGS" in env) == spec.name.startswith("feedback_")
    # without a base_url in the config, links point at the public address: CloudFront, behind the WAF
    (distribution_id,) = resources(template, "AWS::CloudFront::Distribution")
    assert env["BASE_URL"] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]
    }
    # and only functions behind the API get the value that proves a request came through it
    assert ("ORIGIN_VERIFY" in env) == bool(spec.http_routes)
    assert env["POWERTOOLS_SERVICE_NAME"] == spec.service_name
    assert env["POWERTOOLS_LOG_LEVEL"] == env["LOG_LEVEL"] == "INFO"
    tables = tables_by_key(template)
    for key in expected_table_grants(spec):
        assert env[table(key).env_var] == {"Ref": tables[key][0]}
    assert ("SIGNING_KEY_SECRET_ID" in env) == reads_signing_key(spec)
    assert ("LOOKUP_KEY_SECRET_ID" in env) == (reads_signing_key(spec) or spec.lookup_key)
    assert ("SES_CONFIGURATION_SET" in env) == spec.sends_email


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_role_has_no_managed_policies_and_is_its_own(template, spec):
    _logical_id, function = functions_by_name(template)[spec.name]
    role_id = ref(function["Properties"]["Role"])
    role = template["Resources"][role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    users = [
        k
        for k, f in resources(template, "AWS::Lambda::Function").items()
        if ref(f["Properties"]["Role"]) == role_id
    ]
    assert len(users) == 1


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_role_grants_exactly_the_declared_table_actions(template, spec):
    # Given the tables the spec declares (and the idempotency table if it is idempotent)
    tables = {logical_id: key for key, (logical_id, _) in tables_by_key(template).items()}
    expected = set()
    for key, access in expected_table_grants(spec).items():
        logical_id = tables_by_key(template)[key][0]
        expected |= {(action, ("arn", logical_id)) for action in actions_for(access)}
        # GSIs are only ever queried: Query on `<table>/index/*` if the access reads, nothing else
        if table(key).indexes and "dynamodb:Query" in actions_for(access):
            expected.add(("dynamodb:Query", ("index", logical_id)))
    # When we read the role's DynamoDB grants
    actual = {(a, r) for a, r in granted(template, spec) if a.startswith("dynamodb:")}
    # Then they are exactly those, on those tables only
    assert actual == expected
    assert {r[1] for _, r in actual} <= set(tables)


def test_no_function_may_scan_or_use_wildcard_dynamodb_actions(template):
    for spec in FUNCTIONS:
        actions = {a for a, _ in granted(template, spec)}
        assert "dynamodb:Scan" not in actions
        assert not any(a.endswith("*") for a in actions), spec.name


def test_members_admin_has_no_access_to_idempotency_records_and_never_scans(template):
    # Given members_admin (erasure no longer touches idempotency records: they hold no personal data)
    tables = tables_by_key(template)
    idempotency_id = tables[IDEMPOTENCY.key][0]
    pairs = granted(template, declared_function("members_admin"))
    # Then it has no grant at all on the idempotency table
    assert not {p for p in pairs if p[1][1] == idempotency_id}
    # And it cannot Scan anything, tables or indexes, nor use a wildcard action or resource
    assert not any(action == "dynamodb:Scan" or action.endswith("*") for action, _ in pairs)
    assert all(
        resource[0] in {"arn", "index"} for action, resource in pairs if action.startswith("dynamodb:")
    )
    # And its audit and members access includes what the admin routes need
    assert ("dynamodb:PutItem", ("arn", tables["audit"][0])) in pairs
    assert ("dynamodb:Query", ("index", tables["audit"][0])) in pairs  # by_month
    assert ("dynamodb:Query", ("index", tables["members"][0])) in pairs  # by_group, by_status, by_role


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_the_audit_trail_is_append_only_for_every_function(template, spec):
    # Whoever may touch the audit table may add entries and read them, never change or remove one
    audit_id = tables_by_key(template)["audit"][0]
    on_audit = {action for action, (_, logical_id) in granted(template, spec) if logical_id == audit_id}
    assert not on_audit & {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def test_members_public_may_read_the_audit_entries_a_members_export_holds(template):
    # The self-service "copy of my data" includes what administrators did to the member's record
    pairs = granted(template, declared_function("members_public"))
    audit_id = tables_by_key(template)["audit"][0]
    assert ("dynamodb:Query", ("arn", audit_id)) in pairs
    assert ("dynamodb:PutItem", ("arn", audit_id)) in pairs


def test_functions_without_tables_or_email(template):
    docs = {a for a, _ in granted(template, declared_function("docs"))}
    assert not any(a.startswith(("dynamodb:", "sqs:", "kms:")) for a in docs)
    assert not docs & (SECRET_ACTIONS | SES_ACTIONS)
    # the bounce consumer suppresses addresses; it never sends mail
    bounces = {a for a, _ in granted(template, declared_function("member_bounces"))}
    assert not bounces & SES_ACTIONS


def test_functions_that_sign_nothing_may_read_the_lookup_key_alone():
    # the bounce consumer and the nightly run find records by an address's keyed hash, and never
    # make or check a link: the token-signing key is not theirs to read
    lookup_only = {spec.name for spec in FUNCTIONS if spec.lookup_key and not spec.signing_key}
    # and a directory report's contact, when it is an email address, is kept as its lookup id too, as
    # is the address of feedback entered in the console on someone's behalf
    assert lookup_only == {"member_bounces", "member_retention", "directory_public", "feedback_console"}


def test_only_the_nightly_retention_run_may_read_amazons_block_list(template):
    # reading it reads plain email addresses: one function, its own policy, that one action
    assert [spec.name for spec in FUNCTIONS if spec.lists_ses_suppressions] == ["member_retention"]
    for spec in FUNCTIONS:
        _logical_id, function = functions_by_name(template)[spec.name]
        role_id = ref(function["Properties"]["Role"])
        holding = [
            policy["Properties"]["PolicyDocument"]["Statement"]
            for policy in resources(template, "AWS::IAM::Policy").values()
            if role_id in [ref(r) for r in policy["Properties"]["Roles"]]
            and any(
                "ses:ListSuppressedDestinations" in as_list(st["Action"])
                for st in policy["Properties"]["PolicyDocument"]["Statement"]
            )
        ]
        expected = [[{"Action": "ses:ListSuppressedDestinations", "Effect": "Allow", "Resource": "*"}]]
        assert holding == (expected if spec.lists_ses_suppressions else []), spec.name


def test_only_what_erases_lifts_or_removes_profiles_may_clear_amazons_block_list(template):
    # Given the functions that erase members, lift suppressions or remove unsubscribed profiles
    expected = {"members_public", "members_admin", "members_console", "member_retention"}
    assert {spec.name for spec in FUNCTIONS if spec.clears_ses_suppressions} == expected
    for spec in FUNCTIONS:
        _logical_id, function = functions_by_name(template)[spec.name]
        role_id = ref(function["Properties"]["Role"])
        # Then each has the one action in a policy of its own (which its acknowledgement sits on),
        # and no other function has it at all
        holding = [
            policy
            for policy in resources(template, "AWS::IAM::Policy").values()
            if role_id in [ref(r) for r in policy["Properties"]["Roles"]]
            and any(
                "ses:DeleteSuppressedDestination" in as_list(st["Action"])
                for st in policy["Properties"]["PolicyDocument"]["Statement"]
            )
        ]
        if spec.name in expected:
            (policy,) = holding
            assert policy["Properties"]["PolicyDocument"]["Statement"] == [
                {"Action": "ses:DeleteSuppressedDestination", "Effect": "Allow", "Resource": "*"}
            ]
        else:
            assert holding == [], spec.name


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_role_grants_nothing_undeclared(template, spec):
    _logical_id, function = functions_by_name(template)[spec.name]
    own_log_group = ref(function["Properties"]["LoggingConfig"]["LogGroup"])
    # the token-signing and the email-lookup secrets (not CloudFront's origin-verify value)
    key_secrets = sorted(
        ("arn", lid)
        for lid, secret in resources(template, "AWS::SecretsManager::Secret").items()
        if "MKCPP token-signing key" in secret["Properties"]["Description"]
        or "MKCPP email-lookup key" in secret["Properties"]["Description"]
    )
    assert len(key_secrets) == 2
    (lookup_secret,) = [
        ("arn", lid)
        for lid, secret in resources(template, "AWS::SecretsManager::Secret").items()
        if "MKCPP email-lookup key" in secret["Properties"]["Description"]
    ]
    (configuration_set_id,) = resources(template, "AWS::SES::ConfigurationSet")
    role_id = ref(function["Properties"]["Role"])
    for statement in role_statements(template, role_id):
        actions = set(as_list(statement["Action"]))
        targets = [resource_key(r) for r in as_list(statement["Resource"])]
        if actions <= LOG_ACTIONS:
            assert targets == [("arn", own_log_group)]
        elif actions <= XRAY_ACTIONS:
            assert targets == [("*", "*")]
        elif all(a.startswith("dynamodb:") for a in actions):
            pass  # checked exactly above
        elif actions <= SECRET_ACTIONS:
            # both keys to sign and verify; the lookup key alone to find records by address
            assert reads_signing_key(spec) or spec.lookup_key
            assert sorted(targets) == (key_secrets if reads_signing_key(spec) else [lookup_secret])
        elif actions <= SQS_SEND_ACTIONS | SQS_CONSUME_ACTIONS:
            # its own on-failure queue (a scheduled function), a queue it consumes through its event
            # source mapping (the SES events, or a declared queue), or a declared queue it produces to
            consumed = {
                ref(m["Properties"]["EventSourceArn"])
                for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
                if ref(m["Properties"]["FunctionName"]) == _logical_id
            }
            produced = {
                lid
                for lid, q in resources(template, "AWS::SQS::Queue").items()
                for tag in q["Properties"].get("Tags", [])
                if tag["Key"] == "mkcpp:queue" and spec.name in queue(tag["Value"]).producers
            }
            failures = {
                ref(c["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
                for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
                if ref(c["Properties"]["FunctionName"]) == _logical_id
            }
            for _kind, target in targets:
                if actions & (SQS_CONSUME_ACTIONS - SQS_SEND_ACTIONS):
                    assert target in consumed, (spec.name, target)
                if "sqs:SendMessage" in actions:
                    assert target in produced | failures, (spec.name, target)
        elif actions <= SES_ACTIONS:
            assert spec.sends_email
            sender = config()
            assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": sender.sender_address}}
            assert sorted(t[1].split(":ses:")[-1] for t in targets) == sorted(
                [
                    "eu-west-2:{AWS::AccountId}:configuration-set/{" + configuration_set_id + "}",
                    "eu-west-2:{AWS::AccountId}:identity/" + sender.sender_domain,
                ]
            )
        elif all(a.startswith("s3:") for a in actions):
            # a site publisher: its own prefix of the site bucket, nothing else (test_site_publication)
            # (objects, and listing keys under that prefix only)
            assert spec.name in SITE.publishers and actions in (
                {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"},
                {"s3:ListBucket"},
            )
        elif all(a.startswith("cloudfront-keyvaluestore:") for a in actions):
            assert spec.name in SITE.publishers  # the site's routes (the KeyValueStore), nothing else
            assert [kind for kind, _ in targets] == ["arn"]
        elif all(a.startswith("cognito-idp:") for a in actions):
            # the Administrators pages alone: the declared administration actions, on the user pool
            # alone (every other console names administrators from console_sessions, written at sign-in)
            (pool_id,) = resources(template, "AWS::Cognito::UserPool")
            assert spec.manages_administrators and actions == set(ADMINISTRATION_ACTIONS)
            assert statement["Resource"] == {"Fn::GetAtt": [pool_id, "Arn"]}
        elif actions == SES_SUPPRESSION_ACTIONS:
            # no resource-level permission exists for it: `*`, alone in its statement
            assert spec.clears_ses_suppressions
            assert targets == [("*", "*")]
        elif actions == SES_SUPPRESSION_LISTING_ACTIONS:
            # nor for this one: `*`, alone in its statement
            assert spec.lists_ses_suppressions
            assert targets == [("*", "*")]
        else:
            raise AssertionError(f"{spec.name}: unexpected statement {statement}")
        if ("*", "*") in targets:
            assert actions <= XRAY_ACTIONS or actions in (
                SES_SUPPRESSION_ACTIONS,
                SES_SUPPRESSION_LISTING_ACTIONS,
            ), f"{spec.name}: wildcard resource for {actions}"
    granted_actions = {a for a, _ in granted(template, spec)}
    assert granted_actions >= LOG_ACTIONS
    assert bool(granted_actions & SECRET_ACTIONS) == (reads_signing_key(spec) or spec.lookup_key)
    assert bool(granted_actions & SES_ACTIONS) == spec.sends_email
    assert bool(granted_actions & SES_SUPPRESSION_ACTIONS) == spec.clears_ses_suppressions
    assert bool(granted_actions & SES_SUPPRESSION_LISTING_ACTIONS) == spec.lists_ses_suppressions
    assert bool(granted_actions & {"sqs:ReceiveMessage", "sqs:DeleteMessage"}) == bool(spec.consumes)
    assert not any(a.startswith("kms:") for a in granted_actions)  # every queue here is SSE-SQS


def test_only_asynchronous_functions_get_failure_handling_and_schedules(template):
    # Given which functions the declaration invokes asynchronously (the schedule path itself is
    # exercised with a test-only spec in test_schedules.py)
    by_name = functions_by_name(template)
    configured = {
        ref(c["Properties"]["FunctionName"])
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
    }
    # Then exactly those have an on-failure configuration, and every schedule is deployed
    assert configured == {by_name[s.name][0] for s in FUNCTIONS if s.invoked_by_schedule}
    assert len(resources(template, "AWS::Scheduler::Schedule")) == len(all_schedules())
    # And no function has a legacy Lambda DLQ (SQS-fed ones use their queue's DLQ)
    assert not any("DeadLetterConfig" in f["Properties"] for _, f in by_name.values())


def test_the_audit_trail_reads_names_and_nothing_else_of_a_record(template):
    """Its BatchGetItem on the members, meetings and directory tables is limited by condition to the
    keys and the name attribute, so the audit page can say "Jane Smith" but never read a role."""
    (console,) = [s for s in FUNCTIONS if shows_audit_trail(s)]
    _logical_id, function = functions_by_name(template)[console.name]
    limited = [
        s
        for s in role_statements(template, ref(function["Properties"]["Role"]))
        if as_list(s["Action"]) == ["dynamodb:BatchGetItem"]
    ]
    assert sum(len(as_list(s["Resource"])) for s in limited) == 3  # members, meetings, directory
    for statement in limited:
        attributes = statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
        assert set(attributes) - {"pk", "sk"} <= {"name", "title"}
        assert statement["Condition"]["StringEqualsIfExists"] == {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
