"""The edge: CloudFront in front of the HTTP API, guarded by an AWS WAF web ACL.

An HTTP API cannot carry a WAF web ACL itself (only REST APIs, CloudFront, ALBs and a few others
can), and a web ACL for CloudFront must live in us-east-1. So, when `web_acl` is on (production):

- `WebAclStack` (us-east-1) holds the web ACL: AWS's managed common rule set and known-bad-inputs
  rule set, and one rate-based rule that limits each client address's posts to the public forms
  (every public POST route's first path segment, `POST /members...` and the like:
  `infra.declaration.public_form_paths`) to `form_post_limit_per_5_minutes`, answering 429 beyond it;
- `ApiEdge` (in the main stack) is the CloudFront distribution: no caching, every method, the
  viewer's headers and query string passed on (but not Host), HTTPS only, and a secret
  `X-Origin-Verify` header on every request to the API. The functions refuse requests without it
  (`shared.api.HttpApi`), so the API's own execute-api endpoint cannot be used to go round the WAF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra import nag
from infra.config import DeploymentConfig
from infra.constructs.encryption import log_group_key
from infra.declaration import public_form_paths
from shared.site.routing import CONTENT_SECURITY_POLICY

ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
SITE_ROUTER = Path(__file__).resolve().parent.parent / "edge" / "site_router.js"

ORIGIN_VERIFY_NOT_ROTATED = (
    "A shared value between CloudFront and the functions, not a credential to a data store: "
    "rotating it means redeploying both together, which every deploy can do (a new value "
    "takes effect on the next `cdk deploy`). It grants nothing on its own: the WAF and the "
    "functions' own checks still apply."
)


def _rule_visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name
            )
        ),
        visibility_config=_rule_visibility(name),
    )


# The web ACL's log never holds a request under this path (the feedback form, its status and
# follow-up pages): `WebAclStack`'s AnonymousFeedback rule labels them and the log drops the label.
ANONYMOUS_PATH = "/feedback"
ANONYMOUS_LABEL = "mkcpp:anonymous-feedback"


def _form_posts() -> wafv2.CfnWebACL.StatementProperty:
    """POST requests to the public forms."""
    paths = [
        wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="STARTS_WITH",
                search_string=path,
                text_transformations=[
                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")
                ],
            )
        )
        for path in public_form_paths()
    ]
    post = wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY",
            search_string="POST",
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    # WAF's OR needs two statements or more
    on_paths = (
        paths[0]
        if len(paths) == 1
        else wafv2.CfnWebACL.StatementProperty(
            or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=paths)
        )
    )
    return wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[post, on_paths])
    )


class WebAclStack(Stack):
    """The CloudFront-scoped web ACL (which AWS only accepts in us-east-1)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.group_name}: the web ACL that guards the API's CloudFront distribution",
            cross_region_references=True,
            **kwargs,
        )
        # Anonymous in fact: a /feedback request is labelled here (counted, never blocked by this
        # rule), and the logging filter below drops every labelled request before anything is
        # written, blocked or not, so the firewall's log never holds a feedback sender's address or
        # browser. Its own rule samples nothing either.
        anonymous = wafv2.CfnWebACL.RuleProperty(
            name="AnonymousFeedback",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(count={}),
            rule_labels=[wafv2.CfnWebACL.LabelProperty(name=ANONYMOUS_LABEL)],
            statement=wafv2.CfnWebACL.StatementProperty(
                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint="STARTS_WITH",
                    search_string=ANONYMOUS_PATH,
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")
                    ],
                )
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name="AnonymousFeedback",
                sampled_requests_enabled=False,
            ),
        )
        rate_limit = wafv2.CfnWebACL.RuleProperty(
            name="FormPostsPerClientAddress",
            priority=1,
            action=wafv2.CfnWebACL.RuleActionProperty(
                block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=429)
                )
            ),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    evaluation_window_sec=300,
                    limit=config.form_post_limit_per_5_minutes,
                    scope_down_statement=_form_posts(),
                )
            ),
            visibility_config=_rule_visibility("FormPostsPerClientAddress"),
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_rule_visibility("MkcppWebAcl"),
            rules=[
                anonymous,
                rate_limit,
                _managed("AWSManagedRulesCommonRuleSet", 2),
                _managed("AWSManagedRulesKnownBadInputsRuleSet", 3),
            ],
        )
        # WAF logs name the client address of every blocked request: kept briefly, for abuse review,
        # encrypted with this region's own log key (a KMS key cannot be used outside its region).
        # DESTROY like the log group (deletion still waits 30 days and can be cancelled)
        self.log_key = log_group_key(
            self, "LogKey", "MKCPP: encrypts the web ACL's log group", RemovalPolicy.DESTROY
        )
        self.logs = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=f"aws-waf-logs-{config.stack_name.lower()}",
            encryption_key=self.log_key,
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=self.logs.log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            # never log an admin's token, a signed link's token (the query string) or a cookie
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "cookie"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(query_string={}),
            ],
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        # first match wins: a feedback request is never logged, even when blocked
                        "Behavior": "DROP",
                        "Conditions": [{"LabelNameCondition": {"LabelName": self._label(ANONYMOUS_LABEL)}}],
                        "Requirement": "MEETS_ANY",
                    },
                    {
                        "Behavior": "KEEP",
                        "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}],
                        "Requirement": "MEETS_ANY",
                    },
                ],
            },
        )

    def _label(self, name: str) -> str:
        """A label this web ACL's own rules add, fully qualified as the logging filter needs it:
        `awswaf:<account>:webacl:<web ACL name>:<name>` (the ACL's Ref is `name|id|scope`)."""
        acl_name = Fn.select(0, Fn.split("|", self.web_acl.ref))
        return Fn.join("", ["awswaf:", self.account, ":webacl:", acl_name, ":", name])


class ApiEdge(Construct):
    """The CloudFront distribution in front of the HTTP API, with the web ACL attached."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_url: str,
        web_acl_arn: str,
        group_name: str,
        secrets_key: kms.IKey,
        site: s3.IBucket | None = None,
        site_prefix: str = "site/",
        site_routes: cloudfront.IKeyValueStore | None = None,
        domain_name: str | None = None,
        certificate_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.origin_secret = secretsmanager.Secret(
            self,
            "OriginVerify",
            description="MKCPP: the header CloudFront adds so the API refuses requests that did not "
            "come through the WAF",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True, include_space=False
            ),
            encryption_key=secrets_key,
        )
        for rule in (
            "AwsSolutions-SMG4",
            "HIPAA.Security-SecretsManagerRotationEnabled",
            "NIST.800.53.R5-SecretsManagerRotationEnabled",
        ):
            nag.acknowledge(self.origin_secret, rule, ORIGIN_VERIFY_NOT_ROTATED)
        self.origin_verify = self.origin_secret.secret_value.unsafe_unwrap()
        domain = Fn.select(2, Fn.split("/", api_url))
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{group_name}: forms, links in emails and the admin API, through the WAF",
            web_acl_id=web_acl_arn,
            domain_names=[domain_name] if domain_name else None,
            certificate=acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if certificate_arn
            else None,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021
            if certificate_arn
            else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(
                    domain,
                    protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                    custom_headers={ORIGIN_VERIFY_HEADER: self.origin_verify},
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            ),
            # the published site: `/site/...` is the bucket's `site/...`, read through origin access
            # control (the bucket stays private), cached
            additional_behaviors={
                f"/{site_prefix}*": cloudfront.BehaviorOptions(
                    origin=origins.S3BucketOrigin.with_origin_access_control(site),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                    # the cache key is the rewritten address (v/<version>/...), which never changes
                    cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    response_headers_policy=self._site_headers(),
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=self._site_router(site_routes),
                            event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                        )
                    ]
                    if site_routes is not None
                    else None,
                )
            }
            if site is not None
            else None,
        )
        nag.acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "No geo restriction on purpose: members, carers and partners use the forms and email links "
            "from wherever they are (on holiday, or a relative abroad); abuse is limited per client "
            "address by the web ACL's rate rule instead.",
        )
        nag.acknowledge(
            self.distribution,
            "AwsSolutions-CFR3",
            "No CloudFront access logs: they would record every visitor's IP address and the query "
            "string, which holds the signed tokens of email links. API Gateway's access log records "
            "each request's route and status without either, and WAF logs keep blocked requests only.",
        )
        if certificate_arn:
            return
        nag.acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "The distribution uses CloudFront's default certificate until a custom domain is set up "
            "(see the deploy guide); with the default certificate CloudFront cannot enforce a minimum "
            "TLS version for viewers. The origin is reached over HTTPS only.",
        )

    def _site_router(self, routes: cloudfront.IKeyValueStore) -> cloudfront.Function:
        """Each request for the site, rewritten to the live version's bytes (`infra/edge/site_router.js`)."""
        code = SITE_ROUTER.read_text(encoding="utf-8").replace("__KVS_ID__", routes.key_value_store_id)
        return cloudfront.Function(
            self,
            "SiteRouter",
            comment="MKCPP: /site/<section>/<path> to the live version's bytes (shared/site)",
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            code=cloudfront.FunctionCode.from_inline(code),
            key_value_store=routes,
        )

    def _site_headers(self) -> cloudfront.ResponseHeadersPolicy:
        """The published pages' security headers, and CORS open so that other directories can read
        the open data (there is nothing private on the site, and no cookies)."""
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SiteHeaders",
            comment="MKCPP: security headers and open CORS for the published site",
            cors_behavior=cloudfront.ResponseHeadersCorsBehavior(
                access_control_allow_credentials=False,
                access_control_allow_headers=["*"],
                access_control_allow_methods=["GET", "HEAD", "OPTIONS"],
                access_control_allow_origins=["*"],
                origin_override=True,
            ),
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=CONTENT_SECURITY_POLICY,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730), include_subdomains=True, override=True
                ),
            ),
        )

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}"
