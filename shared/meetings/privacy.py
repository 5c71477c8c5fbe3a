"""What the meetings capability holds about people, as an entry of the subject-rights register
(`shared.privacy.register`): which meeting emails were sent to them and when, their apologies and
the attendance recorded for the minutes, and their private calendar feed. All of it is found from
their own partition of the meetings table (`PERSON#<member id>`), never by a scan, and erased with
them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from shared.meetings import links
from shared.meetings.repository import MeetingRepository
from shared.privacy.register import Person
from shared.privacy.retention import Figures, Kept, LinkLife, days, span
from shared.send_once import SEND_HISTORY


class MeetingRecords:
    key: ClassVar[str] = "meetings"

    def __init__(self, client: Any, tables: Mapping[str, str]) -> None:
        self._repo = MeetingRepository(client, tables["meetings"])

    def export(self, person: Person) -> dict[str, Any] | None:
        mine = self._repo.of_person(person.member_id)
        meetings = []
        for meeting_id in self._repo.meetings_of(person.member_id, mine):
            record = self._repo.people(meeting_id).get(person.member_id, {})
            try:
                title = self._repo.get(meeting_id).title
            except Exception:  # the meeting itself may be gone; what we hold of the person is not
                title = None
            meetings.append(
                {
                    "meeting_id": meeting_id,
                    "title": title,
                    "emails": record.get("log", []),
                    "apologies": record.get("response") == "apologies",
                    "attendance": record.get("attendance"),
                }
            )
        feed = next((item for item in mine if item["sk"] == "FEED"), None)
        if not meetings and feed is None:
            return None
        return {
            "meetings": meetings,
            "private_calendar_feed": {"made_at": feed.get("created_at")} if feed else None,
        }

    def erase(self, person: Person) -> int:
        return self._repo.erase_person(person.member_id)

    @staticmethod
    def retention(figures: Figures) -> list[Kept]:
        return [
            Kept(
                "Which meetings we told you about, when, and whether you sent apologies or came (for the "
                "minutes)",
                f"{days(figures.attendance_retention_days)} after the meeting",
                "So the minutes can say who was there, and so you are not emailed twice about one meeting.",
                "TTL on each record (`attendance_retention_days`); erased with the member",
            ),
            Kept(
                "A note that one of our meeting emails was sent to you",
                span(SEND_HISTORY),
                "So you never get the same reminder twice.",
                "TTL (`shared/send_once.py` `SEND_HISTORY`); erased with the member",
            ),
            Kept(
                "Your private calendar link, if you made one",
                "Until you turn it off, or we delete your details",
                "So your calendar app can show your working groups' meetings.",
                "turned off on the calendar page, or by an administrator (the console, from their page); "
                "erased with the member",
            ),
        ]

    @staticmethod
    def links() -> list[LinkLife]:
        return [LinkLife("The link to send your apologies for a meeting", span(links.APOLOGIES.lifetime))]
