"""Meeting times: entered and shown in the partnership's time zone (Europe/London), stored as UTC.

A time typed without an offset ("2027-01-12T12:30") is a wall-clock time in London. Twice a year
that is not enough: at 01:00 on the last Sunday of March the clocks go forward, so 01:30 that day
never happens; at 02:00 on the last Sunday of October they go back, so 01:30 happens twice. Both are
refused with words that say so, never guessed: a meeting an hour out is worse than a form that asks
again. A time with an offset ("2027-01-12T12:30+00:00", or "Z") is an instant and is taken as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


class TimeProblem(ValueError):
    """A time that cannot be a meeting's: the message says what to do."""


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def to_utc(value: str, time_zone: str) -> datetime:
    """The instant `value` names: wall-clock time in `time_zone` unless it carries an offset."""
    try:
        given = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TimeProblem("Enter the date and time like 2027-01-12T12:30 (UK time)") from None
    if len(value.strip()) <= 10:  # a date alone would be a meeting at midnight
        raise TimeProblem("Enter the time as well as the date, like 2027-01-12T12:30 (UK time)")
    if given.tzinfo is not None:
        return given.astimezone(UTC)
    zone = ZoneInfo(time_zone)
    early, late = given.replace(tzinfo=zone, fold=0), given.replace(tzinfo=zone, fold=1)
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != given:
        raise TimeProblem(
            f"{given:%H:%M} on {_day(given)} does not exist in UK time: the clocks go forward an "
            "hour that night. Choose another time"
        )
    if early.utcoffset() != late.utcoffset():
        raise TimeProblem(
            f"{given:%H:%M} on {_day(given)} happens twice in UK time: the clocks go back an hour "
            "that night. Choose another time"
        )
    return early.astimezone(UTC)


def utc_iso(moment: datetime) -> str:
    """How a meeting's times are stored and compared: UTC, to the second, with `Z`."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(moment: datetime | str, time_zone: str) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(time_zone))


def local_input(moment: datetime | str, time_zone: str) -> str:
    """The value a form shows for editing: London wall-clock time, no offset."""
    return local(moment, time_zone).strftime("%Y-%m-%dT%H:%M")


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> int | None:
    """The day of the month of the `nth` (1-4, or -1 for the last) `weekday` (0 = Monday)."""
    import calendar

    days = [week[weekday] for week in calendar.monthcalendar(year, month) if week[weekday]]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 0 < nth <= len(days) else None


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def short_when(moment: str, time_zone: str) -> str:
    start = local(moment, time_zone)
    hour = start.hour % 12 or 12
    clock = (
        f"{hour}{'am' if start.hour < 12 else 'pm'}"
        if start.minute == 0
        else (f"{hour}:{start.minute:02d}{'am' if start.hour < 12 else 'pm'}")
    )
    return f"{start:%a} {start.day} {start:%b}, {clock}"
