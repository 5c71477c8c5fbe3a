"""cdk-nag (AWS Solutions, Serverless, HIPAA Security and NIST 800-53 R5 packs) finds nothing that is
not acknowledged with a reason, in either stack."""

from __future__ import annotations

import pytest

from infra import nag
from infra.constructs.capability import construct_id
from infra.constructs.function import index_actions
from infra.declaration import FUNCTIONS, table, table_access
from tests.infra.template import acknowledgements
from tests.support.cdk import tables_by_key

pytestmark = pytest.mark.infra


def test_no_unacknowledged_nag_findings(synthesis):
    # Given the app synthesized with the nag packs registered as validation plugins
    # Then no plugin reported a violation, and the synth did not fail
    report = "\n".join(str(v) for v in synthesis.violations)
    assert not synthesis.violations, (
        f"unacknowledged findings (fix them, or acknowledge with a reason):\n{report}"
    )
    assert synthesis.error is None, synthesis.error


def test_both_stacks_are_checked_by_all_four_packs(synthesis):
    # Given the packs infra.nag registers on the whole app
    assert set(nag.PACKS) == {"AwsSolutions", "Serverless", "HIPAA.Security", "NIST.800.53.R5"}
    # Then both stacks were synthesized under them (the main one and the us-east-1 web ACL) and
    # neither has a finding left
    assert {"MkcppBackend", "MkcppBackendWebAcl"} <= set(synthesis.templates)
    assert not synthesis.violations


def test_health_data_packs_fire_when_something_is_left_unfixed(tmp_path):
    # Given a stack with a log group that has no KMS key
    import aws_cdk as cdk
    from aws_cdk import aws_logs as logs

    from tests.support.cdk import synthesize

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Probe")
    logs.LogGroup(stack, "Plain", removal_policy=cdk.RemovalPolicy.DESTROY)
    nag.add_checks(app)
    # When it is synthesized with the app's packs
    found = synthesize(app)
    # Then both health-data packs report it, so a clean report means the packs really ran
    rules = {(v.plugin, v.rule) for v in found.violations}
    assert ("HIPAA.Security", "HIPAA.Security-CloudWatchLogGroupEncrypted") in rules
    assert ("NIST.800.53.R5", "NIST.800.53.R5-CloudWatchLogGroupEncrypted") in rules


def test_acknowledgements_sit_next_to_resources_with_reasons(synthesis, scheduled):
    # Given every acknowledgement in the app and in the test-only scheduled stack
    found = acknowledgements(synthesis.outdir) + acknowledgements(scheduled.outdir)
    assert found
    for path, rule, reason in found:
        # Then none is on the app, a stack or a whole capability: at least stack/construct/resource
        depth = len(path.strip("/").split("/"))
        assert depth >= 3, f"{rule} acknowledged on {path}: move it next to the resource"
        # And each says why, in words a reviewer can check
        assert len(reason) >= 60, f"{rule} on {path}: reason too thin: {reason!r}"


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.name)
def test_index_wildcards_are_acknowledged_per_table_naming_its_indexes(synthesis, template, spec):
    # Given the tables whose GSIs the function may query (members' by_group, audit's by_month, ...)
    tables = tables_by_key(template)
    queried = {
        key for key, access in table_access(spec).items() if table(key).indexes and index_actions(access)
    }
    # When we read the IAM5 `/index/*` acknowledgements on the function's own role
    role_path = f"/{construct_id(spec.name)}/Role"
    acknowledged = {
        rule: reason
        for path, rule, reason in acknowledgements(synthesis.outdir)
        if path.endswith(role_path) and rule.endswith("/index/*]")
    }
    # Then there is exactly one per queried table, on that table's `/index/*` only, naming every index
    expected = {f"AwsSolutions-IAM5[Resource::<{tables[key][0]}.Arn>/index/*]": key for key in queried}
    assert set(acknowledged) == set(expected)
    for rule, key in expected.items():
        assert all(index.name in acknowledged[rule] for index in table(key).indexes), acknowledged[rule]


def test_sqs_fed_function_says_why_it_has_no_lambda_dlq(synthesis):
    # Given the functions fed by the SES events queue
    for spec in (s for s in FUNCTIONS if s.ses_events):
        (reason,) = [
            reason
            for path, rule, reason in acknowledgements(synthesis.outdir)
            if path.endswith(f"/{construct_id(spec.name)}/Function") and rule == "Serverless-LambdaDLQ"
        ]
        # Then the acknowledgement points at the queue's own dead-letter queue, not at API Gateway
        assert "SQS event source mapping" in reason
        assert "dead-letter queue" in reason
        assert "API Gateway" not in reason


def test_reading_the_block_list_is_acknowledged_on_its_own_policy_with_a_reason(synthesis):
    found = acknowledgements(synthesis.outdir)
    (reason,) = [
        reason
        for path, rule, reason in found
        if path.endswith(f"/{construct_id('member_retention')}/SesSuppressionListing")
        and rule == "AwsSolutions-IAM5[Resource::*]"
    ]
    for words in ("no resource-level permission", "only action in this policy", "counts only", "keyed hash"):
        assert words in reason, words


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.clears_ses_suppressions], ids=lambda s: s.name)
def test_the_block_list_wildcard_is_acknowledged_on_its_own_policy_with_a_reason(synthesis, spec):
    # Given a function that may take addresses off SES's account-level suppression list
    found = acknowledgements(synthesis.outdir)
    policy_path = f"/{construct_id(spec.name)}/SesSuppressionRemoval"
    # When we read the IAM5 wildcard acknowledgements on that policy
    (reason,) = [
        reason
        for path, rule, reason in found
        if path.endswith(policy_path) and rule == "AwsSolutions-IAM5[Resource::*]"
    ]
    # Then the reason says why `*` (no resource-level permission), what it can and cannot do, and
    # that our own list still stops the emails: what a data-protection officer needs to accept it
    for words in ("no resource-level permission", "only action in this policy", "never read", "keyed hash"):
        assert words in reason, words
    # And the role's own wildcard acknowledgement (X-Ray) still speaks for X-Ray alone
    role_reasons = [
        reason
        for path, rule, reason in found
        if path.endswith(f"/{construct_id(spec.name)}/Role") and rule == "AwsSolutions-IAM5[Resource::*]"
    ]
    assert role_reasons and all("xray:" in r and "Suppressed" not in r for r in role_reasons)
