"""The administrators service a handler needs, built lazily once per warm Lambda."""

from __future__ import annotations

from functools import cache

from functions.administrators.env import administrators_env
from shared.administrators.service import Administrators
from shared.audit import AuditTrail
from shared.aws import client


@cache
def administrators() -> Administrators:
    env = administrators_env()
    return Administrators(
        client("cognito-idp"), env.user_pool_id, AuditTrail(client("dynamodb"), env.audit_table)
    )
