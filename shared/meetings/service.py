"""What administrators do with meetings and announcements, from the JSON API and the console alike.
Every change is audited (who, what, when, and the names of the fields changed, never their values).

- Creating a meeting, or a plenary series (one meeting per occurrence, each with its own id and UID).
- Changing one: a change of time, place or joining link raises its SEQUENCE and is held as a
  pending change, so that quick edits go out as one update once they settle (`Planner`); a moved
  meeting's reminders that are not yet due for its new date are armed again, while people already
  reminded for an offset get the update, never that reminder twice.
- Cancelling one: at once, to everyone already told, as a calendar cancellation.
- The minutes: who was invited, who sent apologies, who came, who could not be emailed; letters
  for members without email; each working group's report-back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, NamedTuple

from shared.audit import AuditTrail
from shared.clock import iso
from shared.errors import DomainError
from shared.groups import GroupNotFound, GroupRepository, GroupStatus, WorkingGroup
from shared.meetings.audience import Audiences, bounced, by_post
from shared.meetings.jobs import Jobs, MeetingSettings
from shared.meetings.models import (
    CALENDAR_FIELDS,
    WEEKDAYS,
    Announcement,
    AnnouncementInput,
    Attendance,
    CancelInput,
    Kind,
    Meeting,
    MeetingInput,
    MeetingPatch,
    MeetingStatus,
    PendingChange,
    ReportBack,
    SeriesInput,
)
from shared.meetings.repository import MeetingCancelled, MeetingChanged, MeetingRepository, expiry
from shared.meetings.times import TimeProblem, add_months, nth_weekday, to_utc, utc_iso
from shared.members.models import Member
from shared.timefmt import parse_iso


class NotInvited(DomainError):
    status = 400
    message = "Mark only the members invited to this meeting."
    fields: ClassVar[dict[str, str]] = {
        "marks": "Mark only the members invited to this meeting, by their member id"
    }


class BadTime(DomainError):
    """A time that does not exist, or exists twice, in London (or cannot be read)."""

    status = 400
    message = "Check the date and time."

    def __init__(self, problem: TimeProblem, field: str = "starts_at") -> None:
        super().__init__(str(problem), fields={field: str(problem)})


class SeriesTooLong(DomainError):
    status = 400
    message = "A series makes at most 60 meetings."
    fields: ClassVar[Mapping[str, str]] = {"rule": "Choose a last day that makes 60 meetings or fewer"}


class UnknownGroup(DomainError):
    status = 400
    message = "No such working group."
    fields: ClassVar[Mapping[str, str]] = {"audience": "Choose an open working group"}


class AttendanceSheet(NamedTuple):
    meeting: Meeting
    rows: list[dict[str, Any]]  # member, told_at, response, attendance, reachable


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1]


class MeetingAdmin:
    def __init__(
        self,
        *,
        repo: MeetingRepository,
        groups: GroupRepository,
        audiences: Audiences,
        audit: AuditTrail,
        jobs: Jobs | None,
        settings: MeetingSettings,
    ) -> None:
        self._repo = repo
        self._groups = groups
        self._audiences = audiences
        self._audit = audit
        self._jobs = jobs
        self.settings = settings

    # --- reading -----------------------------------------------------------------------------

    def public_groups(self) -> set[str]:
        return {g.id for g in self._groups.all() if g.public and g.status is GroupStatus.OPEN}

    def groups(self) -> list[WorkingGroup]:
        return self._groups.all()

    def get(self, meeting_id: str) -> Meeting:
        return self._repo.get(meeting_id)

    def meetings(self, now: datetime, *, past_days: int = 60, ahead_days: int = 400) -> list[Meeting]:
        return self._repo.between(iso(now - timedelta(days=past_days)), iso(now + timedelta(days=ahead_days)))

    # --- making meetings ---------------------------------------------------------------------

    def _check_audience(self, audience: Any) -> None:
        if audience.type == "working_group":
            try:
                group = self._groups.get(str(audience.id))
            except GroupNotFound:
                raise UnknownGroup from None
            if group.status is not GroupStatus.OPEN:
                raise UnknownGroup

    def _starts(self, value: str, field: str = "starts_at") -> datetime:
        try:
            return to_utc(value, self.settings.time_zone)
        except TimeProblem as problem:
            raise BadTime(problem, field) from None

    def _new(
        self,
        data: dict[str, Any],
        start: datetime,
        now: datetime,
        series_id: str | None = None,
        meeting_id: str | None = None,
    ) -> Meeting:
        meeting_id = meeting_id or str(uuid.uuid4())
        return Meeting.model_validate(
            {
                **data,
                "id": meeting_id,
                "uid": f"{meeting_id}@{_domain(self.settings.organiser)}",
                "starts_at": utc_iso(start),
                "ends_at": utc_iso(start + timedelta(minutes=int(data["duration_minutes"]))),
                "series_id": series_id,
                "created_at": iso(now),
                "updated_at": iso(now),
            }
        )

    def create(self, data: MeetingInput, actor: str, now: datetime, id: str | None = None) -> Meeting:
        """Make the meeting; with `id` (`shared.once`), a second submission of the same form returns
        the meeting the first made."""
        self._check_audience(data.audience)
        start = self._starts(data.starts_at)
        meeting = self._new(data.model_dump(mode="json", exclude={"starts_at"}), start, now, meeting_id=id)
        try:
            self._repo.create(meeting, self.public_groups())
        except MeetingChanged:
            return self._repo.get(meeting.id)
        self._audit.record(actor=actor, action="meeting.create", target=f"MEETING#{meeting.id}", now=now)
        return meeting

    def create_series(
        self, data: SeriesInput, actor: str, now: datetime, id: str | None = None
    ) -> list[Meeting]:
        """One meeting per occurrence of the rule, each its own (no RRULE anywhere). With `id`, a
        second submission makes only the occurrences the first did not (their ids follow from it)."""
        self._check_audience(data.audience)
        rule = data.rule
        year, month = (int(part) for part in rule.first_month.split("-"))
        until = rule.until
        series_id = id or str(uuid.uuid4())
        made: list[Meeting] = []
        base = data.model_dump(mode="json", exclude={"rule"})
        base["kind"] = Kind.PLENARY.value
        while True:
            day = nth_weekday(year, month, WEEKDAYS[rule.weekday], rule.nth)
            if day is not None:
                local = f"{year:04d}-{month:02d}-{day:02d}T{rule.time}"
                if local[:10] > until:
                    break
                start = self._starts(local, "rule")
                if start > now:
                    occurrence = str(uuid.uuid5(uuid.UUID(series_id), local))
                    made.append(self._new(base, start, now, series_id, occurrence))
            year, month = add_months(year, month, rule.every_months)
            if len(made) > 60:
                raise SeriesTooLong
            if f"{year:04d}-{month:02d}" > until[:7]:
                break
        public = self.public_groups()
        new = 0
        for meeting in made:
            try:
                self._repo.create(meeting, public)
                new += 1
            except MeetingChanged:  # the same form again: this occurrence was made already
                continue
        if new:
            self._audit.record(
                actor=actor,
                action="meeting.create_series",
                target=f"SERIES#{series_id}",
                now=now,
                fields=[str(new)],
            )
        return made

    # --- changing them -----------------------------------------------------------------------

    def update(self, meeting_id: str, patch: MeetingPatch, actor: str, now: datetime) -> Meeting:
        given = patch.model_dump(mode="json", exclude_unset=True)
        if "audience" in given:
            self._check_audience(patch.audience)
        start = self._starts(str(given.pop("starts_at"))) if "starts_at" in given else None
        changed_fields: list[str] = []

        def mutate(meeting: Meeting) -> Meeting | None:
            if meeting.status is MeetingStatus.CANCELLED:
                raise MeetingCancelled(meeting_id)
            data = meeting.model_dump(mode="json")
            wanted = {**data, **{k: (None if val == "" else val) for k, val in given.items()}}
            begins = start or parse_iso(meeting.starts_at)
            wanted["starts_at"] = utc_iso(begins)
            wanted["ends_at"] = utc_iso(begins + timedelta(minutes=int(wanted["duration_minutes"])))
            proposed = Meeting.model_validate(wanted)
            changed_fields[:] = [
                k for k in Meeting.model_fields if getattr(proposed, k) != getattr(meeting, k)
            ]
            if not changed_fields:
                return None  # nothing changes: nothing written, nothing audited, nobody told
            moved = [f for f in CALENDAR_FIELDS if f in changed_fields]
            updates: dict[str, Any] = {"updated_at": iso(now)}
            if moved:
                pending = meeting.pending_change
                updates["sequence"] = meeting.sequence + 1
                updates["pending_change"] = PendingChange(
                    first_edit_at=pending.first_edit_at if pending else iso(now),
                    last_edit_at=iso(now),
                    before=pending.before if pending else meeting.calendar_view(),
                )
                if "starts_at" in changed_fields:
                    updates["planned"] = self._rearmed(meeting, proposed, now)
            return Meeting.model_validate({**proposed.model_dump(), **updates})

        meeting = self._repo.change(meeting_id, mutate, self.public_groups())
        if changed_fields:
            self._audit.record(
                actor=actor,
                action="meeting.update",
                target=f"MEETING#{meeting_id}",
                now=now,
                fields=changed_fields,
            )
        return meeting

    def _rearmed(self, before: Meeting, after: Meeting, now: datetime) -> dict[str, str]:
        """A moved meeting: the reminders not yet due for its new date are armed again (those
        already sent are keyed by offset, so nobody gets the same offset's reminder twice)."""
        start = parse_iso(after.starts_at)
        return {
            offset: what
            for offset, what in before.planned.items()
            if now >= start - timedelta(days=int(offset))
        }

    def cancel(self, meeting_id: str, data: CancelInput, actor: str, now: datetime) -> Meeting:
        def mutate(meeting: Meeting) -> Meeting | None:
            if meeting.status is MeetingStatus.CANCELLED:
                return None  # cancelling twice changes nothing and tells nobody again
            return Meeting.model_validate(
                {
                    **meeting.model_dump(),
                    "status": MeetingStatus.CANCELLED,
                    "cancel_reason": data.reason,
                    "sequence": meeting.sequence + 1,
                    "pending_change": None,
                    "updated_at": iso(now),
                }
            )

        before = self._repo.get(meeting_id)
        meeting = self._repo.change(meeting_id, mutate, self.public_groups())
        if before.status is not MeetingStatus.CANCELLED:
            if self._jobs is not None:  # at once: a cancellation does not wait for the quick edits
                self._jobs.put([{"job": "cancel", "meeting": meeting_id}])
            self._audit.record(actor=actor, action="meeting.cancel", target=f"MEETING#{meeting_id}", now=now)
        return meeting

    # --- a member's private calendar feed ---------------------------------------------------

    def feed_of(self, member_id: str, now: datetime) -> tuple[Member | None, bool]:
        """The member, and whether they have a private calendar feed."""
        return self._audiences.member(member_id, now), self._repo.feed_token_of(member_id) is not None

    def stop_feed(self, member_id: str, actor: str, now: datetime) -> bool:
        """Stop a member's private feed for them: one whose emails bounce cannot reach their
        preferences page, which needs an emailed link. False if they had none."""
        if not self._repo.set_feed(member_id, None, now):
            return False
        self._audit.record(actor=actor, action="meeting.feed_stopped", target=f"MEMBER#{member_id}", now=now)
        return True

    # --- the minutes -------------------------------------------------------------------------

    def audience(self, meeting: Meeting) -> list[Member]:
        """Everyone invited, including members whose emails bounce (they are phoned or written to)."""
        return self._audiences.everyone(meeting.audience, unreachable=True)

    def attendance(self, meeting_id: str, now: datetime) -> AttendanceSheet:
        """Everyone invited (the audience as it is now, and anyone told who has left it since), what
        they said and whether they came: the attendance section of the minutes."""
        meeting = self._repo.get(meeting_id)
        people = self._repo.people(meeting_id)
        members = {m.id: m for m in self.audience(meeting)}
        rows = []
        for member in sorted(members.values(), key=lambda m: (m.name or "").casefold()):
            record = people.get(member.id, {})
            rows.append(
                {
                    "member": member,
                    "told_at": record.get("told_at"),
                    "response": record.get("response"),
                    "attendance": record.get("attendance"),
                    "reachable": not by_post(member),
                    "bounced": bounced(member),
                    "log": record.get("log", []),
                }
            )
        for member_id, record in people.items():
            if member_id not in members:
                rows.append(
                    {
                        "member": None,
                        "member_id": member_id,
                        "told_at": record.get("told_at"),
                        "response": record.get("response"),
                        "attendance": record.get("attendance"),
                        "reachable": bool(record.get("told_at")),
                        "bounced": False,
                        "log": record.get("log", []),
                    }
                )
        return AttendanceSheet(meeting, rows)

    def mark_attendance(
        self, meeting_id: str, marks: dict[str, Attendance | None], actor: str, now: datetime
    ) -> None:
        meeting = self._repo.get(meeting_id)
        invited = {m.id for m in self.audience(meeting)} | set(self._repo.people(meeting_id))
        if not set(marks) <= invited:
            raise NotInvited
        expires = expiry(meeting.ends_at, self.settings.retention_days)
        for member_id, attendance in marks.items():
            self._repo.record_response(meeting_id, member_id, attendance, "attendance", now, expires)
        self._audit.record(
            actor=actor,
            action="meeting.attendance",
            target=f"MEETING#{meeting_id}",
            now=now,
            fields=[str(len(marks))],
        )

    def letters(self, meeting_id: str) -> tuple[Meeting, list[Member]]:
        """The audience's members without email, or whose emails bounce: to phone, or to post a letter to."""
        meeting = self._repo.get(meeting_id)
        return meeting, [m for m in self.audience(meeting) if by_post(m)]

    def report_backs(self, meeting_id: str) -> list[tuple[WorkingGroup, ReportBack]]:
        """Each open working group with its report-back for the meeting (empty when not asked yet)."""
        states = self._repo.report_backs(meeting_id)
        return [
            (group, states.get(group.id, ReportBack()))
            for group in self._groups.all()
            if group.status is GroupStatus.OPEN
        ]

    def mark_report_back(self, meeting_id: str, group_id: str, actor: str, now: datetime) -> None:
        self._repo.get(meeting_id)
        self._groups.get(group_id)
        self._repo.mark_report_back(meeting_id, group_id, "received_at", now, once=False)
        self._audit.record(
            actor=actor,
            action="meeting.report_back_received",
            target=f"MEETING#{meeting_id}",
            now=now,
            fields=[group_id],
        )

    # --- announcements -----------------------------------------------------------------------

    def announce(
        self, data: AnnouncementInput, actor: str, now: datetime, id: str | None = None
    ) -> Announcement:
        """Send or schedule it; with `id` (`shared.once`), a second click on Send returns the
        announcement the first made and queues nothing."""
        if data.audience.type == "working_group":
            self._check_audience(data.audience)
        when = self._starts(data.send_at, "send_at") if data.send_at else now
        sending_now = when <= now
        announcement = Announcement.model_validate(
            {
                **data.model_dump(mode="json", exclude={"send_at"}),
                "id": id or str(uuid.uuid4()),
                "send_at": iso(when),
                "status": "sending" if sending_now else "scheduled",
                "created_at": iso(now),
            }
        )
        try:
            announcement = self._repo.save_announcement(announcement, None)
        except MeetingChanged:
            return self._repo.announcement(announcement.id)
        if sending_now and self._jobs is not None:
            self._jobs.put([{"job": "announcement", "announcement": announcement.id}])
        self._audit.record(
            actor=actor, action="announcement.create", target=f"ANNOUNCEMENT#{announcement.id}", now=now
        )
        return announcement

    def announcements(self) -> list[Announcement]:
        return self._repo.announcements()
