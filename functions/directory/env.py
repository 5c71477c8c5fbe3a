"""The environment of the directory's functions, validated once per cold start."""

import os
from functools import cache

from pydantic import Field

from shared.settings import OGL_NAME, OGL_URL, DeploymentSettings


class DirectoryEnv(DeploymentSettings):
    directory_table: str = Field(alias="DIRECTORY_TABLE_NAME")
    audit_table: str | None = Field(None, alias="AUDIT_TABLE_NAME")
    # the publishers: the site bucket, and where its routes are (a KeyValueStore's ARN, or `bucket`)
    site_bucket: str | None = Field(None, alias="SITE_BUCKET_NAME")
    site_routes: str = Field("bucket", alias="SITE_ROUTES")
    versions_kept: int = Field(10, alias="DIRECTORY_VERSIONS_KEPT", ge=2, le=50)
    # where the admin API and the console ask for a publication too large for a web request
    publish_queue: str | None = Field(None, alias="DIRECTORY_PUBLISH_QUEUE_URL")
    # the licence the published data may be reused under (`infra.config`: data_licence_*)
    licence_name: str = Field(OGL_NAME, alias="DATA_LICENCE_NAME", min_length=1)
    licence_url: str = Field(OGL_URL, alias="DATA_LICENCE_URL", min_length=1)
    # the public forms and the review reminder send email
    configuration_set: str | None = Field(None, alias="SES_CONFIGURATION_SET")
    sender: str | None = Field(None, alias="SENDER")
    reply_to: str | None = Field(None, alias="REPLY_TO")
    lookup_key_secret: str | None = Field(None, alias="LOOKUP_KEY_SECRET_ID")
    signing_key_secret: str | None = Field(None, alias="SIGNING_KEY_SECRET_ID")


@cache
def directory_env() -> DirectoryEnv:
    return DirectoryEnv.model_validate(dict(os.environ))
