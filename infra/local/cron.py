"""EventBridge Scheduler expressions, evaluated the way AWS evaluates them.

- `cron(minutes hours day-of-month month day-of-week year)`: six fields; `*`, lists, ranges and
  steps everywhere; `?` in exactly one of the two day fields; `L`, `LW` and `nW` in day-of-month;
  `L`, `nL` (last weekday n of the month) and `n#k` (k-th weekday n) in day-of-week; names
  `JAN`-`DEC` and `SUN`-`SAT`; day-of-week counts 1 = Sunday to 7 = Saturday.
- `rate(value unit)`: minutes, hours or days (singular for 1, plural otherwise); a fixed duration
  from an anchor (a day is 24 hours, also across a daylight-saving change).
- `at(yyyy-mm-ddThh:mm:ss)`: once.

Times are wall-clock times in the schedule's time zone. Like EventBridge Scheduler, a time that
does not exist (the hour skipped in spring) is skipped, and a time that happens twice (the hour
repeated in autumn) runs once, at its first occurrence.

No library fits: croniter and cronsim read Unix cron (five fields, 0 = Sunday, no year, no `?`),
and the AWS-specific parsers on PyPI are small single-maintainer projects.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

MIN_YEAR, MAX_YEAR = 1970, 2199
MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}  # Jan -> 1
MONTH_NAMES = {name.upper(): number for name, number in MONTHS.items()}
DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class ExpressionError(ValueError):
    """A schedule expression that EventBridge Scheduler would refuse."""


class Expression(Protocol):
    def next_after(self, after: datetime, zone: ZoneInfo, anchor: datetime) -> datetime | None:
        """The first run strictly after `after` (aware), in UTC; None when there is none.

        `anchor` is when the schedule started (rate expressions count from it)."""
        ...


def aws_weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


# --- cron ----------------------------------------------------------------------------------------


def _number(text: str, names: dict[str, int], low: int, high: int, field: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ExpressionError(f"{field}: {text!r} is not a number{' or a name' if names else ''}")
    value = int(text)
    if not low <= value <= high:
        raise ExpressionError(f"{field}: {value} is outside {low}-{high}")
    return value


def _values(text: str, names: dict[str, int], low: int, high: int, field: str) -> set[int]:
    """`*`, `5`, `1-5`, `*/15`, `0/15`, `1-30/2`, `MON-FRI`, and comma lists of them."""
    found: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ExpressionError(f"{field}: empty list item in {text!r}")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ExpressionError(f"{field}: bad step in {part!r}")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _number(first, names, low, high, field)
            end = _number(last, names, low, high, field)
            if end < start:
                raise ExpressionError(f"{field}: range {base!r} runs backwards")
        else:
            start = _number(base, names, low, high, field)
            end = high if slash else start
        found.update(range(start, end + 1, step))
    return found


@dataclass(frozen=True)
class DaysOfMonth:
    days: frozenset[int] = frozenset()
    last: bool = False  # L
    last_weekday: bool = False  # LW
    nearest_weekday: frozenset[int] = frozenset()  # 15W

    def matches(self, day: date) -> bool:
        last_day = calendar.monthrange(day.year, day.month)[1]
        if day.day in self.days or (self.last and day.day == last_day):
            return True
        if self.last_weekday and day.day == _nearest_weekday(day.year, day.month, last_day):
            return True
        return any(day.day == _nearest_weekday(day.year, day.month, n) for n in self.nearest_weekday)


def _nearest_weekday(year: int, month: int, wanted: int) -> int:
    """The weekday (Monday-Friday) nearest to day `wanted`, without leaving the month."""
    last_day = calendar.monthrange(year, month)[1]
    wanted = min(wanted, last_day)
    weekday = date(year, month, wanted).weekday()  # Monday = 0
    if weekday == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return wanted - 1 if wanted > 1 else wanted + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return wanted + 1 if wanted < last_day else wanted - 2
    return wanted


@dataclass(frozen=True)
class DaysOfWeek:
    days: frozenset[int] = frozenset()  # 1 = Sunday
    last_of_month: frozenset[int] = frozenset()  # 5L: the last Thursday
    nth: frozenset[tuple[int, int]] = frozenset()  # 3#2: the second Tuesday

    def matches(self, day: date) -> bool:
        weekday = aws_weekday(day)
        if weekday in self.days:
            return True
        last_day = calendar.monthrange(day.year, day.month)[1]
        if weekday in self.last_of_month and day.day + 7 > last_day:
            return True
        return (weekday, (day.day - 1) // 7 + 1) in self.nth


def _days_of_month(text: str) -> DaysOfMonth:
    days: set[int] = set()
    last = last_weekday = False
    nearest: set[int] = set()
    for part in text.upper().split(","):
        if part == "L":
            last = True
        elif part == "LW":
            last_weekday = True
        elif part.endswith("W"):
            nearest.add(_number(part[:-1], {}, 1, 31, "day-of-month"))
        else:
            days |= _values(part, {}, 1, 31, "day-of-month")
    return DaysOfMonth(frozenset(days), last, last_weekday, frozenset(nearest))


def _days_of_week(text: str) -> DaysOfWeek:
    days: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for part in text.upper().split(","):
        if part == "L":
            days.add(7)  # the last day of the week: Saturday
        elif part.endswith("L"):
            last_of.add(_number(part[:-1], DAY_NAMES, 1, 7, "day-of-week"))
        elif "#" in part:
            weekday, _, which = part.partition("#")
            if not which.isdigit() or not 1 <= int(which) <= 5:
                raise ExpressionError(f"day-of-week: {part!r} needs a week number 1-5 after #")
            nth.add((_number(weekday, DAY_NAMES, 1, 7, "day-of-week"), int(which)))
        else:
            days |= _values(part, DAY_NAMES, 1, 7, "day-of-week")
    return DaysOfWeek(frozenset(days), frozenset(last_of), frozenset(nth))


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    days_of_month: DaysOfMonth | None  # None: `?`
    days_of_week: DaysOfWeek | None  # None: `?`

    @classmethod
    def parse(cls, fields: str) -> Cron:
        parts = fields.split()
        if len(parts) != 6:
            raise ExpressionError(
                f"cron needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(parts)}"
            )
        minutes, hours, dom, month, dow, year = parts
        if (dom == "?") == (dow == "?"):
            raise ExpressionError("use '?' in exactly one of day-of-month and day-of-week")
        return cls(
            minutes=frozenset(_values(minutes, {}, 0, 59, "minutes")),
            hours=frozenset(_values(hours, {}, 0, 23, "hours")),
            months=frozenset(_values(month, MONTH_NAMES, 1, 12, "month")),
            years=frozenset(_values(year, {}, MIN_YEAR, MAX_YEAR, "year")),
            days_of_month=None if dom == "?" else _days_of_month(dom),
            days_of_week=None if dow == "?" else _days_of_week(dow),
        )

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days_of_month is not None:
            return self.days_of_month.matches(day)
        assert self.days_of_week is not None
        return self.days_of_week.matches(day)

    def _wall_times(self, start: datetime) -> Iterator[datetime]:
        """Matching naive wall-clock times from `start` (naive, whole minute) on, in order."""
        for year in sorted(y for y in self.years if y >= start.year):
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                first = start.day if (year, month) == (start.year, start.month) else 1
                for day_number in range(first, calendar.monthrange(year, month)[1] + 1):
                    day = date(year, month, day_number)
                    if not self.matches_day(day):
                        continue
                    for hour in sorted(self.hours):
                        for minute in sorted(self.minutes):
                            candidate = datetime(year, month, day_number, hour, minute)
                            if candidate >= start:
                                yield candidate

    def next_after(self, after: datetime, zone: ZoneInfo, anchor: datetime) -> datetime | None:
        local = after.astimezone(zone).replace(tzinfo=None, fold=0)
        start = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        # an hour repeated in autumn: `after` may be in its second pass, so start from the first
        start -= timedelta(hours=1)
        for wall in self._wall_times(start):
            aware = wall.replace(tzinfo=zone, fold=0)
            if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
                continue  # skipped by a daylight-saving change: EventBridge Scheduler skips it too
            if aware > after:
                return aware.astimezone(UTC)
        return None


# --- rate and at ---------------------------------------------------------------------------------

_RATE = re.compile(r"^(\d+) (minute|minutes|hour|hours|day|days)$")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Rate:
    interval: timedelta

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text.strip())
        if not match:
            raise ExpressionError(f"rate needs 'value unit' with unit minute(s), hour(s) or day(s): {text!r}")
        value, unit = int(match[1]), match[2]
        if value < 1:
            raise ExpressionError("rate value must be a positive whole number")
        if (value == 1) == unit.endswith("s"):
            raise ExpressionError(f"rate unit must be {'singular' if value == 1 else 'plural'} for {value}")
        return cls(_UNITS[unit.rstrip("s")] * value)

    def next_after(self, after: datetime, zone: ZoneInfo, anchor: datetime) -> datetime | None:
        if after < anchor:
            return anchor.astimezone(UTC)
        periods = (after - anchor) // self.interval + 1
        return (anchor + periods * self.interval).astimezone(UTC)


@dataclass(frozen=True)
class At:
    when: datetime  # naive wall-clock time

    @classmethod
    def parse(cls, text: str) -> At:
        try:
            return cls(datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            raise ExpressionError(f"at needs yyyy-mm-ddThh:mm:ss: {text!r}") from None

    def next_after(self, after: datetime, zone: ZoneInfo, anchor: datetime) -> datetime | None:
        aware = self.when.replace(tzinfo=zone)
        return aware.astimezone(UTC) if aware > after else None


def parse(expression: str) -> Expression:
    """`cron(...)`, `rate(...)` or `at(...)`."""
    match = re.fullmatch(r"\s*(cron|rate|at)\((.*)\)\s*", expression)
    if not match:
        raise ExpressionError(f"expected cron(...), rate(...) or at(...): {expression!r}")
    kind, body = match[1], match[2]
    if kind == "cron":
        return Cron.parse(body)
    if kind == "rate":
        return Rate.parse(body)
    return At.parse(body)
