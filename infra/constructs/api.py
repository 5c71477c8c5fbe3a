"""The HTTP API (payload v2) and the Cognito user pool that guards its `/admin/...` routes.

Routes come from the declaration: `add_function_routes` binds every `Route` of a `FunctionSpec` to
its function. `auth="admin"` routes carry a JWT authorizer on the user pool; the handlers check the
`admins` group claim again (`shared.web.require_admin`). Public routes are unauthenticated by design:
they are the HTML forms and links in emails, guarded by signed tokens and the stage throttle.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import nag
from infra.config import DeploymentConfig
from infra.constructs.function import new_log_group
from infra.declaration import FunctionSpec, Route, SignIn

if TYPE_CHECKING:
    from infra.constructs.function import DeclaredFunction

# The Cognito group whose members may call /admin/... (shared.web.ADMIN_GROUP checks the same name;
# tests/infra compare the two, because infra/ does not import handler-side code).
ADMIN_GROUP = "admins"

# Access log fields: what happened to which route, never who (no source IP, no user agent, no path
# values: a path like /feedback/{reference} is logged as its route key, a ?token= never appears).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "error": "$context.error.message",
}

PUBLIC_ROUTE = (
    "Public by design (PRODUCT.md public HTTP contract): plain HTML forms, links in emails and the "
    "OpenAPI document, for people without accounts. Sign-up is double opt-in, personal data is only "
    "shown or changed with a valid signed single-use token, and the stage throttle bounds abuse."
)

CONSOLE_ROUTE = (
    "The console signs in through Cognito's managed login in a browser, so its session is a cookie, "
    "which API Gateway's JWT authorizer cannot read. The console function checks that session on every "
    "request before any route runs (shared/console/app.py): the token's RS256 signature against the user "
    "pool's keys, issuer, client, expiry, token use and the admins group, and a CSRF token on every POST."
)


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class ApiConstruct(Construct):
    """HTTP API with a throttled, access-logged `$default` stage, and the administrators' user pool."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, log_key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description=f"{config.group_name}: public forms and the admin API",
            create_default_stage=False,
        )
        self.access_logs = new_log_group(self, "AccessLogs", config, log_key)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.api_throttle_rate, burst_limit=config.api_throttle_burst
            ),
            access_log_settings=_AccessLogSettings(
                apigwv2.LogGroupLogDestination(self.access_logs),
                apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        self.user_pool = self._user_pool()
        self.admin_client = self.user_pool.add_client(
            "AdminToolClient",
            user_pool_client_name="mkcpp-admin-tool",
            generate_secret=False,  # a command-line tool cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            disable_o_auth=True,  # no hosted UI, no redirects: the admin tool signs in directly
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.minutes(30),
            id_token_validity=Duration.minutes(30),
            refresh_token_validity=Duration.hours(8),
        )
        self.admin_group = cognito.CfnUserPoolGroup(
            self,
            "AdminsGroup",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=ADMIN_GROUP,
            description="May call /admin/... routes (members, meetings, feedback, directory).",
        )
        if config.first_administrator:
            # the first administrator, made by the deploy: no command line for a volunteer
            first = cognito.CfnUserPoolUser(
                self,
                "FirstAdministrator",
                user_pool_id=self.user_pool.user_pool_id,
                username=config.first_administrator,
                desired_delivery_mediums=["EMAIL"],
                user_attributes=[
                    cognito.CfnUserPoolUser.AttributeTypeProperty(
                        name="email", value=config.first_administrator
                    ),
                    cognito.CfnUserPoolUser.AttributeTypeProperty(name="email_verified", value="true"),
                ],
            )
            membership = cognito.CfnUserPoolUserToGroupAttachment(
                self,
                "FirstAdministratorIsAnAdmin",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=ADMIN_GROUP,
                username=config.first_administrator,
            )
            membership.node.add_dependency(first)
            membership.node.add_dependency(self.admin_group)
        self.admin_authorizer = authorizers.HttpUserPoolAuthorizer(
            "AdminAuthorizer",
            self.user_pool,
            user_pool_clients=[self.admin_client],
            identity_source=["$request.header.Authorization"],
        )
        self._integrations: dict[str, integrations.HttpLambdaIntegration] = {}
        self.routes: dict[str, apigwv2.HttpRoute] = {}
        self.route_auth: dict[str, str] = {}

    @property
    def url(self) -> str:
        """The API's own https endpoint, no trailing slash (the `$default` stage serves at the root)."""
        return self.http_api.api_endpoint

    def _user_pool(self) -> cognito.UserPool:
        return cognito.UserPool(
            self,
            "AdminUserPool",
            self_sign_up_enabled=False,  # administrators are invited, never self-registered
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # TOTP only: SMS would need an SNS role and is open to SIM swapping.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            # Plus plan: threat protection blocks compromised credentials and risky sign-ins. A few
            # administrators cost cents a month.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def add_console_sign_in(self, config: DeploymentConfig, base_url: str) -> SignIn:
        """Cognito's managed login for the console: a login domain, and a public app client that
        signs in with the authorization code grant and PKCE (no client secret to keep), returning
        to `<base_url>/console/callback`. MFA (TOTP) stays required: it is the user pool's."""
        self.login_domain = cognito.UserPoolDomain(
            self,
            "LoginDomain",
            user_pool=self.user_pool,
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=config.login_domain_prefix),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        self.console_client = self.user_pool.add_client(
            "ConsoleClient",
            user_pool_client_name="mkcpp-console",
            generate_secret=False,  # PKCE instead: the function keeps no client secret
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[f"{base_url}/console/callback"],
                logout_urls=[f"{base_url}/console/signed-out"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            # the console session is the access token: an hour, then the managed login again
            # (which signs straight back in while its own session lasts)
            access_token_validity=Duration.minutes(60),
            id_token_validity=Duration.minutes(60),
            refresh_token_validity=Duration.hours(8),
        )
        branding = cognito.CfnManagedLoginBranding(
            self,
            "LoginBranding",
            user_pool_id=self.user_pool.user_pool_id,
            client_id=self.console_client.user_pool_client_id,
            use_cognito_provided_values=True,
        )
        branding.node.add_dependency(self.login_domain)
        region = Stack.of(self).region
        return SignIn(
            issuer=f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}",
            client_id=self.console_client.user_pool_client_id,
            login_url=self.login_domain.base_url(),
            user_pool_id=self.user_pool.user_pool_id,
            user_pool_arn=self.user_pool.user_pool_arn,
        )

    def throttle_admin_routes(self, rate: float, burst: int) -> None:
        """Give every `/admin/...` route its own throttle, below the stage's, so a flood of form posts
        cannot starve the administrators and a misused admin token cannot flood the tables."""
        settings = {
            key: {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
            for key, route in sorted(self.route_auth.items())
            if route == "admin"
        }
        if settings:
            stage = self.stage.node.default_child
            assert isinstance(stage, apigwv2.CfnStage)
            stage.add_property_override("RouteSettings", settings)

    def add_function_routes(self, declared: DeclaredFunction) -> list[apigwv2.HttpRoute]:
        """Bind every route `declared.spec` declares to its function."""
        integration = self._integration(declared.spec, declared.function)
        routes = [self._route(route, declared.spec, integration) for route in declared.spec.http_routes]
        if declared.spec.catch_all:
            default = apigwv2.HttpRoute(
                self,
                "RouteDefault",
                http_api=self.http_api,
                route_key=apigwv2.HttpRouteKey.DEFAULT,
                integration=integration,
            )
            nag.acknowledge(
                default,
                "AwsSolutions-APIG4",
                "The $default route only answers requests no other route matches, with a page that "
                "says the page was not found (or cannot be used that way); it reads and changes nothing.",
            )
            routes.append(default)
        return routes

    def _integration(
        self, spec: FunctionSpec, function: lambda_.IFunction
    ) -> integrations.HttpLambdaIntegration:
        if spec.name not in self._integrations:
            self._integrations[spec.name] = integrations.HttpLambdaIntegration(
                f"{spec.name}-integration",
                function,
                payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
            )
        return self._integrations[spec.name]

    def _route(
        self, route: Route, spec: FunctionSpec, integration: integrations.HttpLambdaIntegration
    ) -> apigwv2.HttpRoute:
        if route.route_key in self.routes:
            raise ValueError(f"route {route.route_key} is declared twice (again by {spec.name})")
        admin = route.auth == "admin"
        created = apigwv2.HttpRoute(
            self,
            "Route" + re.sub(r"[^A-Za-z0-9]+", "-", route.route_key),
            http_api=self.http_api,
            route_key=apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod(route.method)),
            integration=integration,
            authorizer=self.admin_authorizer if admin else None,
        )
        if route.auth == "session":
            nag.acknowledge(created, "AwsSolutions-APIG4", CONSOLE_ROUTE)
        elif not admin:
            nag.acknowledge(created, "AwsSolutions-APIG4", PUBLIC_ROUTE)
        self.routes[route.route_key] = created
        self.route_auth[route.route_key] = route.auth
        return created
