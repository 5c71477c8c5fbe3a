"""Bucket writers and readers (issue 8): a function that `BucketSpec.writers` names may put objects
under its declared key prefixes and nothing else of the bucket; a reader may get objects; both get
`<KEY>_BUCKET_NAME`; no other function gets any of it. No capability writes yet, so the directory's
publisher is sketched against the real site bucket."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import aws_cdk as cdk
import pytest

from infra.app import cdk_json_context
from infra.config import load_config
from infra.declaration import FUNCTIONS, SITE, FunctionSpec
from infra.stack import MkcppStack
from tests.infra.template import functions_by_name, resources
from tests.support.cdk import ensure_assets, new_outdir, synthesize

pytestmark = pytest.mark.infra

PUBLISHER = FunctionSpec(
    name="directory_publisher",
    handler="functions.members.publisher.lambda_handler",
    description="Sketch: writes the directory's editions",
)
SITE_WITH_WRITERS = replace(
    SITE, writers={"directory_publisher": ("site/directory/",)}, readers=("members_admin",)
)


@pytest.fixture(scope="module")
def template(monkeypatch_module: pytest.MonkeyPatch) -> dict[str, Any]:
    for module in ("infra.declaration", "infra.constructs.function", "infra.constructs.platform"):
        monkeypatch_module.setattr(f"{module}.BUCKETS", (SITE_WITH_WRITERS,))
    ensure_assets()
    app = cdk.App(context=cdk_json_context(), outdir=new_outdir())
    config = load_config(app.node.try_get_context("mkcpp"))
    stack = MkcppStack(
        app,
        "Buckets",
        config=config,
        functions=(*FUNCTIONS, PUBLISHER),
        env=cdk.Environment(region=config.region),
    )
    return synthesize(app).templates[stack.stack_name]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _s3_statements(template: dict[str, Any], role_ref: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if role_ref not in [r["Ref"] for r in policy["Properties"]["Roles"]]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("s3:") for a in actions):
                found.append(statement)
    return found


def test_writers_put_under_their_prefix_readers_get_and_nobody_else_touches_it(template):
    by_name = functions_by_name(template, (*FUNCTIONS, PUBLISHER))
    (bucket_id,) = [k for k in resources(template, "AWS::S3::Bucket") if "SiteBucket" in k]
    for name, (_, function) in by_name.items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = _s3_statements(template, role)
        variables = function["Properties"]["Environment"]["Variables"]
        if name == "directory_publisher":
            (statement,) = statements
            assert statement["Action"] == "s3:PutObject"
            resource = json.dumps(statement["Resource"])
            assert bucket_id in resource and "/site/directory/*" in resource
        elif name == "members_admin":
            (statement,) = statements
            assert statement["Action"] == "s3:GetObject" and bucket_id in json.dumps(statement["Resource"])
        else:
            assert statements == [], name
        assert ("SITE_BUCKET_NAME" in variables) == (name in ("directory_publisher", "members_admin")), name
