"""'Is something wrong with this entry?': the short public form on each entry's page, and what the
reviewers do with what it says.

A report says what is wrong (out of date, closed, something else), with optional words and an
optional way to reach the person who sent it. It marks the entry for review, and the reviewers get
an email (at most one a day per entry) with a link to the console, never the report's words or the
contact. A filled honeypot gets the same answer and stores and sends nothing. A contact that is an
email address is also kept as its keyed lookup id, so a subject-access request or an erasure finds
the report (`shared.directory.privacy`); dealing with a report deletes its contact at once, and a
report expires a year after it came.
"""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.clock import epoch, iso
from shared.directory.repository import ServiceNotFound, ServiceRepository
from shared.dynamo import from_item, query_all, to_item, write_if
from shared.dynamo import value as v
from shared.email.address import normalise_email
from shared.email.mailer import Mailer, OutgoingEmail
from shared.email.render import render_email
from shared.errors import NotFound
from shared.forms import FormModel
from shared.keys import AddressLookup
from shared.model import Model
from shared.observability import logger
from shared.send_once import SendKey, SendLedger
from shared.text import Paragraphs, SingleLine

REPORT_RETENTION = timedelta(days=365)
PROBLEMS = {
    "out_of_date": "Some details are out of date",
    "closed": "It has closed, or is not running",
    "other": "Something else",
}


class ReportForm(FormModel):
    """`POST /directory/reports`, a plain form (or JSON)."""

    service: str = Field(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")
    problem: Literal["out_of_date", "closed", "other"]
    details: Paragraphs | None = Field(None, max_length=1000)
    contact: SingleLine | None = Field(None, max_length=200)
    website: str | None = Field(None, max_length=200, description="Honeypot: leave empty.")

    messages: ClassVar[dict[str, str]] = {
        "service": "This form was opened from an old link: go back to the entry and use its link again",
        "problem": "Choose what is wrong with the entry",
        "details": "Tell us what is wrong in 1,000 characters or fewer",
        "contact": "Enter a phone number or email address on one line, in 200 characters or fewer",
        "body": "Send the form fields as a form post or a JSON object",
    }


class Report(Model):
    id: str
    service_id: str
    service_name: str
    problem: str
    details: str | None = None
    contact: str | None = None
    received_at: str
    status: Literal["open", "resolved"] = "open"
    resolved_at: str | None = None
    resolved_by: str | None = None


class ReportNotFound(NotFound):
    message = "There is no such report."


class Reports:
    def __init__(
        self,
        client: Any,
        table: str,
        services: ServiceRepository,
        lookup: AddressLookup | None = None,
        mailer: Callable[[], Mailer] | None = None,
        ledger: SendLedger | None = None,
        reviewers: tuple[str, ...] = (),
        console_url: str = "",
    ) -> None:
        self._db = client
        self._table = table
        self._services = services
        self._lookup = lookup
        self._mailer = mailer
        self._ledger = ledger
        self._reviewers = reviewers
        self._console_url = console_url

    def submit(self, form: ReportForm, now: datetime) -> str:
        reference = uuid.uuid4().hex
        if form.website:
            logger.info("report form: honeypot filled; nothing stored")
            return reference
        service = self._services.get(form.service)  # ServiceNotFound: a link that does not work
        lookup_id = None
        if form.contact and "@" in form.contact and self._lookup is not None:
            try:
                lookup_id = self._lookup.email_lookup_id(normalise_email(form.contact))
            except ValueError:
                lookup_id = None
        sk = f"{iso(now)}#{reference}"
        expires = epoch(now + REPORT_RETENTION)
        report = Report(
            id=reference,
            service_id=str(service.id),
            service_name=service.name,
            problem=form.problem,
            details=form.details,
            contact=form.contact,
            received_at=iso(now),
        )
        item = {"pk": "REPORT", "sk": sk, **report.model_dump(), "expires_at": expires}
        if lookup_id:
            item["contact_lookup_id"] = lookup_id
        self._db.put_item(TableName=self._table, Item=to_item(item))
        if lookup_id:
            self._db.put_item(
                TableName=self._table,
                Item=to_item({"pk": f"REPORTER#{lookup_id}", "sk": sk, "expires_at": expires}),
            )
        self._services.flag(str(service.id))
        logger.info(
            "directory report received", extra={"service_id": str(service.id), "problem": form.problem}
        )
        self._tell_reviewers(str(service.id), service.name, now)
        return reference

    def _tell_reviewers(self, service_id: str, name: str, now: datetime) -> None:
        if self._mailer is None or self._ledger is None:
            return
        mailer = self._mailer()
        content = render_email(
            "directory_report",
            entry_name=name,
            review_url=f"{self._console_url}/console/directory/reports",
            entry_url=f"{self._console_url}/console/directory/services/{service_id}",
        )
        for address in self._reviewers:
            self._ledger.send_once(
                SendKey(f"SERVICE#{service_id}", "report_notice", f"{iso(now)[:10]}#{address}"),
                partial(mailer.send, OutgoingEmail(address, content, "directory_report", None)),
                now,
                keep=timedelta(days=2),
            )

    def listing(self, *, open_only: bool = True) -> list[Report]:
        items = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": v("REPORT")},
            ScanIndexForward=False,
        )
        found = [
            Report.model_validate({k: val for k, val in i.items() if k in Report.model_fields}) for i in items
        ]
        return [r for r in found if r.status == "open"] if open_only else found

    def resolve(self, report_id: str, actor: str, now: datetime) -> Report:
        """Dealt with: the report stays (without its contact) until it expires."""
        for item in query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": v("REPORT")},
        ):
            if item.get("id") != report_id:
                continue
            if item.get("contact_lookup_id"):
                self._db.delete_item(
                    TableName=self._table,
                    Key={"pk": v(f"REPORTER#{item['contact_lookup_id']}"), "sk": v(item["sk"])},
                )
            write_if(
                self._db.update_item,
                TableName=self._table,
                Key={"pk": v("REPORT"), "sk": v(item["sk"])},
                UpdateExpression="SET #s = :resolved, resolved_at = :at, resolved_by = :by "
                "REMOVE contact, contact_lookup_id",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":resolved": v("resolved"),
                    ":at": v(iso(now)),
                    ":by": v(actor[:80]),
                },
            )
            found = from_item(
                self._db.get_item(TableName=self._table, Key={"pk": v("REPORT"), "sk": v(item["sk"])})["Item"]
            )
            return Report.model_validate({k: val for k, val in found.items() if k in Report.model_fields})
        raise ReportNotFound(report_id)


__all__ = ["PROBLEMS", "Report", "ReportForm", "ReportNotFound", "Reports", "ServiceNotFound"]
