"""Dates and times as people read them, in the partnership's time zone (Europe/London)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def meeting_when(starts_at: str, ends_at: str | None, time_zone: str) -> str:
    """'Tuesday 12 January 2027, 12:30pm to 2pm' (local time, with the right summer/winter offset)."""
    zone = ZoneInfo(time_zone)
    start = parse_iso(starts_at).astimezone(zone)
    text = f"{start:%A} {start.day} {start:%B %Y}, {_clock(start)}"
    if ends_at:
        end = parse_iso(ends_at).astimezone(zone)
        text += f" to {_clock(end)}"
    return text


LOCAL = ZoneInfo("Europe/London")


def day(value: str) -> str:
    """'7 December 2026': a stored time as the day people read it (local)."""
    if not value:
        return ""
    moment = parse_iso(value).astimezone(LOCAL) if "T" in value else datetime.fromisoformat(value[:10])
    return f"{moment.day} {moment:%B %Y}"


def moment(value: str) -> str:
    """'7 December 2026, 2:05pm': a stored time as people read it, in local (UK) time."""
    if not value:
        return ""
    local = parse_iso(value).astimezone(LOCAL)
    return f"{local.day} {local:%B %Y}, {_clock(local)}"
