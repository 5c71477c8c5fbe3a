"""The edge (issue 6): the API behind CloudFront and an AWS WAF web ACL, and /admin's own throttle."""

from __future__ import annotations

import json

import pytest

from infra.declaration import all_routes, public_form_paths
from tests.infra.template import resources
from tests.support.cdk import main_stack_name, synth_templates

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def web_acl_template():
    templates = synth_templates()
    return templates[f"{main_stack_name()}WebAcl"]


def test_the_web_acl_is_for_cloudfront_and_rate_limits_form_posts_per_client_address(web_acl_template):
    (acl,) = resources(web_acl_template, "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT" and props["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in props["Rules"]}
    # AWS's managed common and known-bad-inputs rule groups
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert statement == {"VendorName": "AWS", "Name": group}
    # and a rate-based rule per client address, on POSTs to the forms only, answering 429
    rate = rules["FormPostsPerClientAddress"]
    based = rate["Statement"]["RateBasedStatement"]
    assert based["AggregateKeyType"] == "IP" and based["Limit"] >= 10
    scope = json.dumps(based["ScopeDownStatement"])
    assert '"SearchString": "POST"' in scope
    # every public form's path, from the declaration's public POST routes
    assert {"/directory", "/feedback", "/members"} <= set(public_form_paths())
    assert all(f'"{path}"' in scope for path in public_form_paths())
    assert rate["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    # blocked requests are logged, briefly
    (logging,) = resources(web_acl_template, "AWS::WAFv2::LoggingConfiguration").values()
    assert logging["Properties"]["LoggingFilter"]["DefaultBehavior"] == "DROP"


def test_the_api_is_served_through_cloudfront_with_the_web_acl(template):
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert "WebACLId" in config  # the us-east-1 ACL's ARN, read across regions
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert set(behaviour["AllowedMethods"]) >= {"GET", "POST", "PATCH", "DELETE", "PUT"}
    (origin,) = [o for o in config["Origins"] if "CustomOriginConfig" in o]
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origin["OriginCustomHeaders"]}
    # the origin-verify value comes from Secrets Manager at deploy time, never a literal in the template
    assert "resolve:secretsmanager" in json.dumps(headers["X-Origin-Verify"])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_admin_routes_have_their_own_throttle_below_the_stage(template):
    (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    settings = props["RouteSettings"]
    admin = {route.route_key for route, _ in all_routes() if route.auth == "admin"}
    assert set(settings) == admin
    stage_rate = props["DefaultRouteSettings"]["ThrottlingRateLimit"]
    for key in admin:
        assert 0 < settings[key]["ThrottlingRateLimit"] < stage_rate


def test_the_stacks_are_pinned_to_london_and_the_acl_to_us_east_1(synthesis):
    manifest = json.loads((synthesis.outdir / "manifest.json").read_text())
    artifacts = manifest["artifacts"].items()
    environments = {name: a["environment"] for name, a in artifacts if "environment" in a}
    assert environments[main_stack_name()].endswith("/eu-west-2")
    assert environments[f"{main_stack_name()}WebAcl"].endswith("/us-east-1")


def test_the_published_site_is_the_declared_bucket_served_under_site(template):
    from infra.declaration import SITE

    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (behaviour,) = config["CacheBehaviors"]
    assert behaviour["PathPattern"] == f"/{SITE.public_prefix}*"
    (s3_origin,) = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert "OriginAccessControlId" in s3_origin  # the bucket stays private; CloudFront reads it
    buckets = resources(template, "AWS::S3::Bucket")
    (site_id,) = [lid for lid in buckets if lid.startswith("PlatformSite")]
    props = buckets[site_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_no_feedback_request_is_ever_in_the_firewalls_log(web_acl_template):
    # Given the web ACL's rules and its logging filter
    (acl,) = resources(web_acl_template, "AWS::WAFv2::WebACL").values()
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    anonymous = rules["AnonymousFeedback"]
    # a /feedback request is labelled first, counted (never blocked by it) and never sampled
    assert anonymous["Priority"] == min(rule["Priority"] for rule in rules.values())
    assert anonymous["Action"] == {"Count": {}}
    assert anonymous["Statement"]["ByteMatchStatement"]["SearchString"] == "/feedback"
    assert anonymous["VisibilityConfig"]["SampledRequestsEnabled"] is False
    (label,) = anonymous["RuleLabels"]
    # and the log's first filter drops the label, before the filter that keeps blocked requests
    (logging,) = resources(web_acl_template, "AWS::WAFv2::LoggingConfiguration").values()
    first, *rest = logging["Properties"]["LoggingFilter"]["Filters"]
    assert first["Behavior"] == "DROP"
    condition = json.dumps(first["Conditions"][0]["LabelNameCondition"]["LabelName"])
    assert ":webacl:" in condition and label["Name"] in condition
    assert any(f["Behavior"] == "KEEP" for f in rest)
