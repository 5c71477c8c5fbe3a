"""The environment of the meetings functions, validated once per cold start."""

import os
from functools import cache

from pydantic import Field

from shared.settings import DeploymentSettings


class MeetingsEnv(DeploymentSettings):
    meetings_table: str = Field(alias="MEETINGS_TABLE_NAME")
    members_table: str | None = Field(None, alias="MEMBERS_TABLE_NAME")
    audit_table: str | None = Field(None, alias="AUDIT_TABLE_NAME")
    signing_key_secret: str | None = Field(None, alias="SIGNING_KEY_SECRET_ID")
    lookup_key_secret: str | None = Field(None, alias="LOOKUP_KEY_SECRET_ID")
    configuration_set: str | None = Field(None, alias="SES_CONFIGURATION_SET")
    sender: str = Field(alias="SENDER")
    reply_to: str = Field(alias="REPLY_TO")
    mail_queue: str | None = Field(None, alias="MEETING_MAIL_QUEUE_URL")
    # the sender's: how long a claimed page is its own, and how many senders share SES's rate
    mail_visibility_seconds: int = Field(720, alias="MEETING_MAIL_VISIBILITY_SECONDS")
    mail_concurrency: int = Field(2, alias="MEETING_MAIL_CONCURRENCY")


@cache
def meetings_env() -> MeetingsEnv:
    return MeetingsEnv.model_validate(dict(os.environ))
