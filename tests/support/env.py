"""The environment a function gets, built from the declaration exactly as the stack builds it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from infra import declaration
from infra.config import load_config
from infra.declaration import Resources, SignIn, environment, function
from infra.local.environment import USER_POOL_ID, USER_POOL_ID_STRATEGY

if TYPE_CHECKING:
    from shared.privacy.register import Holder

ROOT = Path(__file__).resolve().parents[2]
# what every test that talks to moto gives boto3: credentials that could never reach a real account
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-2",
    **USER_POOL_ID_STRATEGY,  # moto gives the administrators' pool the id the functions are told
}
# the email-lookup secret the tests give the functions (the token-signing one is each caller's)
LOOKUP_SECRET_ID = "mkcpp/lookup-key"
# the console's sign-in, as handler tests see it (tests/support/console.py signs its tokens)
SIGN_IN = SignIn(
    issuer="https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_TestPool",
    client_id="test-console-client",
    login_url="https://mkcpp-console.auth.eu-west-2.amazoncognito.com",
    # the administrators' pool as moto makes it (`infra.local.services.provision_user_pool`)
    user_pool_id=USER_POOL_ID,
    user_pool_arn=f"arn:aws:cognito-idp:eu-west-2:123456789012:userpool/{USER_POOL_ID}",
)


def queue_url(name: str) -> str:
    """Where moto (in process) puts a queue made in the handler tests' account."""
    return f"https://sqs.eu-west-2.amazonaws.com/123456789012/{name}"


def deployment_config():
    return load_config(json.loads((ROOT / "cdk.json").read_text())["context"]["mkcpp"])


def function_environment(
    name: str,
    base_url: str,
    secret_id: str,
    configuration_set: str,
    lookup_secret_id: str = LOOKUP_SECRET_ID,
) -> dict[str, str]:
    resources = Resources(
        table_names={t.key: t.local_name for t in declaration.tables()},
        signing_key_secret=secret_id,
        configuration_set=configuration_set,
        lookup_key_secret=lookup_secret_id,
        sign_in=SIGN_IN,
        queue_urls={q.key: queue_url(q.local_name) for q in declaration.queues() if q.source is None},
        bucket_names={b.key: b.local_name for b in declaration.buckets()},
    )
    return environment(function(name), resources, deployment_config().as_environment(base_url))


def declared_holders() -> list[type[Holder]]:
    """The subject-rights register's entries, as the declaration names them (`PERSONAL_DATA`)."""
    from shared.privacy.register import load

    return [load(entry.holder) for entry in declaration.personal_data()]
