"""One function's execution environment: `python -m infra.local.worker IN_FD OUT_FD`.

Started by `infra.local.functions` with exactly the function's environment, so the handler module
is imported (the "init phase") with the settings it would have in Lambda, and its caches stay its
own, as they would in a Lambda execution environment. It then takes invocations one at a time.

Protocol: one JSON object per line. In on IN_FD: `{"event": ..., "request_id": ..., "deadline_ms": ...}`.
Out on OUT_FD: first `{"type": "init", "ok": bool, "ms": float, "error": {...}}`, then for each
invocation `{"type": "result", "ok": true, "result": ...}` or `{"type": "result", "ok": false,
"error": {"errorMessage", "errorType", "stackTrace"}}`. stdout and stderr are the function's logs.

Standard library only: nothing may be imported before the handler but what Lambda's runtime has.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from typing import IO, Any


class LambdaContext:
    """The context object of the Python Lambda runtime (awslambdaric), with the same attributes."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        # a string, as the real runtime reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _error(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def _report(exc: BaseException, phase: str) -> dict[str, Any]:
    """Print the error the way the Lambda runtime logs it, and return its error payload."""
    print(f"[ERROR] {phase}{type(exc).__name__}: {exc}", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.flush()
    return _error(exc)


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, separators=(",", ":")) + "\n")
    out.flush()


def serve(handler_path: str, requests: IO[str], out: IO[str]) -> int:
    if os.environ.get("MKCPP_CALL_LOG"):  # tests only: record AWS calls for the permission check
        from infra.local.calls import install_from_environment

        install_from_environment()
    started = time.perf_counter()
    try:
        module_name, _, attribute = handler_path.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # the init phase failed: Lambda reports it and discards the environment
        _send(out, {"type": "init", "ok": False, "ms": 0, "error": _report(exc, "Init: ")})
        return 1
    _send(out, {"type": "init", "ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)})

    arn = os.environ.get("LOCAL_FUNCTION_ARN", "")
    for line in requests:
        request = json.loads(line)
        context = LambdaContext(request["request_id"], int(request["deadline_ms"]), arn)
        try:
            result = handler(request["event"], context)
            encoded = json.dumps({"type": "result", "ok": True, "result": result}, separators=(",", ":"))
        except Exception as exc:
            _send(out, {"type": "result", "ok": False, "error": _report(exc, "")})
            continue
        except SystemExit as exc:  # a handler calling sys.exit ends its environment, as in Lambda
            _send(out, {"type": "result", "ok": False, "error": _report(exc, "Runtime.ExitError ")})
            return 1
        sys.stdout.flush()
        out.write(encoded + "\n")
        out.flush()
    return 0


def main() -> int:
    # Ctrl-C in a terminal reaches the whole process group: the parent stops us, in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    in_fd, out_fd = int(sys.argv[1]), int(sys.argv[2])
    handler_path = os.environ["_HANDLER"]
    with (
        os.fdopen(in_fd, "r", encoding="utf-8") as requests,
        os.fdopen(out_fd, "w", encoding="utf-8") as out,
    ):
        return serve(handler_path, requests, out)


if __name__ == "__main__":
    sys.exit(main())
