"""Calendars people's apps accept: invitations (METHOD:REQUEST), cancellations (METHOD:CANCEL) and the
subscribable feed (METHOD:PUBLISH), written with `icalendar`.

What Outlook, Gmail and Apple Mail need, and what their users complain of when it is missing:
- one UID per meeting, the same on every invitation, update and cancellation, and a SEQUENCE that
  rises with every change of time or place and with the cancellation, so an update replaces the entry
  (never a second one) and a cancellation removes it;
- DTSTAMP fresh on every send; ORGANIZER the partnership's own address (never the recipient's, or
  Outlook treats the recipient as the organiser and will not update); ATTENDEE the recipient alone;
- London times with a VTIMEZONE in RRULE form (BST from the last Sunday of March, GMT from the last
  Sunday of October), so no app shows a meeting an hour out in summer;
- a cancellation with STATUS:CANCELLED as well as METHOD:CANCEL;
- no RRULE on any event: a series is separate meetings, each moved or cancelled alone.
The feed carries no attendees and no organiser: it is public.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.meetings.models import Meeting, MeetingStatus
from shared.meetings.times import local

if TYPE_CHECKING:
    from icalendar import Calendar

PRODID = "-//Milton Keynes Cancer Patient Partnership//Meetings//EN"


def _vtimezone(time_zone: str) -> Any:
    """Europe/London as RRULE-form VTIMEZONE: every app, including those without IANA data, gets
    the summer and winter rules right."""
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

    zone = Timezone()
    zone.add("tzid", time_zone)
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("dtstart", datetime(1981, 3, 29, 1, 0, 0))
    summer.add("tzoffsetfrom", _offset(0))
    summer.add("tzoffsetto", _offset(1))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("dtstart", datetime(1996, 10, 27, 2, 0, 0))
    winter.add("tzoffsetfrom", _offset(1))
    winter.add("tzoffsetto", _offset(0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _offset(hours: int) -> Any:
    from datetime import timedelta

    return timedelta(hours=hours)


def describe(meeting: Meeting, *, public: bool = False) -> str:
    """The event's description: what the email says, in plain text, for the calendar entry. The
    organiser's note is for the invited (a door code, say): never in the public feed."""
    lines = []
    if meeting.location.accessibility:
        lines += [f"Access: {meeting.location.accessibility}", ""]
    if meeting.online_link:
        lines += [f"Join online: {meeting.online_link}", ""]
    if meeting.agenda:
        lines += ["Agenda:", meeting.agenda, ""]
    if meeting.note and not public:
        lines += [meeting.note, ""]
    return "\n".join(lines).strip()


def _event(meeting: Meeting, time_zone: str, now: datetime, *, cancelled: bool, public: bool = False) -> Any:
    from icalendar import Event

    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.replace(microsecond=0))
    start, end = local(meeting.starts_at, time_zone), local(meeting.ends_at, time_zone)
    # naive local time with TZID=Europe/London, resolved by the VTIMEZONE above; a time in the hour
    # the clocks go back happens twice, and a reader takes the first, so that one is written in UTC
    for name, moment in (("dtstart", start), ("dtend", end)):
        if moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset():
            event.add(name, moment.astimezone(UTC))
        else:
            event.add(name, moment.replace(tzinfo=None), parameters={"TZID": time_zone})
    event.add("summary", meeting.title)
    event.add("location", meeting.location.one_line())
    description = describe(meeting, public=public)
    if description:
        event.add("description", description)
    if meeting.online_link:
        event.add("url", meeting.online_link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")  # a cancelled one is not busy time
    return event


def _calendar(method: str, time_zone: str, name: str | None = None) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", time_zone)
        calendar.add("x-published-ttl", "PT6H")
    calendar.add_component(_vtimezone(time_zone))
    return calendar


def invitation(
    meeting: Meeting,
    *,
    attendee: str,
    organiser: str,
    organiser_name: str,
    time_zone: str,
    now: datetime,
) -> tuple[str, bytes]:
    """(METHOD, the .ics) of what this member's calendar should hold for the meeting now: an
    invitation, or, for a cancelled meeting, its cancellation."""
    from icalendar import vCalAddress, vText

    cancelled = meeting.status is MeetingStatus.CANCELLED
    method = "CANCEL" if cancelled else "REQUEST"
    calendar = _calendar(method, time_zone)
    event = _event(meeting, time_zone, now, cancelled=cancelled)
    organizer = vCalAddress(f"mailto:{organiser}")
    organizer.params["cn"] = vText(organiser_name)
    event.add("organizer", organizer)
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params.update({"role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION", "rsvp": "FALSE"})
    event.add("attendee", guest)
    calendar.add_component(event)
    return method, calendar.to_ical()


def feed(meetings: list[Meeting], *, name: str, time_zone: str, now: datetime, public: bool = True) -> bytes:
    """The subscribable feed (METHOD:PUBLISH): each meeting with no attendee and no organiser; a
    cancelled meeting stays in it until it starts, with STATUS:CANCELLED, so subscribers'
    calendars show it cancelled rather than lose it without a word. `public`: the
    organiser's notes are left out (a member's private feed has them)."""
    calendar = _calendar("PUBLISH", time_zone, name)
    for meeting in meetings:
        cancelled = meeting.status is MeetingStatus.CANCELLED
        event = _event(meeting, time_zone, now, cancelled=cancelled, public=public)
        if cancelled:  # some calendar apps show a feed's STATUS:CANCELLED no differently
            event.pop("summary")
            event.add("summary", f"Cancelled: {meeting.title}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
