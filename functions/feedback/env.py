"""The environment of the feedback functions, validated once per cold start."""

import os
from functools import cache

from pydantic import Field

from shared.feedback.models import FeedbackSettings
from shared.settings import DeploymentSettings


class FeedbackEnv(DeploymentSettings):
    feedback_table: str = Field(alias="FEEDBACK_TABLE_NAME")
    audit_table: str | None = Field(None, alias="AUDIT_TABLE_NAME")
    site_bucket: str | None = Field(None, alias="SITE_BUCKET_NAME")
    site_routes: str = Field("bucket", alias="SITE_ROUTES")
    configuration_set: str | None = Field(None, alias="SES_CONFIGURATION_SET")
    sender: str | None = Field(None, alias="SENDER")
    reply_to: str | None = Field(None, alias="REPLY_TO")
    lookup_key_secret: str | None = Field(None, alias="LOOKUP_KEY_SECRET_ID")
    signing_key_secret: str | None = Field(None, alias="SIGNING_KEY_SECRET_ID")
    feedback_settings: str = Field(alias="FEEDBACK_SETTINGS")

    @property
    def feedback(self) -> FeedbackSettings:
        return FeedbackSettings.from_json(self.feedback_settings)


@cache
def feedback_env() -> FeedbackEnv:
    return FeedbackEnv.model_validate(dict(os.environ))
