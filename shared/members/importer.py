"""Importing the partnership's existing list from a spreadsheet (saved as CSV): every row checked
first, a report of each row, then all or nothing.

A row is a member as the console's "Add a member" form takes one, with when and how they agreed to be
contacted (on paper, in person, by phone or by letter, and the date), which is recorded as their
consent. Members with an email address are sent the usual email asking them to confirm it (their
address is theirs to confirm, as on every other path); members without one are active at once, for
the Secretary to phone or write to.

Importing the same file again changes nothing: a row whose email address is a member's already is
left as it is, and a row without one is given an id made from its name, phone and address, so the
second import finds the member the first made.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from shared.consent import Channel
from shared.email.address import normalise_email
from shared.errors import DomainError
from shared.forms import field_errors
from shared.groups import WorkingGroup
from shared.members.admin import InPersonMember, MemberAdmin
from shared.members.models import ROLE_LABELS, Role

MAX_ROWS = 200  # one request loads them all, well inside API Gateway's 30 seconds
_NAMESPACE = uuid.UUID("0f4b8c1e-3a5d-4e6f-8a9b-1c2d3e4f5a6b")

# what a spreadsheet's first row may call each column (compared without case, spaces or punctuation)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "member", "member name"),
    "email": ("email", "email address", "e-mail", "e-mail address"),
    "phone": ("phone", "phone number", "telephone", "tel", "mobile"),
    "postal_address": ("address", "postal address", "home address"),
    "role": ("role", "which best describes them", "describes them", "type"),
    "organisation": ("organisation", "organization", "employer"),
    "working_groups": ("working groups", "groups", "working group"),
    "agreed_on": ("agreed on", "date agreed", "consent date", "date of consent", "joined", "date"),
    "how": ("how", "how they agreed", "consent given", "agreed how"),
    "patient_or_carer_agreed": (
        "patient or carer agreed",
        "health consent",
        "agreed we may record they are a patient or carer",
    ),
}
LABELS = {
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "postal_address": "Address",
    "role": "Role",
    "organisation": "Organisation",
    "working_groups": "Working groups",
    "agreed_on": "Agreed on",
    "how": "How",
    "patient_or_carer_agreed": "Patient or carer agreed",
}
HOW: dict[str, Channel] = {
    "paper": "letter",
    "on paper": "letter",
    "form": "letter",
    "paper form": "letter",
    "letter": "letter",
    "post": "letter",
    "in person": "in_person",
    "face to face": "in_person",
    "phone": "phone",
    "by phone": "phone",
    "telephone": "phone",
    "email": "email",
    "by email": "email",
}
YES = {"yes", "y", "true", "1", "agreed", "x", "✓"}


def _plain(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


ROLE_WORDS: dict[str, Role] = {
    **{_plain(r.value): r for r in Role},
    **{_plain(label.split(" (")[0]): r for r, label in ROLE_LABELS.items()},
    "patient and carer": Role.PATIENT_AND_CARER,
    "both": Role.PATIENT_AND_CARER,
    "nurse": Role.HEALTH_PROFESSIONAL,
    "doctor": Role.HEALTH_PROFESSIONAL,
    "gp": Role.HEALTH_PROFESSIONAL,
    "volunteer": Role.VOLUNTARY_GROUP,
    "not stated": Role.NOT_STATED,
    "rather not say": Role.NOT_STATED,
    "": Role.NOT_STATED,
}
ROLE_HELP = "Write one of: patient, carer, patient and carer, health professional, hospital staff, " + (
    "service provider, voluntary group, observer, or leave it empty"
)
MESSAGES = {
    "name": "Give their name, up to 100 characters",
    "email": "Write the email address like name@example.org, or leave it empty",
    "phone": "Write the phone number with 7 to 20 digits, spaces and + ( ) - only",
    "postal_address": "Give an email address, a phone number or an address (up to 300 characters)",
    "role": ROLE_HELP,
    "organisation": "Keep the organisation to one line of up to 120 characters",
    "working_groups": "Name open working groups, split by commas",
    "agreed_on": "Write the date they agreed to be contacted, like 2026-03-14 or 14/03/2026",
    "how": "Write how they agreed: on paper, in person, by phone or by email",
    "patient_or_carer_agreed": "A patient or carer needs 'yes' here: they agreed that we may record it",
}


class ImportUnreadable(DomainError):
    status = 400
    message = "The file could not be read."

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RowReport(NamedTuple):
    row: int  # the spreadsheet's row number (its first row names the columns)
    name: str
    result: Literal["add", "already", "problem", "added"]
    problems: dict[str, str]  # column label -> what is wrong


class Checked(NamedTuple):
    report: RowReport
    form: InPersonMember | None
    channel: Channel
    agreed_at: datetime | None
    member_id: str | None


class ImportReport(NamedTuple):
    rows: list[RowReport]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.result == "problem" for r in self.rows)

    def count(self, result: str) -> int:
        return sum(1 for r in self.rows if r.result == result)


def read_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by our column name) for each row with anything in it."""
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header = next(reader, None)
        if not header:
            raise ImportUnreadable("The file is empty. Save the spreadsheet as CSV and choose that file")
        names: list[str | None] = []
        for cell in header:
            plain = _plain(cell)
            known = next((k for k, aliases in COLUMNS.items() if plain in {_plain(a) for a in aliases}), None)
            if known is None and plain:  # a column we would drop without a word (an address, say)
                raise ImportUnreadable(
                    f"We do not know the column '{cell.strip()[:40]}'. Rename it to one of: "
                    f"{', '.join(LABELS.values())}. Or delete that column"
                )
            if known is not None and known in names:
                raise ImportUnreadable(f"Two columns are both '{LABELS[known]}': keep one of them")
            names.append(known)
        if "name" not in names:
            raise ImportUnreadable(
                "The first row must name the columns, and one of them must be 'Name'. "
                "See the help page for the columns"
            )
        rows: list[tuple[int, dict[str, str]]] = []
        # a row's number is the spreadsheet's (the names are row 1), however many lines its cells hold
        for number, values in enumerate(reader, start=2):
            if len(rows) >= MAX_ROWS:
                raise ImportUnreadable(f"A file can hold up to {MAX_ROWS} people: split it in two")
            if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
                raise ImportUnreadable(f"Row {number} has more cells than the first row has names")
            cells = {n: v.strip() for n, v in zip(names, values, strict=False) if n is not None}
            if any(cells.values()):
                rows.append((number, cells))
    except csv.Error:
        raise ImportUnreadable("The file is not a CSV spreadsheet: save it as CSV and try again") from None
    if not rows:
        raise ImportUnreadable("The file has no one in it, below its first row")
    return rows


def _date(text: str, today: date) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            found = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return found if date(2000, 1, 1) <= found <= today else None
    return None


def check(
    rows: Iterable[tuple[int, dict[str, str]]],
    groups: list[WorkingGroup],
    notice_version: str,
    admin: MemberAdmin,
    now: datetime,
    time_zone: str,
) -> list[Checked]:
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    by_name = {_plain(g.name): g.id for g in groups} | {g.id: g.id for g in groups}
    seen_emails: set[str] = set()
    checked = []
    for number, cells in rows:
        problems: dict[str, str] = {}
        role = ROLE_WORDS.get(_plain(cells.get("role", "")))
        if role is None:
            problems["role"] = ROLE_HELP
        chosen = [part.strip() for part in cells.get("working_groups", "").replace(",", ";").split(";")]
        group_ids = [by_name.get(_plain(c)) or by_name.get(c) for c in chosen if c]
        unknown = [c for c, g in zip([c for c in chosen if c], group_ids, strict=True) if g is None]
        if unknown:
            problems["working_groups"] = (
                f"No open working group is called '{unknown[0][:60]}'. " + (MESSAGES["working_groups"])
            )
        agreed = _date(cells.get("agreed_on", ""), today)
        if agreed is None:
            problems["agreed_on"] = MESSAGES["agreed_on"]
        channel = HOW.get(_plain(cells.get("how", "")) or "paper")
        if channel is None:
            problems["how"] = MESSAGES["how"]
        data: dict[str, Any] = {
            "name": cells.get("name", ""),
            "email": cells.get("email") or None,
            "phone": cells.get("phone") or None,
            "postal_address": (cells.get("postal_address") or "").replace("\r\n", "\n") or None,
            "role": role or Role.NOT_STATED,
            "organisation": cells.get("organisation") or None,
            "working_groups": [g for g in group_ids if g],
            "consent_contact_in_person": True,
            "consent_health_data_in_person": _plain(cells.get("patient_or_carer_agreed", "")) in YES,
            "privacy_notice_version": notice_version,
        }
        form: InPersonMember | None = None
        try:
            form = InPersonMember.model_validate(data)
        except ValidationError as invalid:
            for field in field_errors(InPersonMember, invalid):
                column = "patient_or_carer_agreed" if field == "consent_health_data_in_person" else field
                if column in MESSAGES:
                    problems.setdefault(column, MESSAGES[column])
        result: Literal["add", "already", "problem"] = "add"
        member_id = None
        if form is not None and form.email:
            email = normalise_email(form.email)
            if email in seen_emails:
                problems["email"] = "This email address is on an earlier row too"
            seen_emails.add(email)
            if not problems and admin.holder_of(email, now) is not None:
                result = "already"
        elif form is not None:
            key = "|".join(_plain(x or "") for x in (form.name, form.phone, form.postal_address))
            member_id = str(uuid.uuid5(_NAMESPACE, key))
            if not problems and admin.exists(member_id, now):
                result = "already"
        agreed_at = datetime.combine(agreed, time(12), tzinfo=zone) if agreed is not None else None
        report = RowReport(
            number,
            cells.get("name", "")[:100],
            "problem" if problems else result,
            {LABELS[k]: v for k, v in problems.items()},
        )
        checked.append(Checked(report, form, channel or "letter", agreed_at, member_id))
    return checked


def load(checked: list[Checked], admin: MemberAdmin, actor: str, now: datetime) -> ImportReport:
    """Add every row to add; only call with a report whose every row is good."""
    assert all(c.report.result != "problem" for c in checked)
    rows = []
    for item in checked:
        if item.report.result == "add" and item.form is not None:
            admin.add(item.form, actor, now, item.member_id, channel=item.channel, agreed_at=item.agreed_at)
            rows.append(item.report._replace(result="added"))
        else:
            rows.append(item.report)
    return ImportReport(rows)
