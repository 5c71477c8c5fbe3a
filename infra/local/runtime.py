"""`make run`: start everything, print where it is, and stop everything on Ctrl-C or SIGTERM.

Start-up order, chosen so the slow parts overlap: hold the state directory, bind the gateway's
port (a busy port fails here, before anything starts), start DynamoDB Local (the JVM boots in
the background), start one worker per function (handlers import meanwhile), start moto and
provision it, wait for DynamoDB Local and create the tables, then serve.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any
from zoneinfo import ZoneInfo

from werkzeug.serving import BaseWSGIServer, make_server

from infra.config import ConfigError
from infra.declaration import (
    SES_EVENTS,
    all_routes,
    all_schedules,
    catch_all,
    consumers_of,
    functions,
    queues,
)
from infra.local import DEFAULT_STATE_DIR
from infra.local.auth import ADMIN_GROUP, Authorizer, mint
from infra.local.cognito import LocalLogin, PoolAccounts, load_or_create_key
from infra.local.cron import ExpressionError
from infra.local.environment import USER_POOL_ID, deployment_config, function_environment, local_queue_url
from infra.local.functions import Console, Functions, Invocation
from infra.local.gateway import Gateway, Site
from infra.local.outbox import Outbox
from infra.local.queues import EmailEvents, QueuePoller, WorkQueues, provision_queue
from infra.local.scheduler import Scheduler
from infra.local.services import Services, StartupError, boto_client
from infra.local.state import ADMIN_TOKEN, JWT_KEY, StateDir, StateLocked

# a part of local mode that takes longer than this to stop says so (tests allow 30 s for all of it)
SLOW_STOP_SECONDS = 5.0


@dataclass(frozen=True)
class Options:
    port: int = 3000
    state_dir: Path = DEFAULT_STATE_DIR
    in_memory: bool = False
    scheduler: bool = True


class _Pending:
    """The gateway's WSGI app until everything behind it is ready."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"message": "Service Unavailable"}']
        return self.app(environ, start_response)


class LocalMode:
    def __init__(self, options: Options, console: Console) -> None:
        self.options = options
        self.console = console
        self.state = StateDir(options.state_dir)
        self._lock: IO[str] | None = None
        self._server: BaseWSGIServer | None = None
        self._serving: threading.Thread | None = None
        self._services: Services | None = None
        self._functions: Functions | None = None
        self._scheduler: Scheduler | None = None
        self._email_events: EmailEvents | None = None
        self._work_queues: WorkQueues | None = None
        self._app = _Pending()
        self.runtime: dict[str, Any] = {}

    # --- start -----------------------------------------------------------------------------------

    def start(self) -> None:
        started = time.perf_counter()
        options = self.options
        try:
            self._lock = self.state.lock()
        except StateLocked:
            raise StartupError(
                f"another local mode is running with state directory {options.state_dir} "
                f"(see {self.state.runtime_file}); stop it first"
            ) from None
        try:
            config = deployment_config()
        except ConfigError as exc:
            raise StartupError(str(exc).replace("\n", " ")) from None
        try:
            zone = ZoneInfo(config.time_zone)
            self._scheduler = Scheduler(all_schedules(), zone, self._invoke, self.console)
        except ExpressionError as exc:
            raise StartupError(f"a schedule in infra/declaration.py has a bad expression: {exc}") from None

        with _listen(options.port) as listening:  # werkzeug would print its own two lines and exit
            self._server = make_server("127.0.0.1", 0, self._app, threaded=True, fd=listening.fileno())
        port = self._server.port
        base_url = f"http://127.0.0.1:{port}"

        key_secrets = self.state.key_secrets()
        jwt_key = self.state.secret(JWT_KEY)
        data_dir = None if options.in_memory else self.state.dynamodb_data
        self._services = services = Services(data_dir=data_dir, log_path=self.state.dynamodb_log)
        services.start()
        endpoints = services.endpoints

        self._functions = Functions(
            functions(), lambda spec: function_environment(spec, config, endpoints, base_url), self.console
        )
        self._functions.prewarm()

        tables = services.provision(config, key_secrets)
        self._email_events = self._email_event_queues(endpoints.moto, config.sender)
        self._work_queues = WorkQueues.provision(
            boto_client("sqs", endpoints.moto),
            queues(),
            functions(),
            self._invoke,
            self.console,
            expected_url=lambda name: local_queue_url(endpoints.moto, name),
        )

        scheduler = self._scheduler
        self._app.app = Gateway(
            routes=all_routes(),
            functions=self._functions,
            authorizer=Authorizer(jwt_key),
            outbox=Outbox(endpoints.moto),
            site=Site(boto_client("s3", endpoints.moto)),
            schedules={p.schedule.name: (p.schedule, p.function) for p in scheduler.plan},
            run_schedule=scheduler.run_now,
            email_events=self._email_events,
            port=port,
            console=self.console,
            login=LocalLogin(
                load_or_create_key(self.state.path),
                base_url,
                PoolAccounts(boto_client("cognito-idp", endpoints.moto), USER_POOL_ID),
            ),
            catch_all=catch_all(),
        )
        self._serving = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="gateway", daemon=True
        )
        self._serving.start()
        if options.scheduler:
            scheduler.start()
        self._email_events.start()
        self._work_queues.start()

        token = mint(jwt_key, groups=[ADMIN_GROUP], sub="local-admin")
        token_file = self.state.write_private(ADMIN_TOKEN, token + "\n")
        self.runtime = {
            "pid": os.getpid(),
            "state_dir": str(options.state_dir.resolve()),
            "in_memory": options.in_memory,
            "port": port,
            "base_url": base_url,
            "urls": {
                "form": f"{base_url}/",
                "api": base_url,
                "outbox": f"{base_url}/_local/outbox",
                "openapi": f"{base_url}/openapi.json",
                "site": f"{base_url}/site/",
                "schedules": f"{base_url}/_local/schedules",
                "console": f"{base_url}/console/",
            },
            "endpoints": {"dynamodb": endpoints.dynamodb, "moto": endpoints.moto},
            "admin_token_file": str(token_file.resolve()),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "startup_seconds": round(time.perf_counter() - started, 2),
        }
        self.state.write_runtime(self.runtime)
        self._banner(tables, token, token_file, config.time_zone)

    def _email_event_queues(self, moto_url: str, sender: str) -> EmailEvents:
        """The declared SES events queue, made as declared (visibility, receives, batch size), and a
        poller for its one consumer, as Lambda's event source mapping would."""
        sqs = boto_client("sqs", moto_url)
        pollers = []
        for spec in consumers_of(SES_EVENTS):
            url, arn = provision_queue(
                sqs,
                SES_EVENTS.local_name,
                visibility_seconds=SES_EVENTS.visibility_timeout_seconds(spec),
                max_receive_count=SES_EVENTS.max_receive_count,
            )
            pollers.append(
                QueuePoller(
                    sqs, url, arn, spec.name, self._invoke, self.console, batch_size=SES_EVENTS.batch_size
                )
            )
        return EmailEvents(pollers, sender, ses=boto_client("sesv2", moto_url))

    def _invoke(self, name: str, event: Any) -> Invocation:
        assert self._functions is not None
        return self._functions.invoke(name, event)

    def _banner(self, tables: dict[str, str], token: str, token_file: Path, time_zone: str) -> None:
        r = self.runtime
        urls, endpoints = r["urls"], r["endpoints"]
        storage = "in memory" if r["in_memory"] else f"data in {self.state.dynamodb_data}"
        created = [name for name, did in tables.items() if did != "kept"]
        lines = [
            f"MKCPP local mode is ready in {r['startup_seconds']:.1f} s",
            f"  sign-up form    {urls['form']}",
            f"  console         {urls['console']}  (sign in as the local administrator)",
            f"  HTTP API        {urls['api']}  (e.g. POST /members, GET /admin/members)",
            f"  outbox          {urls['outbox']}  (DELETE to clear)",
            f"  OpenAPI         {urls['openapi']}",
            f"  site            {urls['site']}",
            f"  DynamoDB Local  {endpoints['dynamodb']}  ({storage}"
            + (f"; tables made: {', '.join(created)})" if created else ")"),
            f"  moto            {endpoints['moto']}  (SES, S3, Scheduler, SQS, Secrets Manager, EventBridge)",
            f"  admin token     {token_file}  (valid 12 h, renewed at each start)",
            f"                  {token}",
            f'  e.g.            curl -H "Authorization: Bearer $(cat {token_file})" '
            f"{r['base_url']}/admin/members",
        ]
        plan = self._scheduler.plan if self._scheduler else []
        if not plan:
            lines.append("  schedules       none declared")
        zone = ZoneInfo(time_zone)
        for planned in plan:
            when = planned.next_run.astimezone(zone).isoformat() if planned.next_run else "never"
            off = "" if self.options.scheduler else " (scheduler off)"
            schedule = planned.schedule
            lines.append(f"  schedule        {schedule.name}: {schedule.expression}, next {when}{off}")
        lines.append("Ctrl-C stops everything.")
        self.console.line("\n".join(lines))

    # --- stop ------------------------------------------------------------------------------------

    def pids(self) -> list[int]:
        functions = self._functions.pids() if self._functions else []
        return functions + (self._services.pids() if self._services else [])

    def stop(self) -> None:
        """Stop whatever was started, in reverse order. Safe to call at any point of `start`."""
        steps: list[tuple[str, Any]] = [
            ("scheduler", self._scheduler),
            ("SQS pollers", self._email_events),
            ("work queue pollers", self._work_queues),
            ("gateway", self._server and _GatewayStopper(self._server, self._serving is not None)),
            ("functions", self._functions),
            ("DynamoDB Local and moto", self._services),
        ]
        for name, part in steps:
            if part is None:
                continue
            started = time.monotonic()
            try:
                part.stop()
            except Exception as exc:  # keep stopping the rest
                self.console.line(f"local mode: stopping {name} failed: {exc!r}")
            took = time.monotonic() - started
            if took > SLOW_STOP_SECONDS:  # a stop that once took over 30 s in all: say which part
                self.console.line(f"local mode: stopping {name} took {took:.1f} s")
        if self.runtime:
            self.state.remove_runtime()
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _listen(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:port, or a StartupError that says why not."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", port))
        listening.listen(128)
    except OSError as exc:
        listening.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} is already in use (another `make run`?): stop it or pass --port"
            ) from None
        raise StartupError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    return listening


@dataclass(frozen=True)
class _GatewayStopper:
    server: BaseWSGIServer
    serving: bool

    def stop(self) -> None:
        if self.serving:
            self.server.shutdown()
        self.server.server_close()


class _Stop(BaseException):
    """SIGINT or SIGTERM arrived."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local", description="Run the whole system locally (DynamoDB Local + moto)."
    )
    parser.add_argument(
        "--port", type=int, default=3000, help="gateway port, 0 for any free one (default 3000)"
    )
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="default .local")
    parser.add_argument("--in-memory", action="store_true", help="DynamoDB Local without disk")
    parser.add_argument("--no-scheduler", action="store_true", help="do not run schedules on their own")
    args = parser.parse_args(argv)
    return Options(
        port=args.port,
        state_dir=args.state_dir.resolve(),
        in_memory=args.in_memory,
        scheduler=not args.no_scheduler,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    console = Console(sys.stdout)
    mode = LocalMode(options, console)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    code = 0
    try:
        mode.start()
        while True:
            signal.pause()
    except _Stop:
        console.line("local mode: stopping ...")
    except StartupError as exc:
        print(f"local mode: {exc}", file=sys.stderr)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        mode.stop()
    if code == 0:
        console.line("local mode: stopped")
    return code
