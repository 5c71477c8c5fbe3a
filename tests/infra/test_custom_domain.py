"""The partnership's own address (deploy guide, "Your own web address"): CloudFront serves it with
its ACM certificate, `/` is the sign-up form, and links, redirects and the console's sign-in use it."""

from __future__ import annotations

from typing import Any

import pytest

from infra.app import build_app, cdk_json_context
from infra.config import ConfigError, load_config
from infra.declaration import all_routes
from tests.infra.template import functions_by_name, resources
from tests.support.cdk import ensure_assets, new_outdir, synthesize

pytestmark = pytest.mark.infra
DOMAIN = "join.mkcpp.org.uk"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


@pytest.fixture(scope="module")
def synthesis() -> Any:
    ensure_assets()
    mkcpp = {**cdk_json_context()["mkcpp"], "domain_name": DOMAIN, "certificate_arn": CERTIFICATE}
    app, stack = build_app(context={"mkcpp": mkcpp}, outdir=new_outdir())
    return synthesize(app), stack.stack_name


def test_cloudfront_serves_the_domain_with_its_certificate_and_tls_1_2(synthesis):
    result, name = synthesis
    assert result.error is None and result.violations == ()  # cdk-nag (all four packs) stays clean
    (distribution,) = resources(result.templates[name], "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERTIFICATE
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"


def test_links_and_the_console_sign_in_use_the_domain(synthesis):
    result, name = synthesis
    template = result.templates[name]
    for function_name, (_, function) in functions_by_name(template).items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables.get("BASE_URL", f"https://{DOMAIN}") == f"https://{DOMAIN}", function_name
    clients = resources(template, "AWS::Cognito::UserPoolClient").values()
    (console,) = [c["Properties"] for c in clients if c["Properties"]["ClientName"] == "mkcpp-console"]
    assert console["CallbackURLs"] == [f"https://{DOMAIN}/console/callback"]
    assert console["LogoutURLs"] == [f"https://{DOMAIN}/console/signed-out"]
    outputs = template["Outputs"]
    assert outputs["ConsoleUrl"]["Value"] == f"https://{DOMAIN}/console/"
    assert "DistributionDomain" in outputs


def test_slash_is_the_sign_up_form():
    (spec,) = [spec for route, spec in all_routes() if route.route_key == "GET /"]
    assert spec.name == "members_public"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"domain_name": DOMAIN}, "go together"),
        ({"certificate_arn": CERTIFICATE}, "go together"),
        (
            {"domain_name": DOMAIN, "certificate_arn": CERTIFICATE.replace("us-east-1", "eu-west-2")},
            "certificate_arn",
        ),
        ({"domain_name": DOMAIN, "certificate_arn": CERTIFICATE, "web_acl": False}, "web_acl"),
        ({"domain_name": "https://join.mkcpp.org.uk", "certificate_arn": CERTIFICATE}, "domain_name"),
    ],
)
def test_a_half_or_wrong_custom_domain_is_refused_naming_the_key(change, message):
    with pytest.raises(ConfigError) as refused:
        load_config({**cdk_json_context()["mkcpp"], **change})
    assert message in str(refused.value)
