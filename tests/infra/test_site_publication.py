"""The directory's publishers may put, get and delete under `site/directory/` and write the site's
KeyValueStore, nothing else; the edge rewrites `/site/*` with the CloudFront Function that reads it,
and answers with security headers and open CORS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import declaration
from infra.declaration import SITE
from tests.infra.template import functions_by_name, resources

pytestmark = pytest.mark.infra


def _statements(template: dict[str, Any], role_ref: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if role_ref in [r["Ref"] for r in policy["Properties"]["Roles"]]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_publishers_reach_their_prefix_and_the_routes_and_nobody_else_does(template):
    by_name = functions_by_name(template, declaration.functions())
    (kvs_id,) = resources(template, "AWS::CloudFront::KeyValueStore")
    for name, (_, function) in by_name.items():
        statements = _statements(template, function["Properties"]["Role"]["Fn::GetAtt"][0])
        s3 = [s for s in statements if any(str(a).startswith("s3:") for a in _list(s["Action"]))]
        kvs = [
            s
            for s in statements
            if any(str(a).startswith("cloudfront-keyvaluestore:") for a in _list(s["Action"]))
        ]
        variables = function["Properties"]["Environment"]["Variables"]
        if name in SITE.publishers:
            (statement, listing) = s3
            assert sorted(_list(statement["Action"])) == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
            # listing: the bucket's keys under its own prefixes only (a stopped publication's leftovers)
            assert _list(listing["Action"]) == ["s3:ListBucket"]
            assert listing["Condition"] == {
                "StringLike": {"s3:prefix": [f"{p}*" for p in SITE.publishers[name]]}
            } or listing["Condition"] == {"StringLike": {"s3:prefix": f"{SITE.publishers[name][0]}*"}}
            for prefix in SITE.publishers[name]:  # its own section, and no other
                assert json.dumps(statement["Resource"]).count(f"/{prefix}*") == 1
            others = {p for n, ps in SITE.publishers.items() for p in ps} - set(SITE.publishers[name])
            assert not any(f"/{p}*" in json.dumps(statement["Resource"]) for p in others), name
            (routes,) = kvs
            assert kvs_id in json.dumps(routes["Resource"])
            assert "UpdateKeys" in json.dumps(routes["Action"]) and "*" not in json.dumps(routes["Resource"])
            assert kvs_id in json.dumps(variables["SITE_ROUTES"])
        else:
            assert s3 == [] and kvs == [], name
            assert "SITE_ROUTES" not in variables


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_site_behaviour_runs_the_router_with_security_headers_and_open_cors(template):
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    (site,) = distribution["Properties"]["DistributionConfig"]["CacheBehaviors"]
    assert site["PathPattern"] == "/site/*"
    (association,) = site["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    (function,) = resources(template, "AWS::CloudFront::Function").values()
    config = function["Properties"]["FunctionConfig"]
    assert config["Runtime"] == "cloudfront-js-2.0" and config["KeyValueStoreAssociations"]
    code = json.dumps(function["Properties"]["FunctionCode"])
    assert "__KVS_ID__" not in code and "kvs.get(section)" in code
    (policy,) = resources(template, "AWS::CloudFront::ResponseHeadersPolicy").values()
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]
    assert headers["CorsConfig"]["AccessControlAllowOrigins"]["Items"] == ["*"]
    assert (
        "default-src 'none'"
        in headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    )
    assert headers["SecurityHeadersConfig"]["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000


def test_the_site_bucket_is_private_encrypted_and_ssl_only(template):
    (bucket,) = [b for k, b in resources(template, "AWS::S3::Bucket").items() if "SiteBucket" in k]
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    policies = [p for p in resources(template, "AWS::S3::BucketPolicy").values()]
    assert any("aws:SecureTransport" in json.dumps(p) for p in policies)
