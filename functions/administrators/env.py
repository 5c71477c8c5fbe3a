"""The environment of the administrators' console function, validated once per cold start."""

import os
from functools import cache

from pydantic import Field

from shared.settings import DeploymentSettings


class AdministratorsEnv(DeploymentSettings):
    user_pool_id: str = Field(alias="USER_POOL_ID")
    audit_table: str = Field(alias="AUDIT_TABLE_NAME")


@cache
def administrators_env() -> AdministratorsEnv:
    return AdministratorsEnv.model_validate(dict(os.environ))
