"""Import the directory from a spreadsheet (CSV) or JSON, all or nothing.

Every row is validated before anything is written. If any row is bad, nothing is written and the
report names each bad row, its field (the CSV's column) and what is wrong. Otherwise each row creates
an entry, changes one, or leaves one as it is: a row finds its entry by its `id`, else by its
organisation's and its own name, so importing the same file twice changes nothing the second time.

CSV columns (the first row names them; any order; only `name`, `description`, `organization_name`,
`organization_description` and `categories` are needed):
id, name, alternate_name, description, status, categories, needs (several separated by `;`),
organization_name, organization_description, organization_website, organization_email,
organization_phone, location_name, location_address, location_town, location_postcode,
location_accessibility, location_transportation, contact_name, phone, email, website,
opening_times (`MO,TU,WE 09:00-17:00; 2TU 10:00-12:00`), closures
(`2026-12-25 to 2026-12-26: Christmas; ...`), alert, eligibility_description, minimum_age,
maximum_age, fees_description, free (yes/no), application_process, review_interval_months,
last_reviewed (YYYY-MM-DD).

JSON: a list of services as the admin API takes them, or `{"services": [...]}`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from shared.clock import iso
from shared.directory.admin import DirectoryAdmin, target
from shared.directory.models import (
    ORGANIZATION_FIELDS,
    SERVICE_SCALARS,
    Service,
    ServiceInput,
    id_for,
    natural_key,
)
from shared.directory.repository import ChangeEntry, differences
from shared.forms import field_errors

MAX_ROWS = 5000
LIST = re.compile(r"\s*;\s*")
OPENING = re.compile(r"^([A-Z0-9,\- ]+?)\s+([0-9]{1,2}:[0-9]{2})\s*-\s*([0-9]{1,2}:[0-9]{2})$", re.IGNORECASE)
CLOSURE = re.compile(r"^([0-9-]{10})\s*(?:to\s*([0-9-]{10}))?\s*:\s*(.+)$", re.IGNORECASE)

# the model's path of a field -> the CSV column it came from (for a row's report)
COLUMNS = {
    "organization.name": "organization_name",
    "organization.description": "organization_description",
    "organization.website": "organization_website",
    "organization.email": "organization_email",
    "organization.phone": "organization_phone",
    "locations.0.name": "location_name",
    "locations.0.address": "location_address",
    "locations.0.town": "location_town",
    "locations.0.postcode": "location_postcode",
    "locations.0.accessibility": "location_accessibility",
    "locations.0.transportation": "location_transportation",
    "contacts.0.name": "contact_name",
    "contacts.0.phone": "phone",
    "contacts.0.email": "email",
    "contacts.0.website": "website",
}


class RowResult(NamedTuple):
    row: int  # 1 is the first service (the header of a CSV is not counted)
    name: str
    id: str | None
    result: str  # created, updated, unchanged, refused
    errors: dict[str, str]


class ImportReport(NamedTuple):
    rows: list[RowResult]

    @property
    def ok(self) -> bool:
        return not any(r.errors for r in self.rows)

    def count(self, result: str) -> int:
        return sum(1 for r in self.rows if r.result == result)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "created": self.count("created"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "refused": self.count("refused"),
            "rows": [r._asdict() for r in self.rows],
        }


class ImportUnreadable(ValueError):
    """The file itself cannot be read: says why, in words for the person who sent it."""


def rows_from_csv(text: str) -> list[tuple[dict[str, Any], bool]]:
    try:
        return _rows_from_csv(text)
    except csv.Error:
        raise ImportUnreadable("The file is not a CSV spreadsheet: save it as CSV and try again") from None


def _rows_from_csv(text: str) -> list[tuple[dict[str, Any], bool]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "name" not in [f.strip() for f in reader.fieldnames]:
        raise ImportUnreadable("The first row must name the columns, and one of them must be `name`")
    rows = []
    for raw in reader:
        if None in raw:
            raise ImportUnreadable(f"Row {reader.line_num - 1} has more cells than the first row has names")
        cells = {k.strip(): (val or "").strip() for k, val in raw.items() if k}
        if any(cells.values()):
            rows.append((service_from_cells(cells), True))
    return rows


def rows_from_json(text: str) -> list[tuple[dict[str, Any], bool]]:
    try:
        data = json.loads(text)
    except ValueError:
        raise ImportUnreadable("The file is not valid JSON") from None
    if isinstance(data, dict):
        data = data.get("services", data.get("contents"))
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ImportUnreadable('The JSON must be a list of services, or {"services": [...]}')
    return [(row, False) for row in data]


def service_from_cells(cells: Mapping[str, str]) -> dict[str, Any]:
    """A spreadsheet row as the admin API's JSON (cells left empty are left out)."""

    def get(name: str) -> str | None:
        return cells.get(name) or None

    def listed(name: str) -> list[str]:
        return [part for part in LIST.split(cells.get(name, "")) if part]

    service: dict[str, Any] = {key: get(key) for key in ("id", *SERVICE_SCALARS) if get(key) is not None}
    service["categories"] = [c.lower() for c in listed("categories")]
    service["needs"] = [n.lower() for n in listed("needs")]
    service["organization"] = {
        key: get(f"organization_{key}")
        for key in ORGANIZATION_FIELDS
        if get(f"organization_{key}") is not None
    }
    location = {
        key: get(f"location_{key}")
        for key in ("name", "address", "town", "postcode", "accessibility", "transportation")
        if get(f"location_{key}") is not None
    }
    if location:
        if "address" not in location and "postcode" not in location:
            location["location_type"] = "virtual"
        service["locations"] = [location]
    contact = {
        key: get(column)
        for key, column in (
            ("name", "contact_name"),
            ("phone", "phone"),
            ("email", "email"),
            ("website", "website"),
        )
        if get(column) is not None
    }
    if contact:
        service["contacts"] = [contact]
    schedules = []
    for part in listed("opening_times"):
        found = OPENING.match(part)
        schedules.append(
            {
                "byday": found.group(1).replace(" ", ""),
                "opens_at": found.group(2),
                "closes_at": found.group(3),
            }
            if found
            else {"byday": part}  # the model says what is wrong with it
        )
    if schedules:
        service["schedules"] = schedules
    closures = []
    for part in listed("closures"):
        found = CLOSURE.match(part)
        closures.append(
            {
                "starts_on": found.group(1),
                "ends_on": found.group(2) or found.group(1),
                "reason": found.group(3),
            }
            if found
            else {"starts_on": part, "ends_on": part, "reason": part}
        )
    if closures:
        service["closures"] = closures
    if get("free") is not None:
        service["free"] = (get("free") or "").lower() in ("yes", "y", "true", "1", "free")
    return service


def _column(path: str, csv_row: bool) -> str:
    if not csv_row:
        return path
    if path in COLUMNS:
        return COLUMNS[path]
    if path.startswith("schedules."):
        return "opening_times"
    if path.startswith("closures."):
        return "closures"
    return path.split(".")[0]


def import_rows(
    admin: DirectoryAdmin,
    rows: list[tuple[dict[str, Any], bool]],
    actor: str,
    now: datetime,
    *,
    dry_run: bool = False,
) -> ImportReport:
    if len(rows) > MAX_ROWS:
        raise ImportUnreadable(f"The file has {len(rows)} services: import at most {MAX_ROWS} at once")
    if not rows:
        raise ImportUnreadable("The file has no services in it")
    existing = admin.repository.all()
    by_id = {str(s.id): s for s in existing}
    by_key = {s.key: s for s in existing}
    seen: dict[str, int] = {}
    results: list[RowResult] = []
    writes: list[Service] = []
    entries: list[ChangeEntry] = []
    for number, (row, csv_row) in enumerate(rows, start=1):
        name = str(row.get("name") or "")[:150]
        try:
            data = ServiceInput.model_validate(row)
        except ValidationError as invalid:
            errors = {_column(f, csv_row): m for f, m in field_errors(ServiceInput, invalid).items()}
            results.append(RowResult(number, name, None, "refused", errors))
            continue
        key = natural_key(data.organization.name, data.name)
        before = by_id.get(str(data.id)) if data.id else by_key.get(key)
        service_id = (
            str(data.id)
            if data.id
            else (str(before.id) if before else id_for(data.organization.name, data.name))
        )
        if service_id in seen or key in seen:
            earlier = seen.get(service_id) or seen.get(key)
            results.append(
                RowResult(number, name, service_id, "refused", {"name": f"This row repeats row {earlier}"})
            )
            continue
        seen[service_id] = seen[key] = number
        if before is None and service_id in by_id:
            before = by_id[service_id]
        after = admin.build(data, service_id, actor, now, before)
        if before is not None and after.as_input() == before.as_input():
            results.append(RowResult(number, name, service_id, "unchanged", {}))
            continue
        writes.append(after)
        entries.append(
            ChangeEntry(
                service_id=service_id,
                name=after.name,
                at=iso(now),
                actor=actor,
                action="imported",
                changes=differences(before.as_input() if before else None, after.as_input()),
            )
        )
        results.append(RowResult(number, name, service_id, "updated" if before else "created", {}))
    report = ImportReport(results)
    if report.ok and writes and not dry_run:
        admin.repository.write_all(writes, entries, now)
        admin.audit.record(
            actor=actor,
            action="directory.import",
            target="DIRECTORY",
            now=now,
            fields=[f"{len(writes)} entries"],
        )
    return report


__all__ = ["ImportReport", "ImportUnreadable", "import_rows", "rows_from_csv", "rows_from_json", "target"]
