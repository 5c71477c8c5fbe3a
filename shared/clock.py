"""Time, in one place, so tests can pass a fixed `now` (and move how long something has been cached)."""

import time
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def monotonic() -> float:
    """Seconds on a clock that never goes back, to tell how long something has been cached (the
    secrets' five minutes): tests move it with the rest of their clock."""
    return time.monotonic()


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with seconds, e.g. 2026-11-28T10:53:27Z: sorts as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())
