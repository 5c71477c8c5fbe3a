"""The local stand-in for EventBridge Scheduler: runs the declared schedules on time.

Each schedule of `infra.declaration.all_schedules()` invokes its function with the schedule's
payload as the event, at the times its expression gives in the deployment's time zone. A rate
schedule first runs one interval after local mode starts (use `POST /_local/schedules/{name}/run`
to run one now). Unlike AWS, a failed run is logged and not retried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from infra.declaration import FunctionSpec, Schedule
from infra.local.cron import Expression, parse
from infra.local.functions import Console, Invocation


@dataclass
class Planned:
    schedule: Schedule
    function: FunctionSpec
    expression: Expression
    next_run: datetime | None


class Scheduler:
    def __init__(
        self,
        schedules: Sequence[tuple[Schedule, FunctionSpec]],
        zone: ZoneInfo,
        invoke: Callable[[str, Any], Invocation],
        console: Console,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._zone = zone
        self._invoke = invoke
        self._console = console
        self._clock = clock
        self._anchor = clock()
        self._plan = [
            Planned(schedule, spec, expression, expression.next_after(self._anchor, zone, self._anchor))
            for schedule, spec in schedules
            for expression in [parse(schedule.expression)]
        ]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def plan(self) -> list[Planned]:
        return list(self._plan)

    def start(self) -> None:
        if self._plan:
            self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def due(self, now: datetime) -> list[Planned]:
        """The schedules whose time has come; each moves on to its next run."""
        fired = []
        for planned in self._plan:
            if planned.next_run is not None and planned.next_run <= now:
                fired.append(planned)
                planned.next_run = planned.expression.next_after(now, self._zone, self._anchor)
        return fired

    def _run(self) -> None:
        while not self._stop.is_set():
            upcoming = [p.next_run for p in self._plan if p.next_run is not None]
            if not upcoming:
                return
            wait = (min(upcoming) - self._clock()).total_seconds()
            if wait > 0 and self._stop.wait(min(wait, 60)):
                return
            for planned in self.due(self._clock()):
                threading.Thread(target=self.fire, args=(planned,), daemon=True).start()

    def run_now(self, name: str) -> Invocation:
        """Run one schedule at once (`POST /_local/schedules/{name}/run`); KeyError if unknown."""
        for planned in self._plan:
            if planned.schedule.name == name:
                return self.fire(planned)
        raise KeyError(name)

    def fire(self, planned: Planned) -> Invocation:
        name, function = planned.schedule.name, planned.function.name
        self._console.line(f"scheduler | {name} -> {function}")
        outcome = self._invoke(function, dict(planned.schedule.payload))
        if outcome.ok:
            self._console.line(f"scheduler | {name} done in {outcome.duration_ms:.0f} ms")
        else:
            error = outcome.error or {}
            reason = f"{error.get('errorType')}: {error.get('errorMessage')}"
            self._console.line(f"scheduler | {name} failed: {reason}")
        return outcome
