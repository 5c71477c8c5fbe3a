"""Bucket writers and readers (issue 8): a function that `BucketSpec.writers` names may put objects
under its declared key prefixes and nothing else of the bucket; a reader may get objects; both get
`<KEY>_BUCKET_NAME`; no other function gets any of it. Shown with the throwaway capability's
publisher writing `site/notes/` and its admin function reading (`tests/support/throwaway`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import declaration
from tests.infra.template import functions_by_name, resources
from tests.support.throwaway import declaring

pytestmark = pytest.mark.infra


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


def test_writers_put_under_their_prefix_readers_get_and_nobody_else_touches_it(throwaway):
    template = throwaway.template
    with declaring(*throwaway.capabilities, replace_all=True):
        by_name = functions_by_name(template, declaration.functions())
    (bucket_id,) = [k for k in resources(template, "AWS::S3::Bucket") if "SiteBucket" in k]
    for name, (_, function) in by_name.items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = _s3_statements(template, role)
        variables = function["Properties"]["Environment"]["Variables"]
        if name == "notes_publisher":
            (statement,) = statements
            assert statement["Action"] == "s3:PutObject"
            resource = json.dumps(statement["Resource"])
            assert bucket_id in resource and "/site/notes/*" in resource
        elif name == "notes_admin":
            (statement,) = statements
            assert statement["Action"] == "s3:GetObject" and bucket_id in json.dumps(statement["Resource"])
        else:
            assert statements == [], name
        assert ("SITE_BUCKET_NAME" in variables) == (name in ("notes_publisher", "notes_admin")), name
