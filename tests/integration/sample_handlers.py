"""Handlers that only the worker tests run (`tests/integration/test_workers.py`); never deployed."""

from __future__ import annotations

import os
import time
from typing import Any

ENV_AT_IMPORT = dict(os.environ)

if os.environ.get("SAMPLE_FAIL_INIT"):
    raise RuntimeError("init failed on purpose")


def echo(event: Any, context: Any) -> dict[str, Any]:
    return {
        "event": event,
        "env_at_import": ENV_AT_IMPORT,
        "pid": os.getpid(),
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }


def boom(event: Any, context: Any) -> None:
    raise ValueError("boom on purpose")


def slow(event: Any, context: Any) -> str:
    time.sleep(float(event["seconds"]))
    return "done"
