"""`make bench`: cold-start cost and AWS calls per operation, measured in one run.

Machines here are shared and noisy, so figures are ratios taken in the same run (medians of fresh
processes) and counts, which do not depend on the machine:
- cold import of each handler from the built function asset under Python 3.13 (Lambda's runtime,
  with the layer's pinned dependencies built for this machine), against `import boto3` plus
  creating the clients that handler uses, in the same interpreter: wall time, and, when valgrind is
  installed, the instructions each executes (callgrind), a count that machine load cannot move;
- AWS API calls made by one sign-up and one confirmation, cold (first invocation) and warm;
- GDPR export and erasure of one member among 10,000 in DynamoDB Local: AWS calls, median wall time,
  and that time as a ratio to one GetItem round trip of the same run (`tests/bench/gdpr_scale.py`);
- one meeting's reminder run to 1,000 and 10,000 members in local mode's services: emails, wall
  time, AWS calls per 1,000 emails against the floor, and a second run that must send nothing
  (`tests/bench/reminder_scale.py`);
- the Secretary's tasks in the console, in Chromium at 390 and 1280 px (`tests/bench/console_tasks.py`).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

from infra.declaration import FUNCTIONS, FunctionSpec, reads_signing_key, table_access

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
# The import measurement runs with Lambda's own markers set, so Powertools behaves as it does in Lambda.
ENV = {
    **os.environ,
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "AWS_LAMBDA_FUNCTION_NAME": "members_public",
    "LAMBDA_TASK_ROOT": str(ROOT),
    "PYTHONDONTWRITEBYTECODE": "",
}


# Each handler against its floor: `import boto3` plus the clients that handler creates, read from
# what its declaration lets it touch (so a new function is measured, and a new grant widens its floor).
def clients_of(spec: FunctionSpec) -> tuple[str, ...]:
    wanted = {
        "dynamodb": bool(table_access(spec)),
        "sesv2": spec.sends_email or spec.clears_ses_suppressions,
        "secretsmanager": reads_signing_key(spec) or spec.lookup_key,
    }
    return tuple(service for service, used in wanted.items() if used)


HANDLERS = {spec.name: (spec.handler.rsplit(".", 1)[0], clients_of(spec)) for spec in FUNCTIONS}


def floor(clients: tuple[str, ...]) -> str:
    return f"import boto3\ns = boto3.session.Session()\n[s.client(n) for n in {clients!r}]\n"


ONE_PYDANTIC_MODEL = "from pydantic import BaseModel\nclass One(BaseModel):\n    a: int\nOne(a=1)\n"


def with_clients(module: str, clients: tuple[str, ...]) -> str:
    """The handler's whole cold start before its first AWS call: its import, then the clients it
    creates on first use (`shared.aws.client`), which the import alone does not pay for."""
    return f"import {module}\nfrom shared.aws import client\n[client(n) for n in {clients!r}]\n"


@cache
def interpreter() -> tuple[str, dict[str, str], Path]:
    """What Lambda runs: the built function asset (bytecode for 3.13) and the pinned dependencies,
    under Python 3.13. Without a 3.13 here, this checkout under the project's own Python."""
    from infra import build

    python = build.python313()
    if python is None:
        print("bench: no Python 3.13: measuring the source tree under", sys.version, file=sys.stderr)
        return sys.executable, ENV, ROOT
    path = f"{build.FUNCTION_ASSET}:{build.host_dependencies()}"
    asset = build.FUNCTION_ASSET
    return python, {**ENV, "PYTHONPATH": path, "LAMBDA_TASK_ROOT": str(asset)}, asset


def timed(code: str, name: str = "members_public") -> float:
    python, env, cwd = interpreter()
    script = f"import time\nt = time.perf_counter()\n{code}print(time.perf_counter() - t)\n"
    out = subprocess.run(
        [python, "-c", script],
        cwd=cwd,
        env={**env, "AWS_LAMBDA_FUNCTION_NAME": name},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def cold_start() -> dict[str, dict[str, object]]:
    """Cold import of each handler and of its floor, interleaved in one run (bytecode present: the
    first, discarded, run of each writes any the asset lacks)."""
    results = {}
    for name, (module, clients) in HANDLERS.items():
        base_code, handler_code = floor(clients), f"import {module}\n"
        full_code = with_clients(module, clients)
        timed(base_code, name)
        timed(handler_code, name)
        baseline, handler, full = [], [], []
        for _ in range(RUNS):  # interleaved, so drift in machine load hits all alike
            baseline.append(timed(base_code, name))
            handler.append(timed(handler_code, name))
            full.append(timed(full_code, name))
        # Each handler run against the floor run just before it, and the median of those ratios:
        # a burst of load on a shared machine spoils a pair, not the figure.
        pairs = sorted(h / b for b, h in zip(baseline, handler, strict=True))
        results[name] = {
            "floor_ms": round(statistics.median(baseline) * 1000),
            "handler_ms": round(statistics.median(handler) * 1000),
            "ratio": round(statistics.median(pairs), 2),
            "middle_half": [round(pairs[len(pairs) // 4], 2), round(pairs[(3 * len(pairs)) // 4], 2)],
            "with_clients_ratio": round(
                statistics.median(f / b for b, f in zip(baseline, full, strict=True)), 2
            ),
        }
    return results


def instructions(code: str, name: str) -> int:
    """Instructions one fresh interpreter executes to run `code` (Python's start-up included, the
    same for both sides), counted by callgrind."""
    python, env, cwd = interpreter()
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", code],
        cwd=cwd,
        env={**env, "AWS_LAMBDA_FUNCTION_NAME": name},
        capture_output=True,
        text=True,
        check=True,
    )
    collected = [line for line in out.stderr.splitlines() if "Collected" in line]
    return int(collected[-1].split()[-1])


def cold_start_instructions() -> dict[str, dict[str, object]] | None:
    """Each handler's cold import against its floor in instructions executed: deterministic, so one
    run is enough (about a minute per handler). None without valgrind, or with BENCH_INSTRUCTIONS=0."""
    if shutil.which("valgrind") is None or os.environ.get("BENCH_INSTRUCTIONS") == "0":
        return None
    from concurrent.futures import ThreadPoolExecutor

    only = {n for n in os.environ.get("BENCH_HANDLERS", "").split(",") if n}  # e.g. "members_public"
    jobs = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, (module, clients) in HANDLERS.items():
            if only and name not in only:
                continue
            jobs[name] = [
                pool.submit(instructions, code, name)
                for code in (
                    floor(clients),
                    f"import {module}\n",
                    with_clients(module, clients),
                    # what pydantic alone adds to this floor, before any Powertools or project code:
                    # its import, and one one-field model built and used
                    floor(clients) + "from pydantic import BaseModel\n",
                    floor(clients) + ONE_PYDANTIC_MODEL,
                )
            ]
        results: dict[str, dict[str, object]] = {}
        for name, futures in jobs.items():
            b, h, f, p_import, p_model = (future.result() for future in futures)
            results[name] = {
                "floor_millions": round(b / 1e6),
                "handler_millions": round(h / 1e6),
                "ratio": round(h / b, 2),
                "with_clients_millions": round(f / 1e6),
                "with_clients_ratio": round(f / b, 2),
                "floor_plus_pydantic_import_ratio": round(p_import / b, 2),
                "floor_plus_one_pydantic_model_ratio": round(p_model / b, 2),
            }
    return results


def aws_calls() -> dict[str, object]:
    """Invoke the real handler under moto and count every botocore API call by operation."""
    import botocore.client
    import pytest  # noqa: F401  (the handler test support imports it)

    # before the handlers' Logger is made (at import): their INFO lines would go to stdout, before the JSON
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    from tests.handler import conftest as support
    from tests.handler.test_signup import confirm_event, form_event

    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):  # type: ignore[no-untyped-def]
        calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    from moto import mock_aws

    results: dict[str, object] = {}
    env = {}
    for spec in support.FUNCTIONS:
        env.update(
            support.support_env.function_environment(
                spec.name, support.BASE_URL, support.SECRET_ID, support.CONFIGURATION_SET
            )
        )
    os.environ.update(
        {
            **env,
            "AWS_DEFAULT_REGION": "eu-west-2",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    import boto3

    with mock_aws():
        ddb = boto3.client("dynamodb")
        for table in support.TABLES:
            ddb.create_table(**table.create_table_kwargs(table.local_name))
        boto3.client("secretsmanager").create_secret(Name=support.SECRET_ID, SecretString="s" * 64)
        boto3.client("secretsmanager").create_secret(
            Name=support.support_env.LOOKUP_SECRET_ID, SecretString="l" * 64
        )
        boto3.client("ses").verify_email_identity(EmailAddress="no-reply@mkcpp.org.uk")
        support.reset_function_state()
        world = support.World(support.Clock())
        botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
        try:
            for label, event in [
                ("signup_cold", form_event()),
                ("signup_warm", form_event(email="second@example.org")),
            ]:
                calls.clear()
                world.invoke("members_public", event)
                results[label] = {"total": sum(calls.values()), **dict(sorted(calls.items()))}
            sent = world.sent()
            calls.clear()
            world.invoke("members_public", confirm_event(sent[0].token("/members/confirm")))
            results["confirm_warm"] = {"total": sum(calls.values()), **dict(sorted(calls.items()))}
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
    return results


def main() -> None:
    from tests.bench.console_tasks import console_tasks
    from tests.bench.directory_scale import directory_at_scale, uploads_compared
    from tests.bench.gdpr_scale import gdpr_at_scale
    from tests.bench.reminder_scale import reminders_at_scale

    report = {
        "cold_import": cold_start(),
        "cold_import_instructions": cold_start_instructions(),
        "aws_calls": aws_calls(),
        "gdpr_at_scale": gdpr_at_scale(RUNS),
        "directory_at_scale": directory_at_scale(),
        "site_uploads_compared": uploads_compared(),
        "reminders_at_scale": reminders_at_scale(),
        "console_tasks_s": console_tasks(),
        "runs": RUNS,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
