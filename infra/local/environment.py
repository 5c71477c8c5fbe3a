"""The environment each function gets locally: what the cloud gives it, plus where the services are.

The function's own variables come from `infra.declaration.environment`, exactly as the CDK stack
renders them, with local resource names and the deployment settings of `cdk.json`. Added on top,
and only locally: the endpoints of DynamoDB Local and moto, fake credentials, and the variables
the Lambda runtime sets itself. Nothing else leaks in from the developer's shell (no AWS profile,
no real credentials): local mode can never reach a real AWS account.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from infra import declaration
from infra.config import CONTEXT_KEY, DeploymentConfig, load_config
from infra.declaration import FunctionSpec, Resources, SignIn, environment
from infra.local import ACCOUNT_ID, CONFIGURATION_SET, LOOKUP_KEY_SECRET, REGION, ROOT, SIGNING_KEY_SECRET


@dataclass(frozen=True)
class Endpoints:
    dynamodb: str  # DynamoDB Local, e.g. http://127.0.0.1:8000
    moto: str  # moto server: SES, S3, Scheduler, SQS, Secrets Manager, EventBridge


# What local mode runs differently from AWS, and why: a laptop has no SES rate to respect (moto sends
# nothing out), and a person trying it wants a meeting's update in the outbox within two minutes of
# their last edit, not the five minutes AWS waits for quick edits to settle.
LOCAL_SETTINGS = {"meeting_update_minutes": 1, "email_per_second": 100}


def deployment_config(root: Path = ROOT) -> DeploymentConfig:
    context = json.loads((root / "cdk.json").read_text(encoding="utf-8")).get("context", {})
    return load_config({**context.get(CONTEXT_KEY, {}), **LOCAL_SETTINGS})


LOGIN_PATH = "/_local/cognito"  # local mode's stand-in for Cognito's managed login (infra/local/cognito.py)
CONSOLE_CLIENT_ID = "mkcpp-local-console"


# The administrators' user pool in moto (`services.provision_moto`): with moto's HASH strategy for
# pool ids (`USER_POOL_ID_STRATEGY`), a pool of this name in this region always gets this id, so the
# functions can be told it before it is made, as they are told a CDK token in AWS.
USER_POOL_NAME = "mkcpp-admins"
USER_POOL_ID = "eu-west-2_759cdabfd55e42c5189a624dc8d1fe266bda04cd824f6"
USER_POOL_ID_STRATEGY = {"MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH"}


def local_sign_in(base_url: str) -> SignIn:
    return SignIn(
        issuer=base_url + LOGIN_PATH,
        client_id=CONSOLE_CLIENT_ID,
        login_url=base_url + LOGIN_PATH,
        user_pool_id=USER_POOL_ID,
        user_pool_arn=f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{USER_POOL_ID}",
    )


def local_queue_url(moto_url: str, name: str) -> str:
    """The URL moto gives a queue (made at start-up; producers are told it before that)."""
    return f"{moto_url.rstrip('/')}/{ACCOUNT_ID}/{name}"


def local_resources(
    base_url: str = "http://127.0.0.1:3000", moto_url: str = "http://127.0.0.1:5000"
) -> Resources:
    names = {t.key: t.local_name for t in declaration.tables()}
    return Resources(
        queue_urls={
            q.key: local_queue_url(moto_url, q.local_name) for q in declaration.queues() if q.source is None
        },
        sign_in=local_sign_in(base_url),
        bucket_names={b.key: b.local_name for b in declaration.buckets()},
        table_names=names,
        signing_key_secret=SIGNING_KEY_SECRET,
        configuration_set=CONFIGURATION_SET,
        lookup_key_secret=LOOKUP_KEY_SECRET,
    )


def aws_client_environment(endpoints: Endpoints) -> dict[str, str]:
    """What any local AWS client needs: the local endpoints, fake credentials, the region."""
    return {
        "AWS_ENDPOINT_URL": endpoints.moto,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoints.dynamodb,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def function_arn(spec: FunctionSpec) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.name}"


def function_environment(
    spec: FunctionSpec, config: DeploymentConfig, endpoints: Endpoints, base_url: str
) -> dict[str, str]:
    """The complete environment of one function's worker process."""
    env = {
        # the process itself
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",  # Lambda runs in UTC
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "1"),
        # what the Lambda runtime sets
        "LAMBDA_TASK_ROOT": str(ROOT),
        "_HANDLER": spec.handler,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "LOCAL_FUNCTION_ARN": function_arn(spec),
        **aws_client_environment(endpoints),
        # metrics would only flood the console
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    if os.environ.get("MKCPP_CALL_LOG"):  # tests: record AWS calls (infra/local/calls.py)
        env["MKCPP_CALL_LOG"] = os.environ["MKCPP_CALL_LOG"]
    # what the CDK stack gives the function, with local names and the local base URL
    env.update(
        environment(spec, local_resources(base_url, endpoints.moto), config.as_environment(base_url=base_url))
    )
    return env
