"""The HTTP API serves exactly the declared routes; only admin routes need a Cognito JWT."""

from __future__ import annotations

import json

import pytest

from infra.app import cdk_json_context
from infra.config import load_config
from infra.constructs.api import ADMIN_GROUP
from infra.declaration import FUNCTIONS, all_routes
from tests.infra.template import functions_by_name, ref, resources

pytestmark = pytest.mark.infra


def integration_function(template, integration_id: str) -> str:
    """The logical id of the Lambda function an integration invokes."""
    uri = template["Resources"][integration_id]["Properties"]["IntegrationUri"]
    return ref(uri)


def test_routes_equal_the_declaration(template):
    # Given the declared routes, When the API is synthesized
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    # Then the API has exactly those route keys, and the `$default` route for what none matches
    assert sorted(routes) == sorted([route.route_key for route, _ in all_routes()] + ["$default"])
    default_target = routes["$default"]["Target"]["Fn::Join"][1][1]["Ref"]
    assert integration_function(template, default_target) == functions_by_name(template)["members_public"][0]
    # And each one invokes its declared function
    by_name = functions_by_name(template)
    for route, spec in all_routes():
        integration_id = routes[route.route_key]["Target"]["Fn::Join"][1][1]["Ref"]
        assert integration_function(template, integration_id) == by_name[spec.name][0], route.route_key


def test_admin_routes_need_the_jwt_authorizer_and_public_routes_do_not(template):
    ((authorizer_id, authorizer),) = resources(template, "AWS::ApiGatewayV2::Authorizer").items()
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    (pool_id,) = resources(template, "AWS::Cognito::UserPool")
    clients = resources(template, "AWS::Cognito::UserPoolClient")
    (client_id,) = [k for k, c in clients.items() if c["Properties"]["ClientName"] == "mkcpp-admin-tool"]
    jwt = authorizer["Properties"]["JwtConfiguration"]
    assert [ref(a) for a in jwt["Audience"]] == [client_id]
    assert pool_id in json.dumps(jwt["Issuer"])
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    for route, _spec in all_routes():
        props = routes[route.route_key]
        if route.auth == "admin":
            assert props["AuthorizationType"] == "JWT", route.route_key
            assert ref(props["AuthorizerId"]) == authorizer_id
        else:
            assert props.get("AuthorizationType", "NONE") == "NONE", route.route_key
            assert "AuthorizerId" not in props


def test_admin_paths_are_never_public(template):
    for route, _spec in all_routes():
        if route.path.startswith("/admin"):
            assert route.auth == "admin", route.route_key
        if route.path.startswith("/console"):
            # the console's pages: each served by a console function, which checks the session itself
            assert route.auth == "session" and _spec.serves_console, route.route_key


def test_the_console_signs_in_with_the_managed_login_code_grant_and_pkce(template):
    clients = resources(template, "AWS::Cognito::UserPoolClient")
    (console,) = [
        c["Properties"] for c in clients.values() if c["Properties"]["ClientName"] == "mkcpp-console"
    ]
    assert console["AllowedOAuthFlows"] == ["code"] and console["AllowedOAuthFlowsUserPoolClient"] is True
    assert sorted(console["AllowedOAuthScopes"]) == ["email", "openid"]
    assert console.get("GenerateSecret", False) is False  # PKCE: no client secret for the function to keep
    assert console["SupportedIdentityProviders"] == ["COGNITO"]
    assert console["PreventUserExistenceErrors"] == "ENABLED"
    assert "/console/callback" in json.dumps(console["CallbackURLs"])
    assert "/console/signed-out" in json.dumps(console["LogoutURLs"])
    (domain,) = resources(template, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["ManagedLoginVersion"] == 2
    assert domain["Properties"]["Domain"] == load_config(cdk_json_context()["mkcpp"]).login_domain_prefix
    (branding,) = resources(template, "AWS::Cognito::ManagedLoginBranding").values()
    assert branding["Properties"]["UseCognitoProvidedValues"] is True
    # MFA stays required for everyone who signs in, through any client
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["MfaConfiguration"] == "ON"
    assert pool["Properties"]["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_console_functions_are_told_where_to_sign_in(template):
    by_name = functions_by_name(template)
    consoles = {spec.name for spec in FUNCTIONS if spec.serves_console}
    assert consoles >= {"console", "members_console"}
    for name, (_, function) in by_name.items():
        env = function["Properties"]["Environment"]["Variables"]
        if name in consoles:
            assert "cognito-idp.eu-west-2.amazonaws.com" in json.dumps(env["COGNITO_ISSUER"])
            assert set(env) >= {"COGNITO_ISSUER", "COGNITO_CLIENT_ID", "COGNITO_LOGIN_URL", "BASE_URL"}
        else:
            assert "COGNITO_CLIENT_ID" not in env, name


def test_default_stage_is_throttled_and_access_logged_as_json(template):
    config = load_config(cdk_json_context()["mkcpp"])
    (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": config.api_throttle_burst,
        "ThrottlingRateLimit": config.api_throttle_rate,
    }
    log_group = template["Resources"][ref(props["AccessLogSettings"]["DestinationArn"])]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == config.log_retention_days
    fields = json.loads(props["AccessLogSettings"]["Format"])
    assert fields["requestId"] == "$context.requestId"
    # no personal data in access logs: no caller IP, no user agent, no raw path or query
    assert not {"$context.identity.sourceIp", "$context.identity.userAgent", "$context.path"} & set(
        fields.values()
    )


def test_lambda_permissions_only_for_this_api(template):
    (api_id,) = resources(template, "AWS::ApiGatewayV2::Api")
    permissions = resources(template, "AWS::Lambda::Permission").values()
    assert permissions
    for permission in permissions:
        props = permission["Properties"]
        assert props["Principal"] == "apigateway.amazonaws.com"
        assert api_id in json.dumps(props["SourceArn"])


def test_user_pool_is_locked_down(template):
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up
    assert props["MfaConfiguration"] == "ON"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    assert props["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"
    assert props["UserPoolTier"] == "PLUS"
    assert props["DeletionProtection"] == "ACTIVE"
    assert pool["DeletionPolicy"] == "Retain"


def test_admin_client_has_no_secret_and_short_lived_tokens(template):
    (client,) = [
        c
        for c in resources(template, "AWS::Cognito::UserPoolClient").values()
        if c["Properties"]["ClientName"] == "mkcpp-admin-tool"
    ]
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    assert set(props["ExplicitAuthFlows"]) <= {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert props["AllowedOAuthFlowsUserPoolClient"] is False
    assert props["TokenValidityUnits"]["AccessToken"] == props["TokenValidityUnits"]["IdToken"] == "minutes"
    assert props["AccessTokenValidity"] <= 60
    assert props["IdTokenValidity"] <= 60
    assert props["PreventUserExistenceErrors"] == "ENABLED"


def test_admins_group_matches_what_the_handlers_check(template):
    from shared.web import ADMIN_GROUP as HANDLER_ADMIN_GROUP

    (group,) = resources(template, "AWS::Cognito::UserPoolGroup").values()
    assert group["Properties"]["GroupName"] == ADMIN_GROUP == HANDLER_ADMIN_GROUP


def test_stack_outputs(template):
    outputs = template["Outputs"]
    assert {
        "ApiUrl",
        "UserPoolId",
        "AdminClientId",
        "AdminGroupName",
        "SigningKeySecretArn",
        "LookupKeySecretArn",
    } <= set(outputs)
    (api_id,) = resources(template, "AWS::ApiGatewayV2::Api")
    assert outputs["ApiUrl"]["Value"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
    for output, described in (
        ("SigningKeySecretArn", "token-signing key"),
        ("LookupKeySecretArn", "email-lookup key"),
    ):
        (secret_id,) = [
            lid
            for lid, secret in resources(template, "AWS::SecretsManager::Secret").items()
            if described in secret["Properties"]["Description"]
        ]
        assert outputs[output]["Value"] == {"Ref": secret_id}
    # behind the WAF, the public address is CloudFront's
    (distribution_id,) = resources(template, "AWS::CloudFront::Distribution")
    assert outputs["PublicUrl"]["Value"]["Fn::Join"][1][1] == {"Fn::GetAtt": [distribution_id, "DomainName"]}
