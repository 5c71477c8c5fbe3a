"""The environment of the member functions, validated once per cold start."""

import json
import os
from functools import cache
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from shared.settings import DeploymentSettings, FunctionSettings


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class BouncesEnv(FunctionSettings):
    members_table: str = Field(alias="MEMBERS_TABLE_NAME")
    lookup_key_secret: str = Field(alias="LOOKUP_KEY_SECRET_ID")  # the only secret it may read
    # a complaint unsubscribes, and that withdrawal is recorded under the notice shown now
    privacy_notice_version: str = Field(alias="PRIVACY_NOTICE_VERSION")


class MembersEnv(BouncesEnv, DeploymentSettings):
    """members_public and members_admin: both send email and keep the audit trail."""

    signing_key_secret: str = Field(alias="SIGNING_KEY_SECRET_ID")
    meetings_table: str = Field(alias="MEETINGS_TABLE_NAME")
    # members_public only: sign-up is idempotent (members_admin has no access to the table at all)
    idempotency_table: str | None = Field(None, alias="IDEMPOTENCY_TABLE_NAME")
    audit_table: str = Field(alias="AUDIT_TABLE_NAME")
    configuration_set: str = Field(alias="SES_CONFIGURATION_SET")
    sender: str = Field(alias="SENDER")
    reply_to: str = Field(alias="REPLY_TO")
    # the pages other capabilities offer a member from their preferences page: [label, path]
    member_pages: Annotated[list[tuple[str, str]], BeforeValidator(_json)] = Field(
        default_factory=list, alias="MEMBER_PAGES"
    )


class RetentionEnv(DeploymentSettings):
    """member_retention: the members table, the audit trail, the grace period and the keys."""

    members_table: str = Field(alias="MEMBERS_TABLE_NAME")
    audit_table: str = Field(alias="AUDIT_TABLE_NAME")
    # the lookup key finds who holds an address on SES's suppression list; it signs nothing
    lookup_key_secret: str = Field(alias="LOOKUP_KEY_SECRET_ID")


@cache
def retention_env() -> RetentionEnv:
    return RetentionEnv.model_validate(dict(os.environ))


@cache
def members_env() -> MembersEnv:
    return MembersEnv.model_validate(dict(os.environ))


@cache
def bounces_env() -> BouncesEnv:
    return BouncesEnv.model_validate(dict(os.environ))
