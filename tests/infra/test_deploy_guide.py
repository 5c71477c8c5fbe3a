"""The deploy guide (README, "Deploying for real") checked against what `make synth` builds: every
output, key, command, figure and count it names is the one the stacks really have, so a volunteer
following it never meets a name that does not exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.app import cdk_json_context
from infra.config import DeploymentConfig, load_config
from infra.declaration import FUNCTIONS
from shared.web import ADMIN_GROUP
from tests.infra.template import resources
from tests.support.cdk import main_stack_name, synth_templates

pytestmark = pytest.mark.infra
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def guide() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Deploying for real")
    return readme[start : readme.index("\n## ", start + 5)]


@pytest.fixture(scope="module")
def templates():
    return synth_templates()


def _table(section: str, heading: str) -> list[list[str]]:
    lines = section[section.index(heading) :].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows: list[list[str]] = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[2:]


def test_every_config_key_is_explained_and_no_other(guide):
    keys = {key for row in _table(guide, "### 3.") for key in re.findall(r"`(\w+)`", row[0])}
    assert keys == set(DeploymentConfig.model_fields)


def test_every_output_the_guide_names_is_in_the_stack(guide, templates):
    outputs = templates[main_stack_name()]["Outputs"]
    named = {re.findall(r"`(\w+)`", row[0])[0] for row in _table(guide, "| output |")}
    assert named <= set(outputs), named - set(outputs)
    for mentioned in re.findall(r"`([A-Z][A-Za-z]+(?:Url|Id|Arn|Domain))`", guide):
        assert mentioned in outputs, mentioned


def test_every_aws_command_is_allowed_by_the_policy_the_guide_gives(guide):
    policy = json.loads(re.search(r"```json\n(.*?)```", guide, re.S).group(1))
    allowed: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        allowed.update([actions] if isinstance(actions, str) else actions)
    prefixes = {"sesv2": "ses", "cognito-idp": "cognito-idp", "service-quotas": "servicequotas"}
    commands = re.findall(r"^\s*aws ([a-z0-9-]+) ([a-z-]+)", guide, re.M)
    assert len(commands) >= 10
    for service, command in commands:
        if (service, command) in {("sts", "get-caller-identity"), ("configure", "sso")}:
            continue  # needs no permission
        action = prefixes.get(service, service) + ":" + "".join(p.title() for p in command.split("-"))
        # IAM compares action names without regard to case (AdminSetUserMFAPreference)
        assert action.lower() in {a.lower() for a in allowed}, f"aws {service} {command} needs {action}"


def test_the_make_targets_exist(guide):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    for target in re.findall(r"\bmake ([a-z][a-z-]*)", guide):
        assert target in targets, target


def test_the_region_group_and_concurrency_figures_are_the_real_ones(guide, templates):
    config = load_config(cdk_json_context()["mkcpp"])
    assert (
        f"aws://ACCOUNT/{config.region}" in guide and "export AWS_PROFILE=mkcpp AWS_REGION=eu-west-2" in guide
    )
    assert f"`first_administrator` (from `make setup`), in the `{ADMIN_GROUP}` group" in guide
    reserved = sum(spec.reserved_concurrency for spec in FUNCTIONS)
    assert f"reserve {reserved} concurrent executions" in guide
    assert f"a quota of at least {reserved + 100}" in guide
    main = templates[main_stack_name()]
    (pool,) = resources(main, "AWS::Cognito::UserPool").values()
    policy = pool["Properties"]["Policies"]["PasswordPolicy"]
    assert f"at least {policy['MinimumLength']} characters" in guide
    assert f"valid {policy['TemporaryPasswordValidityDays']} days" in guide
    assert pool["Properties"]["MfaConfiguration"] == "ON" and "This is required" in guide
    (console,) = [
        c["Properties"]
        for c in resources(main, "AWS::Cognito::UserPoolClient").values()
        if c["Properties"]["ClientName"] == "mkcpp-console"
    ]
    assert console["AccessTokenValidity"] == 60 and console["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert "A session lasts an hour" in guide


def test_the_cost_table_counts_what_the_stacks_hold(guide, templates):
    def count(kind: str) -> int:
        return sum(len(resources(t, kind)) for t in templates.values())

    rows = {row[0]: row[1] for row in _table(guide, "| item |")}
    (acl,) = [r for t in templates.values() for r in resources(t, "AWS::WAFv2::WebACL").values()]
    assert rows["AWS WAF web ACL and its rules"] == f"1 web ACL, {len(acl['Properties']['Rules'])} rules"
    assert rows["KMS customer-managed keys (logs, secrets, backups)"] == f"{count('AWS::KMS::Key')} keys"
    assert rows["Secrets Manager secrets"] == f"{count('AWS::SecretsManager::Secret')} secrets"
    alarms = count("AWS::CloudWatch::Alarm")
    assert rows["CloudWatch alarms"] == f"{alarms} alarm{'' if alarms == 1 else 's'}"


def test_the_readmes_generated_figures_are_current(templates):
    # the concurrency to ask for and the cost table's counts come from the declaration and the stacks
    from infra.readme import README, with_figures

    readme = README.read_text(encoding="utf-8")
    assert with_figures(readme, templates) == readme, "README.md's figures are stale: run `make readme`"
