"""Meetings: what an administrator enters, and what is stored.

A meeting is a plenary or a working group's. Its times are entered in London time (`shared.meetings
.times`) and stored in UTC; its `uid` (the calendar's) never changes, and its `sequence` rises with
every change of time or place and with its cancellation, so calendars replace the old entry rather
than add a second one. A plenary series is only a way of making meetings: each occurrence is a
meeting of its own, moved or cancelled alone.
"""

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from shared.forms import FormModel, PatchModel
from shared.groups import GroupId
from shared.members.models import Role
from shared.model import Model
from shared.text import Paragraphs, SingleLine


class Kind(StrEnum):
    PLENARY = "plenary"
    WORKING_GROUP = "working_group"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


# What changes a meeting in people's calendars: a change to any of these raises its SEQUENCE and
# (once the quick edits have settled) sends everyone already told an update.
CALENDAR_FIELDS = ("starts_at", "ends_at", "location", "online_link")

HttpsLink = Annotated[str, StringConstraints(pattern=r"^https://[^\s<>\"']{3,}$", max_length=500)]


class Location(Model):
    name: SingleLine = Field(min_length=1, max_length=120, description="The building or room")
    address: Paragraphs = Field(min_length=1, max_length=300)
    accessibility: Paragraphs | None = Field(
        None, max_length=500, description="Step-free access, hearing loop, parking, toilets"
    )

    def one_line(self) -> str:
        return ", ".join([self.name, *[line.strip() for line in self.address.splitlines() if line.strip()]])


class Audience(Model):
    """Who is invited: every active member, the members of some roles, or one working group's."""

    type: Literal["all", "roles", "working_group"] = "all"
    roles: list[Role] = Field(default_factory=list, max_length=20)
    id: GroupId | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Audience":
        if self.type == "roles" and not self.roles:
            raise ValueError("choose at least one role")
        if self.type == "working_group" and not self.id:
            raise ValueError("choose the working group")
        return self


class MeetingInput(FormModel):
    """`POST /admin/meetings`. `starts_at` without an offset is London time."""

    kind: Kind = Kind.PLENARY
    title: SingleLine = Field(min_length=1, max_length=120)
    starts_at: str = Field(min_length=10, max_length=40, description="2027-01-12T12:30 (London time)")
    duration_minutes: int = Field(90, ge=15, le=600)
    location: Location
    online_link: HttpsLink | None = None
    agenda: Paragraphs | None = Field(None, max_length=5000)
    note: Paragraphs | None = Field(
        None, max_length=1000, description="The organiser's note for the reminder"
    )
    audience: Audience = Field(default_factory=Audience)

    messages: ClassVar[dict[str, str]] = {
        "kind": "Choose plenary or working group",
        "title": "Give the meeting a title on one line, in 120 characters or fewer",
        "starts_at": "Enter the date and time like 2027-01-12T12:30 (UK time)",
        "duration_minutes": "Give the length in minutes, from 15 to 600",
        "location": "Give the place's name (120 characters or fewer) and its address (300 or fewer)",
        "online_link": "Give a joining link that starts with https://, or leave it empty",
        "agenda": "Keep the agenda to 5,000 characters or fewer",
        "note": "Keep the note to 1,000 characters or fewer",
        "audience": "Choose who is invited: everyone, some roles (at least one), or a working group",
        # a field of the place or the audience, named by its path (`shared.forms.field_errors`)
        "location.name": "Give the place's name, on one line, in 120 characters or fewer",
        "location.address": "Give the place's address, in 300 characters or fewer",
        "location.accessibility": "Keep the access notes to 500 characters or fewer",
        "audience.type": "Choose who is invited: everyone, some roles (at least one), or a working group",
        "audience.roles": "Choose at least one role from the list",
        "audience.id": "Choose the working group",
    }

    @model_validator(mode="after")
    def _group_meets_as_a_group(self) -> "MeetingInput":
        if self.kind is Kind.WORKING_GROUP and self.audience.type != "working_group":
            raise ValueError("a working group's meeting is for that group: choose it as the audience")
        return self


class MeetingPatch(PatchModel):
    """`PATCH /admin/meetings/{id}`: any of the fields of `POST`, changed alone."""

    title: SingleLine | None = Field(None, min_length=1, max_length=120)
    starts_at: str | None = Field(None, min_length=10, max_length=40)
    duration_minutes: int | None = Field(None, ge=15, le=600)
    location: Location | None = None
    online_link: HttpsLink | None = None
    agenda: Paragraphs | None = Field(None, max_length=5000)
    note: Paragraphs | None = Field(None, max_length=1000)
    audience: Audience | None = None

    clearable: ClassVar[frozenset[str]] = frozenset({"online_link", "agenda", "note"})
    messages: ClassVar[dict[str, str]] = {
        **MeetingInput.messages,
        "kind": "A meeting's kind cannot change: cancel it and create the other kind",
        "status": "Cancel a meeting with its cancel action",
    }


class CancelInput(FormModel):
    """`POST /admin/meetings/{id}/cancel`."""

    reason: Paragraphs | None = Field(None, max_length=500)
    messages: ClassVar[dict[str, str]] = {"reason": "Keep the reason to 500 characters or fewer"}


WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


class SeriesRule(Model):
    """ "Every other month, the 2nd Tuesday, 12:30 for 90 minutes, from January 2027 until
    December 2027": it only makes meetings, one per occurrence."""

    every_months: int = Field(2, ge=1, le=12)
    weekday: Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] = "TU"
    nth: Literal[1, 2, 3, 4, -1] = 2
    time: str = Field("12:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    first_month: str = Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="2027-01")
    until: str = Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])-[0-3][0-9]$", description="2027-12-31")


class SeriesInput(FormModel):
    """`POST /admin/meetings/series`: a plenary series, as one meeting per occurrence."""

    rule: SeriesRule
    title: SingleLine = Field("Plenary meeting", min_length=1, max_length=120)
    duration_minutes: int = Field(90, ge=15, le=600)
    location: Location
    online_link: HttpsLink | None = None
    agenda: Paragraphs | None = Field(None, max_length=5000)
    audience: Audience = Field(default_factory=Audience)

    messages: ClassVar[dict[str, str]] = {
        **MeetingInput.messages,
        "rule": "Say how often (every 1 to 12 months), which weekday of the month, the time (like 12:30), "
        "the first month (like 2027-01) and the last day (like 2027-12-31)",
        "rule.every_months": "Say how often, every 1 to 12 months",
        "rule.weekday": "Choose the weekday",
        "rule.nth": "Choose which week of the month: the 1st to 4th, or the last",
        "rule.time": "Enter the time like 12:30",
        "rule.first_month": "Enter the first month like 2027-01",
        "rule.until": "Enter the last day like 2027-12-31",
    }


class PendingChange(Model):
    """What changed since the last update email, kept until the quick edits settle."""

    first_edit_at: str
    last_edit_at: str
    before: dict[str, Any]  # the calendar fields as people were last told them


class Meeting(Model):
    """A meeting as stored. Every write validates it again, so it always renders."""

    id: str = Field(min_length=1, max_length=64)
    uid: str  # the calendar's UID: the same on every invitation, update and cancellation
    kind: Kind
    title: SingleLine = Field(min_length=1, max_length=120)
    starts_at: str  # UTC, "2027-01-12T12:30:00Z"
    ends_at: str
    duration_minutes: int = Field(ge=15, le=600)
    location: Location
    online_link: HttpsLink | None = None
    agenda: Paragraphs | None = Field(None, max_length=5000)
    note: Paragraphs | None = Field(None, max_length=1000)
    audience: Audience
    status: MeetingStatus = MeetingStatus.SCHEDULED
    cancel_reason: Paragraphs | None = Field(None, max_length=500)
    sequence: int = 0
    series_id: str | None = None
    # offset (days) -> when its reminders were queued, or "skipped" when a later one was already due
    planned: dict[str, str] = Field(default_factory=dict)
    pending_change: PendingChange | None = None
    created_at: str
    updated_at: str
    version: int = 0
    schema_version: int = 1

    def calendar_view(self) -> dict[str, Any]:
        """The fields a calendar holds, as an update email compares them."""
        return {name: getattr(self, name) for name in CALENDAR_FIELDS} | {
            "location": self.location.model_dump(mode="json")
        }


class ReportBack(Model):
    """A working group's report-back for a plenary: when it was asked for, chased and received."""

    asked_at: str | None = None
    chased_at: str | None = None
    received_at: str | None = None


class Attendance(StrEnum):
    """What a member said, or what the Secretary recorded for the minutes."""

    APOLOGIES = "apologies"
    PRESENT = "present"
    REMOTE = "remote"
    ABSENT = "absent"


ATTENDANCE_LABELS = {
    Attendance.PRESENT: "Came",
    Attendance.REMOTE: "Joined online",
    Attendance.APOLOGIES: "Sent apologies",
    Attendance.ABSENT: "Did not come",
}


class AttendanceInput(FormModel):
    """`POST /admin/meetings/{id}/attendance`: who came, for the minutes."""

    marks: dict[Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}$")], Attendance] = Field(
        max_length=2000, description="member id -> present, remote, apologies, absent"
    )
    messages: ClassVar[dict[str, str]] = {"marks": "Mark each member as present, remote, apologies or absent"}


class AnnouncementAudience(Model):
    """News goes to the members who chose news, to one working group, or to some roles."""

    type: Literal["newsletters", "working_group", "roles"] = "newsletters"
    roles: list[Role] = Field(default_factory=list, max_length=20)
    id: GroupId | None = None

    @model_validator(mode="after")
    def _complete(self) -> "AnnouncementAudience":
        if self.type == "roles" and not self.roles:
            raise ValueError("choose at least one role")
        if self.type == "working_group" and not self.id:
            raise ValueError("choose the working group")
        return self


class AnnouncementInput(FormModel):
    subject: SingleLine = Field(min_length=1, max_length=150)
    body: Paragraphs = Field(min_length=1, max_length=10000)
    audience: AnnouncementAudience = Field(default_factory=AnnouncementAudience)
    send_at: str | None = Field(None, max_length=40, description="London time; empty: send now")

    messages: ClassVar[dict[str, str]] = {
        "subject": "Give the announcement a subject on one line, in 150 characters or fewer",
        "body": "Write the announcement, in 10,000 characters or fewer",
        "audience": "Choose who gets it: members who chose news, a working group, or some roles",
        "audience.type": "Choose who gets it: members who chose news, a working group, or some roles",
        "audience.roles": "Choose at least one role from the list",
        "audience.id": "Choose the working group",
        "send_at": "Enter when to send it like 2027-01-12T09:00 (UK time), or leave it empty to send now",
    }


class AnnouncementStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"


class Announcement(Model):
    id: str
    subject: SingleLine = Field(min_length=1, max_length=150)
    body: Paragraphs = Field(min_length=1, max_length=10000)
    audience: AnnouncementAudience
    send_at: str
    status: AnnouncementStatus = AnnouncementStatus.SCHEDULED
    sent: int = 0
    suppressed: int = 0
    without_email: int = 0
    created_at: str
    version: int = 0
    schema_version: int = 1
