"""The console function's environment: the members' (it runs their services) and where to sign in."""

import os
from functools import cache

from pydantic import Field

from functions.members.env import MembersEnv
from shared.console.session import SignInSettings
from shared.web import ADMIN_GROUP


class ConsoleEnv(MembersEnv):
    cognito_issuer: str = Field(alias="COGNITO_ISSUER", min_length=1)
    cognito_client_id: str = Field(alias="COGNITO_CLIENT_ID", min_length=1)
    cognito_login_url: str = Field(alias="COGNITO_LOGIN_URL", min_length=1)


@cache
def console_env() -> ConsoleEnv:
    return ConsoleEnv.model_validate(dict(os.environ))


@cache
def sign_in_settings() -> SignInSettings:
    env = console_env()
    return SignInSettings(
        issuer=env.cognito_issuer,
        client_id=env.cognito_client_id,
        login_url=env.cognito_login_url,
        base_url=env.base_url,
        group=ADMIN_GROUP,
    )
