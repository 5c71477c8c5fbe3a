"""Each function in its own process, as Lambda isolates it: its own environment from before its
import, errors and timeouts handled the way Lambda handles them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from infra.declaration import FunctionSpec
from infra.local.environment import Endpoints, deployment_config, function_environment
from infra.local.functions import Console, FunctionPool

pytestmark = pytest.mark.integration

ENDPOINTS = Endpoints(dynamodb="http://127.0.0.1:9", moto="http://127.0.0.1:9")
HANDLERS = "tests.integration.sample_handlers"


class Recorder(Console):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def count(self, text: str, at_least: int = 1, timeout: float = 5.0) -> int:
        """How many lines hold `text`, waiting a moment: logs travel on their own pipe."""
        deadline = time.monotonic() + timeout
        while True:
            found = sum(text in line for line in list(self.lines))
            if found >= at_least or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


def spec(name: str, handler: str, timeout: int = 5) -> FunctionSpec:
    handler_path = f"{HANDLERS}.{handler}"
    return FunctionSpec(name=name, handler=handler_path, description="test", timeout_seconds=timeout)


@pytest.fixture
def console() -> Recorder:
    return Recorder()


@pytest.fixture
def pools(console: Recorder) -> Iterator[list[FunctionPool]]:
    made: list[FunctionPool] = []
    yield made
    for pool in made:
        pool.stop()


def pool_for(
    pools: list[FunctionPool], console: Recorder, fn: FunctionSpec, **extra_env: str
) -> FunctionPool:
    env = {**function_environment(fn, deployment_config(), ENDPOINTS, "http://127.0.0.1:3000"), **extra_env}
    pool = FunctionPool(fn, env, console)
    pools.append(pool)
    return pool


def test_a_function_sees_its_own_environment_from_before_its_import(
    pools: list[FunctionPool], console: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKED_FROM_THE_SHELL", "1")
    first = pool_for(pools, console, spec("first", "echo"))
    second = pool_for(pools, console, spec("second", "echo"))

    one, two = first.invoke({"n": 1}), second.invoke({"n": 2})

    assert one.ok, one.error
    assert two.ok, two.error
    assert one.result["event"] == {"n": 1}
    env = one.result["env_at_import"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "first"
    assert env["POWERTOOLS_SERVICE_NAME"] == "first"
    assert env["BASE_URL"] == "http://127.0.0.1:3000"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == ENDPOINTS.dynamodb
    assert "LEAKED_FROM_THE_SHELL" not in env
    assert two.result["env_at_import"]["AWS_LAMBDA_FUNCTION_NAME"] == "second"
    assert one.result["pid"] != two.result["pid"]
    context = one.result["context"]
    assert context["function_name"] == "first"
    assert context["memory_limit_in_mb"] == "512"
    assert context["invoked_function_arn"].endswith(":function:first")
    assert 0 < context["remaining_ms"] <= 5000
    assert one.init_ms is not None


def test_a_warm_function_keeps_its_process(pools: list[FunctionPool], console: Recorder) -> None:
    pool = pool_for(pools, console, spec("warm", "echo"))

    first, second = pool.invoke({}), pool.invoke({})

    assert first.result["pid"] == second.result["pid"]
    assert second.init_ms is None


def test_an_exception_is_an_error_payload_and_a_traceback_on_the_console(
    pools: list[FunctionPool], console: Recorder
) -> None:
    outcome = pool_for(pools, console, spec("boom", "boom")).invoke({})

    assert not outcome.ok
    assert outcome.error is not None
    assert (outcome.error["errorType"], outcome.error["errorMessage"]) == ("ValueError", "boom on purpose")
    assert console.count("[ERROR] ValueError: boom on purpose") == 1
    assert console.count("Traceback") >= 1


def test_a_timeout_ends_the_environment_and_the_next_call_gets_a_new_one(
    pools: list[FunctionPool], console: Recorder
) -> None:
    pool = pool_for(pools, console, spec("slow", "slow", timeout=1))

    timed_out = pool.invoke({"seconds": 5})
    quick = pool.invoke({"seconds": 0})

    assert not timed_out.ok
    assert timed_out.error is not None
    assert timed_out.error["errorType"] == "Sandbox.Timedout"
    assert console.count("Task timed out after") == 1
    assert quick.ok
    assert quick.result == "done"
    assert quick.init_ms is not None  # a fresh environment


def test_a_failed_init_is_reported_and_retried_on_the_next_call(
    pools: list[FunctionPool], console: Recorder
) -> None:
    pool = pool_for(pools, console, spec("broken", "echo"), SAMPLE_FAIL_INIT="1")

    first, second = pool.invoke({}), pool.invoke({})

    for outcome in (first, second):
        assert not outcome.ok
        assert outcome.error is not None
        assert outcome.error["errorType"] == "RuntimeError"
    assert console.count("[ERROR] Init: RuntimeError", at_least=2) == 2
