"""What feedback holds about people, as an entry of the subject-rights register
(`shared.privacy.register`): the items of a reporter who left their email address.

Anonymous feedback holds nothing that points at anyone: no address, no IP address, no browser. A
named reporter's address is stored apart from their words (`FEEDBACK#ref/CONTACT`) with its keyed
lookup id, and a pointer `REPORTER#<lookup id>` to each item, so a person's export and erasure find
their feedback without a scan. Erasure removes the whole item: its words, history, contact and what
was sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from shared.dynamo import batch_get, query_all
from shared.dynamo import value as v
from shared.feedback.links import FOLLOW_UP
from shared.privacy.register import Person
from shared.privacy.retention import Figures, Kept, LinkLife, span

EXPORTED = (
    "reference",
    "kind",
    "about",
    "category",
    "text",
    "rating",
    "role",
    "status",
    "received_at",
    "public_response",
    "anonymised_text",
    "consent_publish",
    "follow_up_answer",
)


class FeedbackRecords:
    key: ClassVar[str] = "feedback"

    def __init__(self, client: Any, tables: Mapping[str, str]) -> None:
        self._db = client
        self._table = tables.get("feedback", "")

    def _references(self, person: Person) -> list[str]:
        if not person.lookup_id or not self._table:
            return []
        pointers = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": v(f"REPORTER#{person.lookup_id}")},
        )
        return [str(p["sk"]).removeprefix("FEEDBACK#") for p in pointers]

    def export(self, person: Person) -> dict[str, Any] | None:
        references = self._references(person)
        keys = [{"pk": v(f"FEEDBACK#{r}"), "sk": v("ITEM")} for r in references]
        items = batch_get(self._db, self._table, keys) if keys else []
        found = [
            {k: i.get(k) for k in EXPORTED} for i in sorted(items, key=lambda i: str(i.get("received_at")))
        ]
        return {"feedback_you_gave": found} if found else None

    def erase(self, person: Person) -> int:
        erased = 0
        for reference in self._references(person):
            rows = query_all(
                self._db,
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": v(f"FEEDBACK#{reference}")},
                ProjectionExpression="pk, sk",
            )
            for row in rows:
                self._db.delete_item(TableName=self._table, Key={"pk": v(row["pk"]), "sk": v(row["sk"])})
            self._db.delete_item(
                TableName=self._table,
                Key={"pk": v(f"REPORTER#{person.lookup_id}"), "sk": v(f"FEEDBACK#{reference}")},
            )
            erased += len(rows) + 1
        return erased

    @staticmethod
    def links() -> list[LinkLife]:
        return [
            LinkLife(
                "The link to tell us whether a problem you told us about was solved", span(FOLLOW_UP.lifetime)
            )
        ]

    @staticmethod
    def retention(figures: Figures) -> list[Kept]:
        return [
            Kept(
                "Feedback and journal entries you send us: what you wrote, what it is about, your "
                "answers to the questions on the form, and what we did about it. Anonymous feedback "
                "holds no name, email, internet address or browser details",
                "2 years",
                "So the partnership can act on it, and show what changed.",
                "TTL on the item and its history (`feedback_retention_days` in cdk.json)",
            ),
            Kept(
                "The email address you chose to leave with your feedback, kept apart from what you wrote",
                "Until 4 weeks after your feedback is closed, and the 30 days you have to answer our "
                "follow-up question; then it is deleted",
                "So we can tell you what happened, and ask whether the problem was solved.",
                "TTL on the contact, moved when an item closes (`FeedbackService._contact_expiry`), and the "
                "daily `feedback-follow-up` run that deletes it (`FeedbackService.follow_ups`)",
            ),
        ]
