"""What the directory holds about people, as an entry of the subject-rights register
(`shared.privacy.register`): the contact someone chose to leave on an "is something wrong?" report.

Directory entries themselves are about services, not people (a named contact is someone's work
contact, published with their agreement). A report's contact, when it is an email address, is also
kept as its keyed lookup id, so a person's export and erasure find their reports without a scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from shared.directory.reports import REPORT_RETENTION
from shared.dynamo import batch_get, query_all
from shared.dynamo import value as v
from shared.privacy.register import Person
from shared.privacy.retention import Figures, Kept, LinkLife, span


class DirectoryReports:
    key: ClassVar[str] = "directory"

    def __init__(self, client: Any, tables: Mapping[str, str]) -> None:
        self._db = client
        self._table = tables.get("directory", "")

    def _reports(self, person: Person) -> list[dict[str, Any]]:
        if not person.lookup_id or not self._table:
            return []
        pointers = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": v(f"REPORTER#{person.lookup_id}")},
        )
        keys = [{"pk": v("REPORT"), "sk": v(p["sk"])} for p in pointers]
        return batch_get(self._db, self._table, keys) if keys else []

    def export(self, person: Person) -> dict[str, Any] | None:
        found = [
            {k: r.get(k) for k in ("service_name", "problem", "details", "contact", "received_at", "status")}
            for r in self._reports(person)
        ]
        return {"reports_about_directory_entries": found} if found else None

    def erase(self, person: Person) -> int:
        reports = self._reports(person)
        for report in reports:
            self._db.delete_item(TableName=self._table, Key={"pk": v("REPORT"), "sk": v(report["sk"])})
            self._db.delete_item(
                TableName=self._table, Key={"pk": v(f"REPORTER#{person.lookup_id}"), "sk": v(report["sk"])}
            )
        return len(reports)

    @staticmethod
    def links() -> list[LinkLife]:
        return []

    @staticmethod
    def retention(figures: Figures) -> list[Kept]:
        return [
            Kept(
                "If you tell us that a directory entry is wrong: what you said, and the phone number or "
                "email address you chose to leave",
                f"Your phone number or email until we have dealt with it; the rest {span(REPORT_RETENTION)}",
                "So we can check the entry, and ask you about it if we need to.",
                "TTL on the report (`shared/directory/reports.py` `REPORT_RETENTION`); dealing with a "
                "report deletes its contact (`Reports.resolve`)",
            ),
        ]
