"""The MKCPP backend stack: thin, composed of one construct per capability on a shared platform.

PlatformConstruct    tables and their AWS Backup plan, signing-key secret, KMS keys (logs, secrets,
                     backups), the alarm topic emailing the coordinators, SES configuration set and its
                     bounce/complaint event path (KMS-encrypted SNS topic -> SQS queue with a DLQ),
                     every declared bucket and work queue
ApiConstruct         HTTP API (throttled, access-logged) and the admins' Cognito user pool
CapabilityConstruct  one per declared capability (`infra.declaration.CAPABILITIES`): its functions,
                     each built by the one helper (`infra.constructs.function.DeclaredFunction`), and
                     their routes on the API

Nothing here names a capability: adding one to the declaration adds its construct.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from infra import declaration
from infra.config import DeploymentConfig
from infra.constructs.api import ApiConstruct
from infra.constructs.capability import CapabilityConstruct
from infra.constructs.capability import construct_id as capability_id
from infra.constructs.edge import ApiEdge
from infra.constructs.function import DeclaredFunction, FunctionAssets, FunctionRuntime
from infra.constructs.platform import PlatformConstruct
from infra.declaration import SITE


class MkcppStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        web_acl_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.group_name}: member sign-up, meetings, feedback and directory backend",
            **kwargs,
        )
        declaration.check()
        Tags.of(self).add("mkcpp:stack", construct_id)
        self.config = config
        self.platform = PlatformConstruct(self, "Platform", alert_addresses=tuple(config.coordinators))
        self.api = ApiConstruct(self, "Api", config=config, log_key=self.platform.log_key)
        self.edge = (
            ApiEdge(
                self,
                "Edge",
                api_url=self.api.url,
                web_acl_arn=web_acl_arn,
                group_name=config.group_name,
                secrets_key=self.platform.secrets_key,
                site=self.platform.buckets[SITE.key],
                site_prefix=SITE.public_prefix or "site/",
                site_routes=self.platform.site_routes,
                domain_name=config.domain_name,
                certificate_arn=config.certificate_arn,
            )
            if web_acl_arn
            else None
        )
        public_url = self.edge.url if self.edge else self.api.url
        sign_in = self.api.add_console_sign_in(config, config.public_base_url or public_url)
        assets = FunctionAssets(self, "FunctionAssets")
        runtime = FunctionRuntime(
            config=config,
            platform=self.platform,
            code=assets.code,
            layer=assets.layer,
            base_url=config.public_base_url or public_url,
            http_environment={"ORIGIN_VERIFY": self.edge.origin_verify} if self.edge else {},
            sign_in=sign_in,
        )
        self.capabilities = [
            CapabilityConstruct(
                self, capability_id(capability.name), capability=capability, runtime=runtime, api=self.api
            )
            for capability in declaration.CAPABILITIES
            if capability.functions
        ]
        self.functions: dict[str, DeclaredFunction] = {
            name: declared for built in self.capabilities for name, declared in built.functions.items()
        }
        self.api.throttle_admin_routes(config.admin_throttle_rate, config.admin_throttle_burst)
        self._outputs()

    def _outputs(self) -> None:
        api = self.api
        CfnOutput(self, "ApiUrl", value=api.url, description="HTTP API endpoint ($default stage)")
        if self.edge:
            CfnOutput(
                self,
                "PublicUrl",
                value=self.edge.url,
                description="The public address (CloudFront and its WAF): point your domain here",
            )
        CfnOutput(
            self, "UserPoolId", value=api.user_pool.user_pool_id, description="Administrators' user pool"
        )
        CfnOutput(
            self,
            "AdminClientId",
            value=api.admin_client.user_pool_client_id,
            description="App client for the admin tool (no secret)",
        )
        CfnOutput(
            self,
            "ConsoleUrl",
            value=f"{self.config.public_base_url or (self.edge.url if self.edge else api.url)}/console/",
            description="The administrators' console: sign in here",
        )
        CfnOutput(
            self,
            "LoginUrl",
            value=api.login_domain.base_url(),
            description="Cognito's managed login for the console",
        )
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.platform.alerts.topic.topic_arn,
            description="SNS topic of the alarms: subscribe each coordinator's email address",
        )
        if self.edge:
            CfnOutput(
                self,
                "DistributionDomain",
                value=self.edge.distribution.distribution_domain_name,
                description="Point your domain's CNAME record here",
            )
        CfnOutput(self, "AdminGroupName", value=api.admin_group.ref, description="Cognito group for /admin")
        CfnOutput(
            self,
            "SigningKeySecretArn",
            value=self.platform.signing_key.secret_arn,
            description="Secrets Manager secret holding the token-signing key (rotate by hand: README)",
        )
        CfnOutput(
            self,
            "LookupKeySecretArn",
            value=self.platform.lookup_key.secret_arn,
            description="Secrets Manager secret holding the email-lookup key (never rotate it)",
        )
