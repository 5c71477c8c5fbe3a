"""EventBridge Scheduler expressions (cron, rate, at) and the local scheduler that runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from infra.declaration import FunctionSpec, Schedule
from infra.local.cron import Cron, ExpressionError, parse
from infra.local.functions import Console, Invocation
from infra.local.scheduler import Scheduler

LONDON = ZoneInfo("Europe/London")
ANCHOR = datetime(2027, 1, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def next_run(expression: str, after: str, zone: ZoneInfo = LONDON) -> datetime | None:
    return parse(expression).next_after(utc(after), zone, ANCHOR)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # every day at 09:00 London time: GMT in winter, BST in summer
        ("cron(0 9 * * ? *)", "2027-01-10T10:00", "2027-01-11T09:00"),
        ("cron(0 9 * * ? *)", "2027-06-10T07:00", "2027-06-10T08:00"),
        # steps: strictly after, so a run at 10:15 is followed by 10:30
        ("cron(0/15 * * * ? *)", "2027-01-10T10:07", "2027-01-10T10:15"),
        ("cron(0/15 * * * ? *)", "2027-01-10T10:15", "2027-01-10T10:30"),
        ("cron(*/20 9-10 * * ? *)", "2027-01-10T10:41", "2027-01-11T09:00"),
        ("cron(5,35 14 * * ? *)", "2027-01-10T14:05", "2027-01-10T14:35"),
        # named weekdays and ranges (1 = Sunday): Friday 18:00 -> Monday 18:00
        ("cron(0 18 ? * MON-FRI *)", "2027-01-15T18:00", "2027-01-18T18:00"),
        ("cron(0 18 ? * 2-6 *)", "2027-01-15T18:00", "2027-01-18T18:00"),
        ("cron(0 12 ? * SUN *)", "2027-01-15T00:00", "2027-01-17T12:00"),
        # the last Friday, the second Tuesday, the last day, the last day of the week (Saturday)
        ("cron(0 10 ? * 6L *)", "2027-01-01T00:00", "2027-01-29T10:00"),
        ("cron(0 10 ? * 3#2 *)", "2027-02-01T00:00", "2027-02-09T10:00"),
        ("cron(0 12 L * ? *)", "2028-02-01T00:00", "2028-02-29T12:00"),
        ("cron(0 12 ? * L *)", "2027-01-11T00:00", "2027-01-16T12:00"),
        # nearest weekday: the 15th is a Saturday -> Friday 14th; the 1st a Saturday -> Monday 3rd
        ("cron(0 9 15W * ? *)", "2027-05-01T00:00", "2027-05-14T08:00"),
        ("cron(0 9 1W * ? *)", "2027-04-30T12:00", "2027-05-03T08:00"),
        ("cron(0 9 LW * ? *)", "2027-07-01T00:00", "2027-07-30T08:00"),
        # named months, a year, and lists
        ("cron(0 8 1 JAN,JUL ? 2027)", "2027-01-02T00:00", "2027-07-01T07:00"),
        ("cron(0 8 1 jan,jul ? 2027-2028)", "2027-07-02T00:00", "2028-01-01T08:00"),
        ("cron(0 8 1,15 * ? *)", "2027-01-01T08:00", "2027-01-15T08:00"),
    ],
)
def test_cron_next_run(expression: str, after: str, expected: str) -> None:
    assert next_run(expression, after) == utc(expected)


def test_cron_that_never_runs_again() -> None:
    assert next_run("cron(0 8 1 JAN,JUL ? 2027)", "2027-07-02T00:00") is None


def test_cron_in_utc() -> None:
    assert next_run("cron(0 9 * * ? *)", "2027-06-10T07:00", ZoneInfo("UTC")) == utc("2027-06-10T09:00")


def test_a_time_skipped_in_spring_does_not_run_that_day() -> None:
    # 01:30 does not exist in London on 28 March 2027 (01:00 GMT becomes 02:00 BST)
    assert next_run("cron(30 1 * * ? *)", "2027-03-27T02:00") == utc("2027-03-29T00:30")


def test_a_time_repeated_in_autumn_runs_once() -> None:
    # 01:30 happens twice in London on 31 October 2027: it runs at the first (00:30 UTC) only
    assert next_run("cron(30 1 * * ? *)", "2027-10-30T12:00") == utc("2027-10-31T00:30")
    assert next_run("cron(30 1 * * ? *)", "2027-10-31T00:30") == utc("2027-11-01T01:30")


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 9 * * * *)",  # no '?'
        "cron(0 9 ? * ? *)",  # two '?'
        "cron(0 9 * * ?)",  # five fields
        "cron(60 9 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 9 32 * ? *)",
        "cron(0 9 ? * 8 *)",
        "cron(0 9 ? FOO * *)",
        "cron(0 9 ? * 2#6 *)",
        "cron(0 9 10-5 * ? *)",
        "cron(0/0 9 * * ? *)",
        "cron(0 9 * * ? 2300)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "at(2027-06-01 09:00)",
        "every day at nine",
    ],
)
def test_expressions_aws_would_refuse(expression: str) -> None:
    with pytest.raises(ExpressionError):
        parse(expression)


def test_a_rate_counts_fixed_periods_from_its_start() -> None:
    rate = parse("rate(5 minutes)")
    start = utc("2027-01-10T10:00")

    assert rate.next_after(start, LONDON, start) == utc("2027-01-10T10:05")
    assert rate.next_after(utc("2027-01-10T10:07"), LONDON, start) == utc("2027-01-10T10:10")
    assert rate.next_after(utc("2027-01-10T09:00"), LONDON, start) == start


def test_a_daily_rate_is_24_hours_across_a_clock_change() -> None:
    start = utc("2027-03-27T12:00")

    assert parse("rate(1 day)").next_after(start, LONDON, start) == utc("2027-03-28T12:00")


def test_at_runs_once_in_the_zone() -> None:
    once = parse("at(2027-06-01T09:00:00)")

    assert once.next_after(utc("2027-05-01T00:00"), LONDON, ANCHOR) == utc("2027-06-01T08:00")
    assert once.next_after(utc("2027-06-01T08:00"), LONDON, ANCHOR) is None


def test_cron_fields_parse_names_and_steps() -> None:
    cron = Cron.parse("0/30 8-10 ? JAN-MAR MON,WED,FRI *")

    assert sorted(cron.minutes) == [0, 30]
    assert sorted(cron.hours) == [8, 9, 10]
    assert sorted(cron.months) == [1, 2, 3]
    assert cron.days_of_month is None
    assert cron.days_of_week is not None
    assert sorted(cron.days_of_week.days) == [2, 4, 6]


def test_the_scheduler_invokes_the_function_with_the_payload_when_due() -> None:
    # Given a nightly schedule, and a clock we control
    now = [utc("2027-01-10T01:59")]
    calls: list[tuple[str, object]] = []

    def invoke(name: str, event: object) -> Invocation:
        calls.append((name, event))
        return Invocation(True, result={"sent": 0}, duration_ms=1.0)

    nightly = Schedule("nightly", "cron(0 2 * * ? *)", "a test", {"kind": "reminders"})
    spec = FunctionSpec(name="reminders", handler="x.y", description="test", schedules=(nightly,))
    scheduler = Scheduler([(nightly, spec)], LONDON, invoke, Console(), clock=lambda: now[0])
    [planned] = scheduler.plan
    assert planned.next_run == utc("2027-01-10T02:00")

    # When the time comes
    assert scheduler.due(now[0]) == []
    now[0] = utc("2027-01-10T02:00:30")
    due = scheduler.due(now[0])

    # Then it is due once, moves on to the next night, and runs with its payload
    assert [p.schedule.name for p in due] == ["nightly"]
    assert planned.next_run == utc("2027-01-11T02:00")
    outcome = scheduler.fire(due[0])
    assert outcome.ok
    assert calls == [("reminders", {"kind": "reminders"})]
    assert scheduler.due(now[0] + timedelta(minutes=1)) == []
