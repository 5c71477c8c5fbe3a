"""Functions run as Lambda runs them: each in its own long-lived process, one event at a time.

A `Worker` is one execution environment: a `python -m infra.local.worker` process started with
the function's environment, which imports the handler once (the cold start) and then serves
invocations. A `FunctionPool` keeps a function's idle workers and starts another when all are
busy, as Lambda scales out. A timeout or an init failure discards the worker, as Lambda does.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from infra.declaration import FunctionSpec
from infra.local import ROOT

INIT_TIMEOUT_SECONDS = 30  # generous: Lambda allows 10 s, but a laptop importing three handlers is slower
MAX_WORKERS_PER_FUNCTION = 4


class Console:
    """Whole lines from many threads, never interleaved."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(text.rstrip("\n") + "\n")
            stream.flush()


@dataclass(frozen=True)
class Invocation:
    ok: bool
    result: Any = None
    error: Mapping[str, Any] | None = None
    duration_ms: float = 0.0
    init_ms: float | None = None  # set on a cold start


class Worker:
    def __init__(self, spec: FunctionSpec, env: Mapping[str, str], console: Console) -> None:
        self.spec = spec
        self._console = console
        child_in, parent_out = os.pipe()  # requests: we write, the worker reads
        parent_in, child_out = os.pipe()  # results: the worker writes, we read
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.local.worker", str(child_in), str(child_out)],
                env=dict(env),
                cwd=ROOT,
                pass_fds=(child_in, child_out),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            os.close(child_in)
            os.close(child_out)
        self._requests = os.fdopen(parent_out, "w", encoding="utf-8")
        self._results: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._initialised = False
        self._dead = False
        threading.Thread(target=self._read_results, args=(parent_in,), daemon=True).start()
        threading.Thread(target=self._forward_logs, daemon=True).start()

    @property
    def alive(self) -> bool:
        return not self._dead and self.process.poll() is None

    def _read_results(self, fd: int) -> None:
        with os.fdopen(fd, "r", encoding="utf-8") as results:
            for line in results:
                try:
                    self._results.put(json.loads(line))
                except ValueError:
                    self._console.line(f"{self.spec.name} | (unreadable message from the worker)")
        self._results.put(None)

    def _forward_logs(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self._console.line(f"{self.spec.name} | {raw.decode('utf-8', 'replace').rstrip()}")

    def _next(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._results.get(timeout=timeout)
        except queue.Empty:
            return {"type": "timeout"}

    def invoke(self, event: Any, *, request_id: str | None = None) -> Invocation:
        started = time.perf_counter()
        init_ms: float | None = None
        if not self._initialised:
            message = self._next(INIT_TIMEOUT_SECONDS)
            if message is None or message.get("type") != "init" or not message.get("ok"):
                self.discard()
                reason = "timed out" if message and message.get("type") == "timeout" else "failed"
                error = (message or {}).get("error") or {
                    "errorType": "Runtime.InitError",
                    "errorMessage": f"the function's init phase {reason}",
                }
                return Invocation(False, error=error, duration_ms=_since(started))
            self._initialised = True
            init_ms = float(message.get("ms", 0))
            self._console.line(f"{self.spec.name} | cold start: handler imported in {init_ms:.0f} ms")
        timeout = self.spec.timeout_seconds
        request = {
            "event": event,
            "request_id": request_id or str(uuid.uuid4()),
            "deadline_ms": int(time.time() * 1000) + timeout * 1000,
        }
        try:
            self._requests.write(json.dumps(request, separators=(",", ":")) + "\n")
            self._requests.flush()
        except (BrokenPipeError, ValueError):
            self.discard()
            return Invocation(False, error={"errorType": "Runtime.ExitError", "errorMessage": "worker gone"})
        message = self._next(timeout)
        if message is None:
            self.discard()
            error = {"errorType": "Runtime.ExitError", "errorMessage": "the function's process exited"}
            return Invocation(False, error=error, duration_ms=_since(started), init_ms=init_ms)
        if message.get("type") == "timeout":
            self._console.line(f"{self.spec.name} | Task timed out after {timeout:.2f} seconds")
            self.discard()
            error = {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout} s"}
            return Invocation(False, error=error, duration_ms=_since(started), init_ms=init_ms)
        if not message.get("ok"):
            return Invocation(False, error=message.get("error"), duration_ms=_since(started), init_ms=init_ms)
        return Invocation(True, result=message.get("result"), duration_ms=_since(started), init_ms=init_ms)

    def discard(self) -> None:
        """Kill at once (a timeout, a failed init)."""
        self._dead = True
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait()

    def stop(self, grace: float = 3.0) -> None:
        """Close its input: it finishes what it is doing and exits; killed after `grace` seconds."""
        self._dead = True
        with contextlib.suppress(OSError):
            self._requests.close()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(self.process, signal.SIGKILL)
            self.process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


class FunctionPool:
    """A function's execution environments: idle ones are reused, busy ones make a new one."""

    def __init__(
        self,
        spec: FunctionSpec,
        env: Mapping[str, str],
        console: Console,
        max_workers: int = MAX_WORKERS_PER_FUNCTION,
    ) -> None:
        self.spec = spec
        self._env = dict(env)
        self._console = console
        self._max = max_workers
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        self._condition = threading.Condition()
        self._stopped = False

    def prewarm(self) -> None:
        with self._condition:
            if not self._all and not self._stopped:
                worker = Worker(self.spec, self._env, self._console)
                self._all.append(worker)
                self._idle.append(worker)

    def _acquire(self) -> Worker:
        with self._condition:
            while True:
                if self._stopped:
                    raise RuntimeError("local mode is stopping")
                for dead in [w for w in self._idle if not w.alive]:
                    self._idle.remove(dead)
                    self._all.remove(dead)
                if self._idle:
                    return self._idle.pop()
                if len(self._all) < self._max:
                    worker = Worker(self.spec, self._env, self._console)
                    self._all.append(worker)
                    return worker
                self._condition.wait()

    def _release(self, worker: Worker) -> None:
        with self._condition:
            if worker.alive and not self._stopped:
                self._idle.append(worker)
            elif worker in self._all:
                self._all.remove(worker)
            self._condition.notify()

    def invoke(self, event: Any, *, request_id: str | None = None) -> Invocation:
        worker = self._acquire()
        try:
            return worker.invoke(event, request_id=request_id)
        finally:
            self._release(worker)

    def pids(self) -> list[int]:
        with self._condition:
            return [w.process.pid for w in self._all if w.alive]

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            workers = list(self._all)
            self._condition.notify_all()
        for worker in workers:
            worker.stop()


class Functions:
    """Every declared function, by name."""

    def __init__(
        self,
        specs: Iterable[FunctionSpec],
        env_for: Callable[[FunctionSpec], Mapping[str, str]],
        console: Console,
    ) -> None:
        self._pools = {spec.name: FunctionPool(spec, env_for(spec), console) for spec in specs}

    def prewarm(self) -> None:
        for pool in self._pools.values():
            pool.prewarm()

    def invoke(self, name: str, event: Any, *, request_id: str | None = None) -> Invocation:
        return self._pools[name].invoke(event, request_id=request_id)

    def pids(self) -> list[int]:
        return [pid for pool in self._pools.values() for pid in pool.pids()]

    def stop(self) -> None:
        threads = [threading.Thread(target=pool.stop) for pool in self._pools.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
