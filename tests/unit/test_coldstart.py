"""Garbage collection is paused while a function initialises in Lambda and starts again at its
first invocation (`shared.coldstart`); every declared handler starts it again, and outside Lambda
nothing changes."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.declaration import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import gc
import functions
paused = not gc.isenabled()
from shared.observability import logger

class Context:
    function_name, memory_limit_in_mb, invoked_function_arn, aws_request_id = "f", 128, "arn", "r"

@logger.inject_lambda_context
def first(event, context):
    return gc.isenabled()

@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def second(event, context):
    return gc.isenabled()

after = first({}, Context()), second({"requestContext": {"requestId": "x"}}, Context())
print(paused, *after, gc.get_freeze_count() > 0)
"""


def run(extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LAMBDA_TASK_ROOT"}
    env.update({"PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "eu-west-2", **extra})
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_in_lambda_collection_is_paused_until_the_first_invocation_then_frozen_and_on() -> None:
    assert run({"LAMBDA_TASK_ROOT": str(ROOT)}) == "True True True True"


def test_outside_lambda_nothing_changes() -> None:
    assert run({}) == "False True True False"


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_handler_starts_collection_again_at_its_first_invocation(spec) -> None:
    module, name = spec.handler.rsplit(".", 1)
    handler = getattr(importlib.import_module(module), name)
    # the wrapper itself, not a decorator outside it (functools.wraps would copy its mark outwards)
    code = handler.__code__
    assert code.co_name == "handler" and code.co_filename.endswith("shared/observability.py"), (
        f"{spec.handler}: wear @logger.inject_lambda_context (shared.observability) outermost"
    )
