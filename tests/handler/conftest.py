"""Handler tests: the real handlers against moto, with tables built from the synthesized template."""

from __future__ import annotations

import copy
import importlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend

from infra import declaration
from infra.declaration import FUNCTIONS, TABLES, function
from infra.local import ses_suppression
from tests.support import env as support_env
from tests.support import permissions
from tests.support.lambda_context import FakeContext
from tests.support.mail import Received, parse

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://api.mkcpp.test"
SECRET_ID = "mkcpp/signing-key"
SIGNING_SECRET, LOOKUP_SECRET = "s" * 64, "l" * 64  # the two secrets' values at the start of each test
CONFIGURATION_SET = "mkcpp-test"
REGION = "eu-west-2"
ACCOUNT = "123456789012"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / name).read_text())


@pytest.fixture(scope="session")
def table_definitions() -> dict[str, dict[str, Any]]:
    """create_table arguments read from the synthesized CloudFormation template."""
    from tests.support.cdk import synth_template, table_definitions

    return table_definitions(synth_template())


@pytest.fixture(scope="session")
def function_environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for spec in FUNCTIONS:
        env.update(support_env.function_environment(spec.name, BASE_URL, SECRET_ID, CONFIGURATION_SET))
    return env


def reset_function_state() -> None:
    """Forget what a warm Lambda would remember: cached env, clients, keys, services, secrets."""
    from aws_lambda_powertools.utilities.parameters import base

    base.clear_caches()
    base.DEFAULT_PROVIDERS.clear()  # type: ignore[attr-defined]
    # With POWERTOOLS_METRICS_DISABLED, log_metrics never clears its buffer: across a session one
    # metric reaches Powertools' 100-value limit and its auto-flush fails ("must contain a namespace").
    from shared.observability import metrics

    metrics.clear_metrics()
    for name, module in list(sys.modules.items()):
        if name.startswith(("functions.", "shared.")):
            for attribute in list(vars(module).values()):
                if callable(getattr(attribute, "cache_clear", None)):
                    attribute.cache_clear()
    # With metrics disabled (as here), Powertools never flushes, so metrics pile up across tests
    # until its 100-metric auto-flush fails for want of a namespace: start each test with none.
    from shared.observability import metrics

    metrics.clear_metrics()


# What differs between functions' environments although every handler runs in this one process
# (most variables are the same for all: the session-wide environment holds them).
OWN = (
    "POWERTOOLS_SERVICE_NAME",
    "CONSOLE_NAV",
    "AUDIT_WORDS",
    "AUDIT_NAMES",
    "CONSOLE_HELP",
    "USER_POOL_ID",
    "PERSONAL_DATA",
)


@contextmanager
def own_environment(name: str) -> Iterator[None]:
    """The function's own values of the variables that differ, while its handler runs, as if it ran
    in its own execution environment; the settings read from them are read again."""
    from shared.console.settings import console_settings

    own = support_env.function_environment(name, BASE_URL, SECRET_ID, CONFIGURATION_SET)
    saved = {key: os.environ.get(key) for key in OWN}
    for key in OWN:
        if key in own:
            os.environ[key] = own[key]
        else:
            os.environ.pop(key, None)
    console_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        console_settings.cache_clear()


class Response:
    def __init__(
        self, status: int, headers: dict[str, str], body: str, cookies: list[str] | None = None
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.cookies = cookies or []

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.body[:300]}>"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)
        # `TEST_CLOCK_HOUR=H`: today at H:00 UTC instead, to run the suite as if at another hour
        # (a test that moved the clock by days and one hour once passed only in the afternoon)
        hour = os.environ.get("TEST_CLOCK_HOUR")
        if hour:
            at = self.now.replace(hour=int(hour), minute=0, second=0)
            self.now = at if at <= self.now else at - timedelta(days=1)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class World:
    """The AWS account as the handlers see it, and what a person would notice."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.ddb = boto3.client("dynamodb", region_name=REGION)

    def invoke(self, function_name: str, event: dict[str, Any]) -> dict[str, Any]:
        spec = function(function_name)
        module_path, _, attribute = spec.handler.rpartition(".")
        module = importlib.import_module(module_path)
        with own_environment(spec.name), permissions.calls_of(spec.name):
            return getattr(module, attribute)(copy.deepcopy(event), FakeContext(function_name=spec.name))

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        """Send an HTTP request through the declared route's real handler, as API Gateway would."""
        from tests.support.events import http_event

        name, event = http_event(method, path, **kwargs)
        result = self.invoke(name, event)
        return Response(
            result["statusCode"], result.get("headers") or {}, result.get("body") or "", result.get("cookies")
        )

    def admin(self, method: str, path: str, **kwargs: Any) -> Response:
        from tests.support.events import ADMIN

        return self.request(method, path, claims=ADMIN, **kwargs)

    def ses_suppresses(self, address: str, reason: str = "BOUNCE") -> None:
        """What SES itself does on a hard bounce or a complaint, for our configuration set's
        suppression options: it puts the plain address on the account-level suppression list."""
        boto3.client("sesv2", region_name=REGION).put_suppressed_destination(
            EmailAddress=address, Reason=reason
        )

    def ses_suppressed(self) -> dict[str, str]:
        """The addresses SES's account-level suppression list holds (moto's stand-in for it)."""
        return dict(ses_suppression.suppressed(get_backend("sesv2")[ACCOUNT][REGION]))

    def sent(self) -> list[Received]:
        backend = get_backend("ses")[ACCOUNT][REGION]
        return [parse(message.raw_data) for message in backend.sent_messages]

    def items(self, table_key: str) -> list[dict[str, Any]]:
        from shared.dynamo import from_item

        name = next(t.local_name for t in TABLES if t.key == table_key)
        pages = self.ddb.get_paginator("scan").paginate(TableName=name)
        return [from_item(item) for page in pages for item in page["Items"]]

    def members(self) -> list[dict[str, Any]]:
        return [i for i in self.items("members") if i["sk"] == "PROFILE"]

    def clear_idempotency(self) -> None:
        """Let the 10-minute idempotency window pass (records expire by time, not by test)."""
        name = next(t.local_name for t in TABLES if t.key == "idempotency")
        for item in self.ddb.scan(TableName=name)["Items"]:
            self.ddb.delete_item(TableName=name, Key={"id": item["id"]})

    def put_meeting(self, title: str, starts_at: str, ends_at: str, location: str) -> None:
        from shared.dynamo import to_item

        self.ddb.put_item(
            TableName=next(t.local_name for t in TABLES if t.key == "meetings"),
            Item=to_item(
                {
                    "pk": "MEETING#m1",
                    "sk": "MEETING",
                    "id": "m1",
                    "title": title,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "location": location,
                    "listing": "public",
                }
            ),
        )


@pytest.fixture
def clock() -> Clock:
    return Clock()


SEEN: list[permissions.Call] = []  # every call of the session, for the summary at the end


@pytest.fixture(scope="session")
def policy_check() -> permissions.PolicyCheck:
    from tests.support.cdk import synth_template

    permissions.install()
    return permissions.policy_check(synth_template(), SECRET_ID, CONFIGURATION_SET)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The AWS operations each function was seen to make, checked against its policy."""
    if not SEEN:
        return
    terminalreporter.section("AWS calls checked against each function's synthesized policy")
    for name, used in permissions.summary(SEEN).items():
        terminalreporter.write_line(f"{name}: {', '.join(used)}")


@pytest.fixture
def aws(monkeypatch, table_definitions, function_environment, clock, policy_check):
    for key, value in {
        **function_environment,
        **support_env.FAKE_CREDENTIALS,
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr("shared.clock.utc_now", lambda: clock.now)
    # the five-minute secret cache runs on the same clock, so a test can let five minutes pass
    monkeypatch.setattr("shared.clock.monotonic", lambda: clock.now.timestamp())
    # moto lacks SES's account-level suppression list, which erasure, lifting a suppression and
    # profile removal use: a stand-in answers as SES does, so those calls really run (and each is
    # checked against the calling function's policy, like every other call)
    ses_suppression.install()
    # moto's fake here answers botocore only: publications upload through it (the AWS CRT's uploads
    # are tested against moto's server: tests/integration/test_site_uploads.py and local mode)
    monkeypatch.setattr("shared.site.uploads.IN_PROCESS_FAKE", True)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        for spec in TABLES:
            ddb.create_table(**table_definitions[spec.key])
        sqs = boto3.client("sqs", region_name=REGION)
        for queue in declaration.queues():
            if queue.source is None:  # the work queues functions fill (SES's comes from SNS)
                sqs.create_queue(QueueName=queue.local_name)
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in declaration.buckets():
            s3.create_bucket(
                Bucket=bucket.local_name, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        secrets = boto3.client("secretsmanager", region_name=REGION)
        secrets.create_secret(Name=SECRET_ID, SecretString=SIGNING_SECRET)
        from infra.local.services import provision_user_pool

        provision_user_pool(boto3.client("cognito-idp", region_name=REGION))
        secrets.create_secret(Name=support_env.LOOKUP_SECRET_ID, SecretString=LOOKUP_SECRET)
        sender = json.loads((ROOT / "cdk.json").read_text())["context"]["mkcpp"]["sender"]
        boto3.client("ses", region_name=REGION).verify_email_identity(
            EmailAddress=sender.split("<")[-1].rstrip(">")
        )
        reset_function_state()
        permissions.drain()
        yield World(clock)
        reset_function_state()
    # Then every AWS call each handler made is allowed by that function's own synthesized policy
    calls = permissions.drain()
    SEEN.extend(calls)
    problems = policy_check.check(calls)
    assert not problems, "calls the deployed roles would refuse (AccessDenied in AWS):\n" + "\n".join(
        problems
    )
