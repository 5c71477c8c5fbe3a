"""What every console function knows, from its environment (`infra.declaration.environment` writes it
for each function that serves console pages): where administrators sign in, the one navigation, the
revoked sessions, and (for the audit trail) how each capability's entries are named."""

import json
import os
from functools import cache
from typing import Annotated, Any, NamedTuple

from pydantic import BeforeValidator, Field

from shared.console.session import SignInSettings
from shared.settings import DeploymentSettings
from shared.web import ADMIN_GROUP


class NavItem(NamedTuple):
    label: str
    path: str  # under /console
    summary: str  # its line on the home page ("" for none)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class ConsoleSettings(DeploymentSettings):
    cognito_issuer: str = Field(alias="COGNITO_ISSUER", min_length=1)
    cognito_client_id: str = Field(alias="COGNITO_CLIENT_ID", min_length=1)
    cognito_login_url: str = Field(alias="COGNITO_LOGIN_URL", min_length=1)
    sessions_table: str = Field(alias="CONSOLE_SESSIONS_TABLE_NAME")
    nav: Annotated[list[NavItem], BeforeValidator(_json)] = Field(alias="CONSOLE_NAV")
    audit_table: str | None = Field(None, alias="AUDIT_TABLE_NAME")
    # module of a capability's audit words -> {target prefix: its console page}; the functions that
    # read the audit trail only
    audit_words: Annotated[dict[str, dict[str, str]], BeforeValidator(_json)] = Field(
        default_factory=dict, alias="AUDIT_WORDS"
    )

    # target prefix -> [table env var, pk, sk, attribute, words when gone]: the audit trail's names
    audit_names: Annotated[dict[str, list[str]], BeforeValidator(_json)] = Field(
        default_factory=dict, alias="AUDIT_NAMES"
    )
    user_pool_id: str | None = Field(None, alias="USER_POOL_ID")
    # the help pages: [slug, title, summary] each (the console's root only)
    help: Annotated[list[tuple[str, str, str]], BeforeValidator(_json)] = Field(
        default_factory=list, alias="CONSOLE_HELP"
    )

    @property
    def sign_in(self) -> SignInSettings:
        return SignInSettings(
            issuer=self.cognito_issuer,
            client_id=self.cognito_client_id,
            login_url=self.cognito_login_url,
            base_url=self.base_url,
            group=ADMIN_GROUP,
        )


@cache
def console_settings() -> ConsoleSettings:
    return ConsoleSettings.model_validate(dict(os.environ))
