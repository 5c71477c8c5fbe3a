"""Feedback's domain: submission (anonymous, named, or on someone's behalf), screening, routing to
the coordinators, the status lifecycle with updates to the reporter, the follow-up question, the
digest and the escalation of urgent items nobody acknowledged.

Items (`FEEDBACK#ref/ITEM`) never hold the contact address: it is `FEEDBACK#ref/CONTACT`, with a
pointer `REPORTER#<lookup id>/FEEDBACK#ref` so that a subject-access export or an erasure finds it.
Nothing here logs a text, an address or a name; logs name references, kinds and counts.

A submission is written once however often it is sent: its guard (`SUBMISSION#<hash>`, ten minutes)
is keyed by the form's own once-token (or a JSON client's Idempotency-Key), so a double click makes
one item and one acknowledgement. Without a token each request is its own: two people who send the
same words are two items (a short compliment such as "Very good" often is the same). Every email is
sent through the send ledger (`shared.send_once`), in the item's own partition, so a retried request
never sends twice and erasing the item erases its send history.
"""

from __future__ import annotations

import hashlib
import statistics
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, NamedTuple

from shared.audit import AuditTrail
from shared.clock import epoch, iso
from shared.dynamo import WriteConflict, failed_conditions, from_item, query_all, to_item, write_if
from shared.dynamo import value as v
from shared.email.mailer import Mailer, OutgoingEmail
from shared.email.render import render_email
from shared.errors import DomainError, NotFound
from shared.feedback import links
from shared.feedback.models import (
    KINDS,
    ON_BEHALF,
    STATUSES,
    FeedbackForm,
    FeedbackPatch,
    FeedbackSettings,
    HistoryEntry,
    Item,
    PublicStatus,
    new_reference,
)
from shared.feedback.redaction import find, kinds_removed
from shared.feedback.screening import matches
from shared.keys import AddressLookup
from shared.observability import logger, metrics
from shared.send_once import SendKey, SendLedger
from shared.settings import Contact
from shared.tokens import SigningKey

LISTING = "FEEDBACK"
SITE_MARK = {"pk": v("SITE#you-said-we-did"), "sk": v("CHANGED")}
GUARD_WINDOW = timedelta(minutes=10)
FOLLOW_UP_ANSWER_DAYS = 30  # the follow-up link's life (links.FOLLOW_UP)
# statuses that count as a coordinator having acknowledged the item
ACKNOWLEDGED = frozenset(STATUSES) - {"received"}


class FeedbackNotFound(NotFound):
    message = "There is no feedback with that reference. Check the reference and try again."
    title = "We cannot find that feedback"


class UnknownCategory(DomainError):
    message = "Choose one of the categories on the form"
    fields: ClassVar[Mapping[str, str]] = {"category": "Choose what it is mainly about"}


class NothingToChange(DomainError):
    message = "Send at least one of status, working_group, internal_note, public_response, anonymised_text"
    fields: ClassVar[Mapping[str, str]] = {"body": "Send at least one field to change"}


class Submitted(NamedTuple):
    reference: str
    urgent: bool
    first: bool  # False: a second submission of the same form (nothing new was stored or sent)


class Filters(NamedTuple):
    status: str | None = None
    category: str | None = None
    urgent: bool | None = None
    received_from: str | None = None  # yyyy-mm-dd, inclusive
    received_to: str | None = None  # yyyy-mm-dd, inclusive


def _key(reference: str, sk: str) -> dict[str, Any]:
    return {"pk": v(f"FEEDBACK#{reference}"), "sk": v(sk)}


def queue_order(items: list[Item]) -> list[Item]:
    """The triage queue: open items, urgent first, then the oldest."""
    return sorted(items, key=lambda i: (not i.urgent, i.received_at))


class FeedbackService:
    def __init__(
        self,
        client: Any,
        table: str,
        settings: FeedbackSettings,
        *,
        base_url: str,
        group_name: str,
        contact: Contact,
        coordinators: tuple[str, ...],
        lookup: Callable[[], AddressLookup | None] = lambda: None,
        mailer: Callable[[], Mailer] | None = None,
        audit: AuditTrail | None = None,
        signing_key: Callable[[], SigningKey] | None = None,
    ) -> None:
        self._db = client
        self._table = table
        self.settings = settings
        self._base_url = base_url.rstrip("/")
        self._group_name = group_name
        self._contact = contact
        self._coordinators = coordinators
        self._lookup = lookup
        self._mailer = mailer
        self._audit = audit
        self._signing_key = signing_key
        self._ledger = SendLedger(client, table)

    # --- submission ------------------------------------------------------------------------------

    def submit(
        self,
        form: FeedbackForm,
        now: datetime,
        *,
        once: str | None = None,
        on_behalf: tuple[str, str] | None = None,
    ) -> Submitted:
        """Store a submission, screen it, email the coordinators and acknowledge the reporter.
        `once`: the form's once-token (or a JSON client's Idempotency-Key); `on_behalf`: (how, actor)."""
        if form.website:
            logger.info("feedback form: honeypot filled; nothing stored")
            return Submitted(new_reference(), False, False)
        if form.category not in self.settings.categories:
            raise UnknownCategory()
        reference = new_reference()
        if once and not self._guard(once, reference, now):
            existing = self._guarded(once) or reference
            try:
                stored = self.get(existing)
            except FeedbackNotFound:
                # the first attempt stopped before its item was written: this one writes it
                logger.info("feedback: a retry of a submission that was not stored; storing it")
                reference = existing
            else:
                # the same form again: nothing new is stored, and any email the first attempt could not
                # send goes now (each exactly once: a sent one's claim stops it going twice)
                logger.info("feedback: the same submission again; nothing new stored")
                self._tell_coordinators(stored, now)
                if form.contact_email and stored.has_contact:
                    self._acknowledge(stored, form.contact_email, now)
                return Submitted(existing, stored.urgent, False)
        urgent = bool(matches(form.text, self.settings.phrases))
        at = iso(now)
        expires = epoch(now + timedelta(days=self.settings.retention_days))
        item = {
            "reference": reference,
            "kind": form.kind,
            "about": form.subject,
            "category": form.category,
            "text": form.text,
            "role": form.role,
            "rating": form.rating,
            "urgent": urgent,
            "status": "received",
            "received_at": at,
            "consent_publish": form.consent_publish,
            "has_contact": bool(form.contact_email),
            "on_behalf": ON_BEHALF[on_behalf[0]] if on_behalf else None,
            "listing": LISTING,
            "expires_at": expires,
        }
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**_key(reference, "ITEM"), **to_item(item)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._history_put(reference, now, on_behalf[1] if on_behalf else "reporter", "received", expires),
            self._mark_put(now),
        ]
        if form.contact_email:
            lookup = self._lookup()
            lookup_id = lookup.email_lookup_id(form.contact_email) if lookup else None
            contact = {"email": form.contact_email, "lookup_id": lookup_id, "expires_at": expires}
            writes.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {**_key(reference, "CONTACT"), **to_item(contact)},
                    }
                }
            )
            if lookup_id:
                pointer = {"pk": v(f"REPORTER#{lookup_id}"), "sk": v(f"FEEDBACK#{reference}")}
                writes.append(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**pointer, **to_item({"reference": reference, "expires_at": expires})},
                        }
                    }
                )
        if failed_conditions(self._db.transact_write_items, TransactItems=writes):
            # a retry raced the first attempt, which has just written the item: that one sends
            return Submitted(reference, urgent, False)
        logger.info(
            "feedback received",
            extra={
                "reference": reference,
                "kind": form.kind,
                "urgent": urgent,
                "named": bool(form.contact_email),
                "on_behalf": bool(on_behalf),
            },
        )
        metrics.add_metric(name="FeedbackReceived", unit="Count", value=1)
        if urgent:
            metrics.add_metric(name="FeedbackUrgent", unit="Count", value=1)
        stored = Item.from_stored(item)
        self._tell_coordinators(stored, now)
        if form.contact_email:
            self._acknowledge(stored, form.contact_email, now)
        if self._audit is not None and on_behalf:
            self._audit.record(
                actor=on_behalf[1], action="feedback.on_behalf", target=f"FEEDBACK#{reference}", now=now
            )
        return Submitted(reference, urgent, True)

    def _acknowledge(self, item: Item, address: str, now: datetime) -> None:
        self._send_reporter(
            item.reference,
            address,
            "received",
            "-",
            now,
            kind_words=KINDS[item.kind],
            about=item.about,
            first_response_days=self.settings.first_response_days,
        )

    @staticmethod
    def _guard_key(once: str) -> dict[str, Any]:
        """The guard of one form (its once-token, hashed: the token is not kept)."""
        return {"pk": v(f"SUBMISSION#{hashlib.sha256(once.encode()).hexdigest()}"), "sk": v("SUBMISSION")}

    def _guard(self, once: str, reference: str, now: datetime) -> bool:
        return write_if(
            self._db.put_item,
            TableName=self._table,
            Item={
                **self._guard_key(once),
                **to_item({"reference": reference, "expires_at": epoch(now + GUARD_WINDOW)}),
            },
            ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
            ExpressionAttributeValues={":now": v(epoch(now))},
        )

    def _guarded(self, once: str) -> str | None:
        found = self._db.get_item(TableName=self._table, Key=self._guard_key(once), ConsistentRead=True).get(
            "Item"
        )
        return str(from_item(found)["reference"]) if found else None

    def _history_put(
        self,
        reference: str,
        now: datetime,
        actor: str,
        action: str,
        expires: int,
        detail: str = "",
        order: str = "",
    ) -> dict[str, Any]:
        """A history entry; `order` (the item's version and the entry's place in its change) keeps
        the entries of changes made within one second in the order they were made."""
        entry = {
            "at": iso(now),
            "actor": actor[:80],
            "action": action,
            "detail": detail,
            "expires_at": expires,
        }
        sk = f"HISTORY#{iso(now)}#{order}{uuid.uuid4().hex[:8]}"
        return {"Put": {"TableName": self._table, "Item": {**_key(reference, sk), **to_item(entry)}}}

    def _mark_put(self, now: datetime) -> dict[str, Any]:
        """'You said, we did' needs publishing again (its publisher looks every minute)."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": SITE_MARK,
                "UpdateExpression": "SET changed_at = :at ADD changes :one",
                "ExpressionAttributeValues": {":at": v(iso(now)), ":one": v(1)},
            }
        }

    def publication_mark(self) -> tuple[str, str | None]:
        """(how many changes 'you said, we did' has been marked with, how many its last publication
        covered), as text."""
        found = self._db.get_item(TableName=self._table, Key=SITE_MARK, ConsistentRead=True).get("Item")
        mark = from_item(found) if found else {}
        through = mark.get("published_through")
        return str(mark.get("changes", 0)), None if through is None else str(through)

    def mark_published(self, through: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=SITE_MARK,
            UpdateExpression="SET published_through = :through",
            ExpressionAttributeValues={":through": v(through)},
        )

    # --- reading ---------------------------------------------------------------------------------

    def get(self, reference: str) -> Item:
        found = self._db.get_item(TableName=self._table, Key=_key(reference, "ITEM"), ConsistentRead=True)
        if "Item" not in found:
            raise FeedbackNotFound(reference)
        return Item.from_stored(from_item(found["Item"]))

    def public_status(self, reference: str) -> PublicStatus:
        item = self.get(reference)
        return PublicStatus(
            reference=item.reference,
            status=item.status,
            status_label=STATUSES[item.status],
            received_on=item.received_at[:10],
            public_response=item.public_response,
        )

    def history(self, reference: str) -> list[HistoryEntry]:
        rows = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
            ExpressionAttributeValues={":pk": v(f"FEEDBACK#{reference}"), ":h": v("HISTORY#")},
        )
        return [
            HistoryEntry.model_validate({k: r[k] for k in ("at", "actor", "action", "detail") if k in r})
            for r in rows
        ]

    def contact(self, reference: str) -> str | None:
        found = self._db.get_item(TableName=self._table, Key=_key(reference, "CONTACT")).get("Item")
        return str(from_item(found)["email"]) if found else None

    def all_items(self, since: str | None = None) -> list[Item]:
        condition = "listing = :l" + (" AND received_at >= :since" if since else "")
        values = {":l": v(LISTING), **({":since": v(since)} if since else {})}
        rows = query_all(
            self._db,
            TableName=self._table,
            IndexName="by_received",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
        return [Item.from_stored(r) for r in rows]

    def listing(self, filters: Filters) -> list[Item]:
        since = filters.received_from
        items = self.all_items(since)
        if filters.received_to:
            items = [i for i in items if i.received_at[:10] <= filters.received_to]
        if filters.status:
            items = [i for i in items if i.status == filters.status]
        if filters.category:
            items = [i for i in items if i.category == filters.category]
        if filters.urgent is not None:
            items = [i for i in items if i.urgent == filters.urgent]
        return queue_order(items)

    def export(
        self, filters: Filters, *, with_contacts: bool, actor: str, now: datetime
    ) -> list[dict[str, Any]]:
        """The list as rows for a download: no contact details unless asked for, and asking is audited."""
        rows = []
        for item in self.listing(filters):
            row = item.model_dump()
            if with_contacts:
                row["contact_email"] = self.contact(item.reference) if item.has_contact else None
            rows.append(row)
        if with_contacts and self._audit is not None:
            self._audit.record(
                actor=actor, action="feedback.contacts_exported", target="FEEDBACK_LIST#contacts", now=now
            )
        return rows

    # --- changes ---------------------------------------------------------------------------------

    def update(self, reference: str, patch: FeedbackPatch, actor: str, now: datetime) -> Item:
        given = patch.given()
        if not given:
            raise NothingToChange()
        before = self.get(reference)
        at = iso(now)
        expires = epoch(now + timedelta(days=self.settings.retention_days))
        sets: dict[str, Any] = {}
        removes: list[str] = []
        history: list[tuple[str, str]] = []
        status = given.get("status")
        if status and status != before.status:
            sets["status"] = status
            history.append(("status", status))
            if status in ACKNOWLEDGED and before.first_response_at is None:
                sets["first_response_at"] = at
            if status == "change_made":
                sets["changed_at"] = at
            if status == "closed":
                sets["closed_at"] = at
            elif before.closed_at:
                removes.append("closed_at")
        if "working_group" in given and given["working_group"] != before.working_group:
            if given["working_group"]:
                sets["working_group"] = given["working_group"]
            else:
                removes.append("working_group")
            history.append(("working_group", given["working_group"] or ""))
        if given.get("internal_note"):
            history.append(("note", given["internal_note"]))
        response = given.get("public_response")
        if response and response != before.public_response:
            sets["public_response"] = response
            sets["public_response_at"] = at
            history.append(("public_response", response))
            if before.first_response_at is None and "first_response_at" not in sets:
                sets["first_response_at"] = at
        if "anonymised_text" in given and given["anonymised_text"] != before.anonymised_text:
            if given["anonymised_text"]:
                sets["anonymised_text"] = given["anonymised_text"]
            else:
                removes.append("anonymised_text")
            history.append(("anonymised_text", "withheld" if not given["anonymised_text"] else "edited"))
        if not history:
            return before
        # every change moves the item's version on, if nobody else moved it since it was read
        sets.update({"updated_at": at, "version": before.version + 1})
        names = {f"#{n}": n for n in [*sets, *removes]}
        expression = "SET " + ", ".join(f"#{n} = :{n}" for n in sets)
        if removes:
            expression += " REMOVE " + ", ".join(f"#{n}" for n in removes)
        condition = "attribute_exists(pk) AND " + (
            "#version = :before" if before.version else "attribute_not_exists(#version)"
        )
        values = {f":{n}": v(val) for n, val in sets.items()}
        if before.version:
            values[":before"] = v(before.version)
        item_write: dict[str, Any] = {
            "TableName": self._table,
            "Key": _key(reference, "ITEM"),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        writes = [{"Update": item_write}, self._mark_put(now)]
        writes += [
            self._history_put(
                reference, now, actor, action, expires, detail, f"{before.version + 1:06d}.{n}."
            )
            for n, (action, detail) in enumerate(history)
        ]
        if status == "closed" or (before.closed_at and status and status != "closed"):
            writes += self._contact_expiry(reference, before, now, closing=status == "closed")
        if failed_conditions(self._db.transact_write_items, TransactItems=writes):
            raise WriteConflict()  # changed (or deleted) since it was read: nothing was written
        after = self.get(reference)
        logger.info(
            "feedback changed", extra={"reference": reference, "changed": sorted({a for a, _ in history})}
        )
        if self._audit is not None:
            fields = sorted({"note": "internal_note"}.get(a, a) for a, _ in history)
            self._audit.record(
                actor=actor, action="feedback.updated", target=f"FEEDBACK#{reference}", now=now, fields=fields
            )
        self._tell_reporter_of_changes(before, after, history, now)
        return after

    def _contact_expiry(
        self, reference: str, before: Item, now: datetime, *, closing: bool
    ) -> list[dict[str, Any]]:
        """Closing: the contact goes when the follow-up window is over (closed + follow-up + its
        answer time). Reopening: it is kept as long as the item again."""
        if not before.has_contact:
            return []
        if closing:
            until = now + timedelta(days=self.settings.follow_up_days + FOLLOW_UP_ANSWER_DAYS)
        else:
            until = now + timedelta(days=self.settings.retention_days)
        return [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _key(reference, "CONTACT"),
                    "UpdateExpression": "SET expires_at = :e",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":e": v(epoch(until))},
                }
            }
        ]

    def _tell_reporter_of_changes(
        self, before: Item, after: Item, history: list[tuple[str, str]], now: datetime
    ) -> None:
        if not after.has_contact:
            return
        address = self.contact(after.reference)
        if not address:
            return
        new_status = after.status != before.status
        new_response = after.public_response != before.public_response and after.public_response
        if new_status or new_response:
            occurrence = f"v{after.version}"  # one update email per change of the item
            self._send_reporter(
                after.reference,
                address,
                "update",
                occurrence,
                now,
                status_label=STATUSES[after.status] if new_status else None,
                public_response=after.public_response if new_response else None,
            )
        edited = any(a == "anonymised_text" for a, _ in history)
        if edited and after.consent_publish:
            withheld = not after.anonymised_text
            removed = kinds_removed(find(after.text)) if not withheld else []
            self._send_reporter(
                after.reference,
                address,
                "edited",
                f"v{after.version}",
                now,
                withheld=withheld,
                reason="Your words could identify you or someone else even with details taken out, so we "
                "are keeping them private. We still act on what you told us.",
                removed=", ".join(removed) or "a few details",
            )

    # --- email -------------------------------------------------------------------------------------

    def _common(self, reference: str) -> dict[str, Any]:
        return {
            "group_name": self._group_name,
            "contact": self._contact,
            "reference": reference,
            "status_url": links.status_url(self._base_url, reference),
            "urgent_help": self.settings.urgent_help,
        }

    def _send(self, key: SendKey, to: str, template: str, now: datetime, **context: Any) -> None:
        if self._mailer is None:
            return
        mailer = self._mailer
        content = render_email(f"feedback/{template}", **context)
        self._ledger.send_once(
            key,
            lambda: mailer().send(OutgoingEmail(to, content, f"feedback_{template}", None)),
            now,
            keep=timedelta(days=self.settings.retention_days),
        )

    def _send_reporter(
        self, reference: str, to: str, template: str, occurrence: str, now: datetime, **context: Any
    ) -> None:
        self._send(
            SendKey(f"FEEDBACK#{reference}", template, occurrence),
            to,
            template,
            now,
            **self._common(reference),
            **context,
        )

    def item_url(self, reference: str) -> str:
        return f"{self._base_url}/console/feedback/{reference}"

    def _tell_coordinators(self, item: Item, now: datetime) -> None:
        context = {
            "reference": item.reference,
            "kind_words": KINDS[item.kind],
            "about": item.about,
            "category": item.category,
            "urgent": item.urgent,
            "on_behalf": item.on_behalf,
            "text": item.text if self.settings.text_in_email else None,
            "item_url": self.item_url(item.reference),
        }
        for address in self._coordinators:
            self._send(SendKey(f"FEEDBACK#{item.reference}", "new", address), address, "new", now, **context)

    # --- the follow-up question ---------------------------------------------------------------------

    def answer_follow_up(self, reference: str, answer: str, now: datetime) -> Item:
        """The reporter's answer to "was it solved?": "no" and "partly" reopen the item."""
        item = self.get(reference)
        expires = epoch(now + timedelta(days=self.settings.retention_days))
        writes: list[dict[str, Any]] = [
            self._history_put(
                reference, now, "reporter", "follow_up", expires, answer, f"{item.version + 1:06d}.0."
            ),
            self._mark_put(now),
        ]
        sets: dict[str, Any] = {"follow_up_answer": answer, "version": item.version + 1}
        if answer in ("no", "partly") and item.status == "closed":
            sets["status"] = "acknowledged"
            writes.append(
                self._history_put(
                    reference, now, "reporter", "reopened", expires, answer, f"{item.version + 1:06d}.1."
                )
            )
            writes += self._contact_expiry(reference, item, now, closing=False)
        names = {f"#{n}": n for n in sets}
        expression = "SET " + ", ".join(f"#{n} = :{n}" for n in sets)
        values = {f":{n}": v(val) for n, val in sets.items()}
        if "status" in sets:
            expression += (
                ", reopened = if_not_exists(reopened, :zero) + :one REMOVE closed_at, follow_up_sent_at"
            )
            values.update({":zero": v(0), ":one": v(1)})
        writes.insert(
            0,
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _key(reference, "ITEM"),
                    "UpdateExpression": expression,
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            },
        )
        self._db.transact_write_items(TransactItems=writes)
        logger.info("feedback follow-up answered", extra={"reference": reference, "answer": answer})
        after = self.get(reference)
        if after.status != item.status:
            context = {
                "reference": reference,
                "kind_words": KINDS[after.kind] + " (reopened: the reporter says it was not solved)",
                "about": after.about,
                "category": after.category,
                "urgent": after.urgent,
                "on_behalf": None,
                "text": None,
                "item_url": self.item_url(reference),
            }
            for address in self._coordinators:
                self._send(
                    SendKey(f"FEEDBACK#{reference}", "reopened", f"{iso(now)}#{address}"),
                    address,
                    "new",
                    now,
                    **context,
                )
        return after

    # --- the schedules -----------------------------------------------------------------------------

    def digest(self, now: datetime) -> int:
        since = now - timedelta(days=1)
        items = queue_order(self.all_items(iso(since)))
        if not items:
            return 0
        rows = [
            {
                "reference": i.reference,
                "urgent": i.urgent,
                "kind_words": KINDS[i.kind],
                "category": i.category,
                "about": i.about,
                "status_label": STATUSES[i.status],
                "url": self.item_url(i.reference),
            }
            for i in items
        ]
        for address in self._coordinators:
            self._send(
                SendKey("FEEDBACK#digest", "digest", f"{iso(now)[:10]}#{address}"),
                address,
                "digest",
                now,
                items=rows,
                since=iso(since)[:16].replace("T", " "),
                queue_url=f"{self._base_url}/console/feedback",
            )
        return len(items)

    def escalate(self, now: datetime) -> int:
        """Urgent items still `received` after the configured hours: a second email to the escalation
        contacts, once per item."""
        cutoff = iso(now - timedelta(hours=self.settings.escalation_hours))
        due = [
            i
            for i in self.all_items()
            if i.urgent and i.status == "received" and i.received_at <= cutoff and not i.escalated_at
        ]
        for item in due:
            for address in self.settings.escalation_contacts:
                self._send(
                    SendKey(f"FEEDBACK#{item.reference}", "escalation", address),
                    address,
                    "escalation",
                    now,
                    reference=item.reference,
                    hours=self.settings.escalation_hours,
                    received_at=item.received_at[:16].replace("T", " ") + " UTC",
                    kind_words=KINDS[item.kind],
                    category=item.category,
                    item_url=self.item_url(item.reference),
                )
            expires = epoch(now + timedelta(days=self.settings.retention_days))
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(item.reference, "ITEM"),
                            "UpdateExpression": "SET escalated_at = :at, version = :version",
                            "ExpressionAttributeValues": {
                                ":at": v(iso(now)),
                                ":version": v(item.version + 1),
                            },
                        }
                    },
                    self._history_put(
                        item.reference,
                        now,
                        "schedule",
                        "escalated",
                        expires,
                        "",
                        f"{item.version + 1:06d}.0.",
                    ),
                ]
            )
            logger.warning("urgent feedback escalated", extra={"reference": item.reference})
        return len(due)

    def follow_ups(self, now: datetime) -> tuple[int, int]:
        """Ask reporters of items closed `follow_up_days` ago whether it was solved; erase contacts
        whose window is over. Returns (asked, erased)."""
        asked = erased = 0
        due = iso(now - timedelta(days=self.settings.follow_up_days))
        window_over = iso(now - timedelta(days=self.settings.follow_up_days + FOLLOW_UP_ANSWER_DAYS))
        for item in self.all_items():
            if item.status != "closed" or not item.closed_at or not item.has_contact:
                continue
            if item.closed_at <= window_over:
                erased += self.erase_contact(item.reference)
                continue
            if item.closed_at <= due and not item.follow_up_sent_at and self._signing_key is not None:
                address = self.contact(item.reference)
                if not address:
                    continue
                self._send_reporter(
                    item.reference,
                    address,
                    "follow_up",
                    item.closed_at,
                    now,
                    follow_up_url=links.follow_up_url(
                        self._base_url, self._signing_key(), item.reference, now
                    ),
                    days=FOLLOW_UP_ANSWER_DAYS,
                )
                self._db.update_item(
                    TableName=self._table,
                    Key=_key(item.reference, "ITEM"),
                    UpdateExpression="SET follow_up_sent_at = :at",
                    ExpressionAttributeValues={":at": v(iso(now))},
                )
                asked += 1
        return asked, erased

    def erase_contact(self, reference: str) -> int:
        found = self._db.get_item(TableName=self._table, Key=_key(reference, "CONTACT")).get("Item")
        if not found:
            return 0
        contact = from_item(found)
        if contact.get("lookup_id"):
            self._db.delete_item(
                TableName=self._table,
                Key={"pk": v(f"REPORTER#{contact['lookup_id']}"), "sk": v(f"FEEDBACK#{reference}")},
            )
        self._db.delete_item(TableName=self._table, Key=_key(reference, "CONTACT"))
        self._db.update_item(
            TableName=self._table,
            Key=_key(reference, "ITEM"),
            UpdateExpression="SET has_contact = :f",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":f": v(False)},
        )
        logger.info("feedback contact erased: follow-up window over", extra={"reference": reference})
        return 1


def figures(items: list[Item], minimum: int = 5) -> dict[str, Any]:
    """The headline figures of 'you said, we did': each drawn from fewer than `minimum` items is None
    (not shown), so no figure can point at one person's feedback."""

    def days_between(start: str, end: str) -> float:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400

    count = len(items)
    changed = [i for i in items if i.changed_at]
    responded = [days_between(i.received_at, i.first_response_at) for i in items if i.first_response_at]
    rated = [i.rating for i in items if i.rating]
    shown: dict[str, Any] = {
        "items": count if count >= minimum else None,
        "share_led_to_change": round(len(changed) / count, 3) if count >= minimum else None,
        "median_days_to_first_response": round(statistics.median(responded), 1)
        if len(responded) >= minimum
        else None,
        "fft": None,
        "fft_answers": len(rated) if len(rated) >= minimum else None,
    }
    if len(rated) >= minimum:
        from shared.feedback.models import RATINGS

        shown["fft"] = {key: round(rated.count(key) / len(rated), 3) for key in RATINGS}
    return shown


__all__ = [
    "FeedbackNotFound",
    "FeedbackService",
    "Filters",
    "NothingToChange",
    "Submitted",
    "UnknownCategory",
    "figures",
    "queue_order",
]
