"""The deployment settings every function receives as environment variables, validated once.

`infra.config.DeploymentConfig.as_environment` writes them (at synth, and for local mode); a
function's own settings model extends `DeploymentSettings` with the resources it declares (tables,
secrets), so no handler reads `os.environ` itself and a missing or malformed value fails the cold
start with the variable's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class FunctionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DeploymentSettings(FunctionSettings):
    group_name: str = Field(alias="GROUP_NAME")
    base_url: str = Field(alias="BASE_URL")
    time_zone: str = Field(alias="TIME_ZONE")
    privacy_notice_version: str = Field(alias="PRIVACY_NOTICE_VERSION")
    reminder_offsets_days: Annotated[list[int], BeforeValidator(_comma_list)] = Field(
        alias="REMINDER_OFFSETS_DAYS", min_length=1
    )
    coordinators: Annotated[list[str], BeforeValidator(_comma_list)] = Field(
        alias="COORDINATORS", min_length=1
    )
    unsubscribe_grace_days: int = Field(alias="UNSUBSCRIBE_GRACE_DAYS", ge=1, le=365)
