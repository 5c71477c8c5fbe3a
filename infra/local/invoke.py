"""`python -m infra.local.invoke FN EVENT_FILE` (`make invoke`): one invocation, like `sam local invoke`.

If a local mode is running (its `runtime.json` in the state directory, its process alive and its
services answering), the function runs against its DynamoDB Local and moto, so what it writes
shows up there. Otherwise ephemeral services are started (moto, DynamoDB Local in memory, with
the tables, the key secrets and the SES identity) and stopped again afterwards.

The function's result is printed to stdout as JSON (its error payload, and exit code 1, if it
failed); its logs go to stderr. EVENT_FILE may be `-` for stdin.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from infra.config import ConfigError
from infra.declaration import function, functions
from infra.local import DEFAULT_STATE_DIR
from infra.local.environment import Endpoints, deployment_config, function_environment
from infra.local.functions import Console, Worker
from infra.local.services import Services, StartupError
from infra.local.state import StateDir

EPHEMERAL_BASE_URL = "http://127.0.0.1:3000"


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


def running_local_mode(state: StateDir) -> dict[str, Any] | None:
    """The runtime.json of a local mode that is really running, or None."""
    runtime = state.read_runtime()
    if not runtime:
        return None
    try:
        os.kill(int(runtime["pid"]), 0)
        endpoints = runtime["endpoints"]
    except (KeyError, ValueError, TypeError, ProcessLookupError, PermissionError):
        return None
    if not all(_answers(endpoints[name]) for name in ("dynamodb", "moto")):
        return None
    return runtime


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.invoke", description=__doc__.splitlines()[0])
    parser.add_argument("function", help=f"one of: {', '.join(f.name for f in functions())}")
    parser.add_argument("event", help="a JSON event file, or - for stdin")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    args = parser.parse_args(argv)

    console = Console(sys.stderr)
    try:
        spec = function(args.function)
    except KeyError as exc:
        console.line(f"invoke: {exc.args[0]}")
        return 2
    try:
        text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text(encoding="utf-8")
        event = json.loads(text)
    except (OSError, ValueError) as exc:
        console.line(f"invoke: cannot read the event {args.event}: {exc}")
        return 2
    try:
        config = deployment_config()
    except ConfigError as exc:
        console.line(f"invoke: {exc}")
        return 2

    signal.signal(signal.SIGTERM, _interrupt)
    state = StateDir(args.state_dir)
    services: Services | None = None
    worker: Worker | None = None
    try:
        runtime = running_local_mode(state)
        if runtime is not None:
            endpoints = Endpoints(**runtime["endpoints"])
            base_url = str(runtime["base_url"])
            console.line(f"invoke: using the local mode running at {base_url}")
        else:
            console.line("invoke: no local mode running: starting moto and DynamoDB Local (in memory)")
            services = Services(data_dir=None, log_path=None)
            services.start()
            endpoints, base_url = services.endpoints, EPHEMERAL_BASE_URL
        # the handler imports while DynamoDB Local boots
        worker = Worker(spec, function_environment(spec, config, endpoints, base_url), console)
        if services is not None:
            services.provision(config, state.key_secrets())
        outcome = worker.invoke(event)
    except StartupError as exc:
        console.line(f"invoke: {exc}")
        return 1
    except KeyboardInterrupt:
        console.line("invoke: interrupted")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if worker is not None:
            worker.stop()
        if services is not None:
            services.stop()
    cold = f", cold start {outcome.init_ms:.0f} ms" if outcome.init_ms is not None else ""
    verdict = "succeeded" if outcome.ok else "failed"
    console.line(f"invoke: {spec.name} {verdict} in {outcome.duration_ms:.0f} ms{cold}")
    try:
        print(json.dumps(outcome.result if outcome.ok else outcome.error, indent=2), flush=True)
    except BrokenPipeError:  # `... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
