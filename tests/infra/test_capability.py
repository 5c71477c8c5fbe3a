"""A capability is its declaration entry and its own folders (issue 15).

A throwaway capability (`tests/support/throwaway`: a table, an admin route, a console page, a
schedule, and a queue its planner fills and its sender consumes) is added to
`infra.declaration.CAPABILITIES` and nothing else is edited. Synth, grants, environment, OpenAPI,
local mode, the console's navigation and audit words, and the permission check all pick it up, and
it adds no key, secret or firewall rule (nothing with a fixed monthly cost).
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest

from infra import declaration
from infra.app import cdk_json_context
from infra.config import load_config
from infra.declaration import FunctionSpec, environment
from tests.infra.template import functions_by_name, resources, role_statements
from tests.support.cdk import new_outdir, synth_templates
from tests.support.permissions import Call, policy_check
from tests.support.throwaway import NOTES, NOTES_ADMIN, NOTES_CONSOLE, NOTES_PLANNER, NOTICES, declaring

pytestmark = pytest.mark.infra

FIXED_COST = ("AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::WAFv2::WebACL")


@pytest.fixture(scope="module")
def synthesis(throwaway: Any) -> Any:
    return throwaway.synthesis, throwaway.stack_name


@pytest.fixture(scope="module")
def template(throwaway: Any) -> dict[str, Any]:
    return dict(throwaway.template)


def _functions(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    with declaring(NOTES):
        return functions_by_name(template, declaration.functions())


def test_the_synth_builds_it_and_cdk_nag_finds_nothing(synthesis, template):
    result, _ = synthesis
    assert result.error is None and result.violations == ()
    tagged = [
        t
        for t in resources(template, "AWS::DynamoDB::Table").values()
        if {"Key": "mkcpp:table", "Value": "notes"} in t["Properties"].get("Tags", [])
    ]
    assert len(tagged) == 1 and tagged[0]["Properties"]["PointInTimeRecoverySpecification"]
    assert set(_functions(template)) >= {f.name for f in NOTES.functions}


def test_its_routes_are_on_the_api_the_admin_one_behind_the_authorizer(template):
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert routes["GET /admin/notes"]["AuthorizationType"] == "JWT"
    assert routes["ANY /console/notes"]["AuthorizationType"] == "NONE"
    assert "ANY /console/notes/{proxy+}" in routes


def test_its_schedule_and_queue_are_built_from_the_declaration(template):
    schedules = [s["Properties"] for s in resources(template, "AWS::Scheduler::Schedule").values()]
    assert any(
        s["ScheduleExpression"] == "cron(0 9 * * ? *)" and "notes" in s["Target"]["Input"] for s in schedules
    )
    queues = [k for k in resources(template, "AWS::SQS::Queue") if "NoteNotices" in k]
    assert len(queues) == 2  # the queue and its dead-letter queue
    mappings = [m["Properties"] for m in resources(template, "AWS::Lambda::EventSourceMapping").values()]
    sender_id = _functions(template)["notes_sender"][0]
    assert any(
        m["FunctionName"]["Ref"] == sender_id and m["BatchSize"] == NOTICES.batch_size for m in mappings
    )


def test_its_functions_get_their_grants_and_environment(template):
    found = _functions(template)
    admin_role = found["notes_admin"][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    actions = {
        a
        for s in role_statements(template, admin_role)
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert "dynamodb:Query" in actions and "dynamodb:PutItem" not in actions
    planner_env = found["notes_planner"][1]["Properties"]["Environment"]["Variables"]
    assert "NOTE_NOTICES_QUEUE_URL" in planner_env and "NOTES_TABLE_NAME" in planner_env
    console_env = found["notes_console"][1]["Properties"]["Environment"]["Variables"]
    assert {"COGNITO_ISSUER", "CONSOLE_SESSIONS_TABLE_NAME"} <= set(console_env)
    # a console holds no key: it cannot sign another capability's links
    assert "SIGNING_KEY_SECRET_ID" not in console_env and "LOOKUP_KEY_SECRET_ID" not in console_env
    # every console function's navigation has the new entry; only the console's root has summaries
    for name in ("console", "members_console", "notes_console"):
        nav = json.loads(found[name][1]["Properties"]["Environment"]["Variables"]["CONSOLE_NAV"])
        assert nav[[item[0] for item in nav].index("Notes")][:2] == ["Notes", "/console/notes"], name
    # the audit trail knows its words and its pages
    audit_words = json.loads(found["console"][1]["Properties"]["Environment"]["Variables"]["AUDIT_WORDS"])
    assert audit_words["tests.support.throwaway.words"] == {"NOTE": "/console/notes/{id}"}


def test_it_adds_no_key_secret_or_firewall_rule(synthesis):
    result, _ = synthesis
    with_notes = result.templates
    without = synth_templates()

    def count(templates: dict[str, Any], kind: str) -> int:
        return sum(len(resources(t, kind)) for t in templates.values())

    for kind in FIXED_COST:
        assert count(with_notes, kind) == count(without, kind), kind
    rules = [
        len(acl["Properties"]["Rules"])
        for templates in (with_notes, without)
        for t in templates.values()
        for acl in resources(t, "AWS::WAFv2::WebACL").values()
    ]
    assert len(set(rules)) <= 1


def test_the_permission_check_knows_its_functions(template):
    with declaring(NOTES):
        check = policy_check(template, "mkcpp/signing-key", "mkcpp-test")
        own = Call("notes_admin", "dynamodb", "Query", {"TableName": "mkcpp-notes"})
        other = Call("notes_admin", "dynamodb", "Query", {"TableName": "mkcpp-members"})
        assert check.check([own]) == []
        assert check.check([other])  # the members table is not its to read


def test_openapi_documents_its_routes_with_their_sign_in():
    from infra.openapi import build_document

    with declaring(NOTES):
        document = build_document()
    assert document["paths"]["/admin/notes"]["get"]["security"] == [{"cognitoAdmins": []}]
    assert document["paths"]["/console/notes"]["get"]["security"] == [{"consoleSession": []}]


def test_local_mode_serves_provisions_and_schedules_it():
    from infra.local.environment import deployment_config, local_resources
    from infra.local.events import RoutePattern, RouteTable

    with declaring(NOTES):
        routes = RouteTable(
            RoutePattern(r.method, r.path, target=spec) for r, spec in declaration.all_routes()
        )
        served = {
            path: routes.match(method, path)[0].target.name  # type: ignore[index]
            for method, path in (
                ("GET", "/admin/notes"),
                ("GET", "/console/notes"),
                ("POST", "/console/notes/1/edit"),
                ("GET", "/console/members"),
                ("GET", "/console/nowhere"),
            )
        }
        resources_ = local_resources()
        env = environment(
            NOTES_PLANNER, resources_, deployment_config().as_environment("http://127.0.0.1:3000")
        )
        schedules = {s.name: f.name for s, f in declaration.all_schedules()}
        tables = {t.local_name for t in declaration.tables()}
    assert served == {
        "/admin/notes": "notes_admin",
        "/console/notes": "notes_console",
        "/console/notes/1/edit": "notes_console",
        "/console/members": "members_console",
        "/console/nowhere": "console",
    }
    assert env["NOTE_NOTICES_QUEUE_URL"].endswith("/mkcpp-local-note-notices")
    assert env["NOTES_TABLE_NAME"] == "mkcpp-notes"
    assert schedules["notes-daily"] == "notes_planner" and "mkcpp-notes" in tables


def test_a_queue_needs_exactly_one_consumer_and_declared_producers():
    from dataclasses import replace

    from infra.stack import MkcppStack

    app = cdk.App(context=cdk_json_context(), outdir=new_outdir())
    config = load_config(app.node.try_get_context("mkcpp"))
    no_sender = replace(NOTES, functions=(NOTES_ADMIN, NOTES_PLANNER))
    with declaring(no_sender), pytest.raises(ValueError, match="exactly one consumer"):
        MkcppStack(app, "NoConsumer", config=config)
    stray = replace(NOTES, queues=(replace(NOTICES, producers=("nobody",)),))
    with declaring(stray), pytest.raises(ValueError, match="not declared"):
        MkcppStack(app, "Stray", config=config)


def test_a_console_function_must_serve_a_path_no_other_serves():
    from dataclasses import replace

    twice = replace(NOTES, functions=(replace(NOTES_CONSOLE, console=("members",)),))
    with declaring(twice), pytest.raises(ValueError, match="declared twice"):
        declaration.check()


def test_two_functions_with_one_name_are_refused():
    # two functions with one name would deploy one of them silently
    from dataclasses import replace

    clash = FunctionSpec(name="notes_admin", handler="x.y.z", description="again")
    again = replace(NOTES, name="again", functions=(clash,), tables=(), queues=(), nav=(), audit=None)
    with declaring(NOTES, again), pytest.raises(ValueError, match="notes_admin"):
        declaration.check()
