"""The meetings table.

Items (string keys `pk`/`sk`):
- `MEETING#<id>` / `MEETING`: the meeting. It carries `calendar` = `MEETINGS` and `at` (its start) for
  the `by_calendar` index (every meeting in time order: the console's list, the reminder run), and,
  while it is public, the sparse `listing` with `starts_at` for the `by_start` index: `public` while
  it is scheduled (the public list, the feeds, and sign-up's "next meeting"), `public-cancelled`
  once cancelled (the feeds alone, which show it cancelled until it starts, so a subscriber's
  calendar says so rather than losing it without a word). A meeting gets `public-cancelled` only
  if it was listed when cancelled: a cancelled meeting never newly appears in the public feed.
- `MEETING#<id>` / `TOLD#<member id>`: that the member was sent the meeting, the last time and at
  which sequence (an update or a cancellation goes to these); `MEETING#<id>` /
  `LOG#<member id>#<time>#<what>`: each email about it, for the console's "who was sent what, and
  when"; `MEETING#<id>` / `PERSON#<member id>`: their apologies, and the attendance the Secretary
  recorded. All expire `attendance_retention_days` after the meeting.
- `PERSON#<member id>` / `SENT#meeting#<id>#...`: what was sent to them, exactly once
  (`shared.send_once`); `PERSON#<member id>` / `MEETING#<id>`: a pointer to a meeting where they
  replied or were marked; both find a member's records for their export and erasure.
  `PERSON#<member id>` / `FEED`: their private calendar feed's token; `FEED#<hash>` / `FEED`: which
  member a feed token is.
- `MEETING#<id>` / `REPORTBACK#<group id>`: a working group's report-back for a plenary.
- `ANNOUNCEMENT#<id>` / `ANNOUNCEMENT`: news to members (`calendar` = `ANNOUNCEMENTS`, `at` its time).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shared.clock import epoch, iso
from shared.dynamo import (
    WriteConflict,
    batch_put,
    failed_conditions,
    from_item,
    query_all,
    retries,
    to_item,
    version_condition,
    write_if,
)
from shared.dynamo import value as v
from shared.errors import Conflict, DamagedRecord, NotFound
from shared.meetings.models import Announcement, Attendance, Meeting, MeetingStatus, ReportBack
from shared.meetings.reader import CANCELLED_LISTING, PUBLIC_LISTING, MeetingReader
from shared.observability import damaged_record

MEETINGS = "MEETINGS"
ANNOUNCEMENTS = "ANNOUNCEMENTS"


class MeetingNotFound(NotFound):
    message = "No such meeting."


class MeetingChanged(Conflict):
    message = "The meeting changed while you were editing: reload and try again."


class MeetingCancelled(Conflict):
    message = "This meeting has been cancelled: it cannot be changed."


class FeedBusy(Conflict):
    message = "Their calendar feed was being changed at the same moment: reload and try again."


class AnnouncementNotFound(NotFound):
    message = "No such announcement."


def meeting_key(meeting_id: str) -> dict[str, Any]:
    return {"pk": v(f"MEETING#{meeting_id}"), "sk": v("MEETING")}


def person_key(meeting_id: str, member_id: str) -> dict[str, Any]:
    return {"pk": v(f"MEETING#{meeting_id}"), "sk": v(f"PERSON#{member_id}")}


def pointer_key(member_id: str, meeting_id: str) -> dict[str, Any]:
    return {"pk": v(f"PERSON#{member_id}"), "sk": v(f"MEETING#{meeting_id}")}


def feed_hash(token: str) -> str:
    return hashlib.sha256(f"feed:{token}".encode()).hexdigest()


def listing_of(meeting: Meeting, public_groups: set[str]) -> str | None:
    """Its `listing` in the `by_start` index: None if it is not public."""
    if meeting.audience.type == "working_group" and (meeting.audience.id or "") not in public_groups:
        return None
    return PUBLIC_LISTING if meeting.status is MeetingStatus.SCHEDULED else CANCELLED_LISTING


def _meeting(item: dict[str, Any]) -> Meeting:
    try:
        return Meeting.model_validate(item)
    except ValidationError:
        damaged_record("meeting", str(item.get("id", "?")))
        raise DamagedRecord("meeting", str(item.get("id", "?")), item) from None


class MeetingRepository(MeetingReader):
    # --- meetings ------------------------------------------------------------------------------

    def _item(self, meeting: Meeting, public_groups: set[str]) -> dict[str, Any]:
        data = meeting.model_dump(mode="json")
        data["calendar"] = MEETINGS
        data["at"] = meeting.starts_at
        listing = listing_of(meeting, public_groups)
        if listing:
            data["listing"] = listing
        return {**meeting_key(meeting.id), **to_item(data)}

    def create(self, meeting: Meeting, public_groups: set[str]) -> Meeting:
        if not write_if(
            self._db.put_item,
            TableName=self._table,
            Item=self._item(meeting, public_groups),
            ConditionExpression="attribute_not_exists(pk)",
        ):
            raise MeetingChanged(meeting.id)
        return meeting

    def get(self, meeting_id: str) -> Meeting:
        found = self._db.get_item(TableName=self._table, Key=meeting_key(meeting_id), ConsistentRead=True)
        if "Item" not in found:
            raise MeetingNotFound(meeting_id)
        return _meeting(from_item(found["Item"]))

    def save(self, meeting: Meeting, expected_version: int, public_groups: set[str]) -> Meeting:
        """Write the meeting, validated again, if nobody changed it since `expected_version`."""
        saved = Meeting.model_validate({**meeting.model_dump(), "version": expected_version + 1})
        condition, values = version_condition(expected_version)
        if not write_if(
            self._db.put_item,
            TableName=self._table,
            Item=self._item(saved, public_groups),
            ConditionExpression=f"attribute_exists(pk) AND ({condition})",
            ExpressionAttributeValues=values,
        ):
            raise MeetingChanged(meeting.id)
        return saved

    def change(self, meeting_id: str, mutate: Any, public_groups: set[str]) -> Meeting:
        """Read, let `mutate` decide the new meeting from what is stored now (or None: nothing to
        do), write it conditional on the version read; a lost race is tried again."""
        for _ in retries(MeetingChanged(meeting_id)):
            meeting = self.get(meeting_id)
            changed = mutate(meeting)
            if changed is None:
                return meeting
            try:
                return self.save(changed, meeting.version, public_groups)
            except MeetingChanged:
                continue
        raise AssertionError("unreachable: retries() raises when the attempts run out")

    def between(self, start: str, end: str, *, newest_first: bool = False) -> list[Meeting]:
        """Every meeting starting in [start, end), in time order; a damaged one is skipped (and
        counted), never the cause of a failed list or reminder run."""
        return [meeting for meeting, _ in self.between_listed(start, end, newest_first=newest_first)]

    def between_listed(
        self, start: str, end: str, *, newest_first: bool = False
    ) -> list[tuple[Meeting, str | None]]:
        """`between`, with each one's `listing` now (None: not public)."""
        items = query_all(
            self._db,
            TableName=self._table,
            IndexName="by_calendar",
            KeyConditionExpression="calendar = :c AND #at BETWEEN :s AND :e",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues={":c": v(MEETINGS), ":s": v(start), ":e": v(end)},
            ScanIndexForward=not newest_first,
        )
        found = []
        for item in items:
            try:
                listing = item.get("listing")
                found.append((_meeting(item), str(listing) if listing else None))
            except DamagedRecord:
                continue
        return found

    def relist(self, meeting: Meeting, listing: str | None) -> bool:
        """Put the meeting in the public listing `listing`, or take it out (None), as its working
        group is public or not now (a group's setting changes after its meetings were made);
        nothing if it changed since it was read (the next run looks again)."""
        key = meeting_key(meeting.id)
        condition, values = version_condition(meeting.version)
        if listing:
            return write_if(
                self._db.update_item,
                TableName=self._table,
                Key=key,
                UpdateExpression="SET listing = :listing",
                ConditionExpression=condition,
                ExpressionAttributeValues={**values, ":listing": v(listing)},
            )
        return write_if(
            self._db.update_item,
            TableName=self._table,
            Key=key,
            UpdateExpression="REMOVE listing",
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )

    def upcoming_public(self, now: datetime, limit: int = 100, *, cancelled: bool = False) -> list[Meeting]:
        """The next public meetings; with `cancelled`, those cancelled too (for the feeds)."""
        found = []
        for listing in (PUBLIC_LISTING, CANCELLED_LISTING) if cancelled else (PUBLIC_LISTING,):
            page = self._db.query(
                TableName=self._table,
                IndexName="by_start",
                KeyConditionExpression="listing = :l AND starts_at >= :now",
                ExpressionAttributeValues={":l": v(listing), ":now": v(iso(now))},
                Limit=limit,
            )
            for item in page.get("Items", []):
                try:
                    found.append(_meeting(from_item(item)))
                except DamagedRecord:
                    continue
        return sorted(found, key=lambda m: m.starts_at)[:limit]

    def mark_planned(self, meeting_id: str, offset: int, what: str) -> bool:
        """Record that a reminder offset was queued (or skipped), once: False if it already was, or
        the meeting is no longer scheduled (a second run, or a run racing a cancellation)."""
        return write_if(
            self._db.update_item,
            TableName=self._table,
            Key=meeting_key(meeting_id),
            UpdateExpression="SET planned.#o = :what",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(planned.#o) "
            "AND #s = :scheduled",
            ExpressionAttributeNames={"#o": str(offset), "#s": "status"},
            ExpressionAttributeValues={":what": v(what), ":scheduled": v(MeetingStatus.SCHEDULED.value)},
        )

    def take_pending_change(self, meeting: Meeting) -> bool:
        """Clear the meeting's settled change, once: True for the one caller that takes it."""
        assert meeting.pending_change is not None
        return write_if(
            self._db.update_item,
            TableName=self._table,
            Key=meeting_key(meeting.id),
            UpdateExpression="REMOVE pending_change",
            ConditionExpression="pending_change.last_edit_at = :seen",
            ExpressionAttributeValues={":seen": v(meeting.pending_change.last_edit_at)},
        )

    # --- people and meetings -------------------------------------------------------------------

    def write(self, items: list[dict[str, Any]]) -> None:
        """Unconditional puts in batches (marks that emails went, and whom they went to)."""
        if items:
            batch_put(self._db, self._table, items)

    def person(self, meeting_id: str, member_id: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table, Key=person_key(meeting_id, member_id), ConsistentRead=True
        )
        return from_item(found["Item"]) if "Item" in found else None

    def people(self, meeting_id: str) -> dict[str, dict[str, Any]]:
        """Member id -> what this meeting holds of them: `told_at`, `told_sequence`, `told` (what
        they were last sent), `response`, `attendance`, and `log` (every email, oldest first)."""
        items = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": v(f"MEETING#{meeting_id}")},
        )
        found: dict[str, dict[str, Any]] = {}
        for item in items:
            sk = str(item["sk"])
            kind, _, rest = sk.partition("#")
            if kind not in ("TOLD", "PERSON", "LOG"):
                continue
            member_id = rest.split("#", 1)[0]
            record = found.setdefault(member_id, {"member_id": member_id, "log": []})
            if kind == "LOG":
                record["log"].append({"at": item.get("at"), "what": item.get("what")})
            else:
                record.update({k: val for k, val in item.items() if k not in ("pk", "sk")})
        for record in found.values():
            record["log"].sort(key=lambda entry: str(entry["at"]))
        return found

    def told_page(self, meeting_id: str, cursor: dict[str, Any] | None, limit: int) -> tuple[list[str], Any]:
        """A page of the members already sent this meeting (an update or cancellation goes to them)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :told)",
            "ExpressionAttributeValues": {":p": v(f"MEETING#{meeting_id}"), ":told": v("TOLD#")},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = cursor
        page = self._db.query(**kwargs)
        ids = [str(from_item(i)["sk"]).removeprefix("TOLD#") for i in page.get("Items", [])]
        return ids, page.get("LastEvaluatedKey")

    def told_items(
        self, meeting: Meeting, member_ids: list[str], what: str, now: datetime, expires: int
    ) -> list[dict[str, Any]]:
        """The writes that record these members were sent `what` about `meeting`, at its current
        sequence (put in one batch with the marks that the emails went)."""
        items = []
        for member_id in member_ids:
            told = {
                "member_id": member_id,
                "told_at": iso(now),
                "told_sequence": meeting.sequence,
                "told": what,
            }
            items.append(
                {
                    "pk": v(f"MEETING#{meeting.id}"),
                    "sk": v(f"TOLD#{member_id}"),
                    **to_item({**told, "expires_at": expires}),
                }
            )
            items.append(
                {
                    "pk": v(f"MEETING#{meeting.id}"),
                    "sk": v(f"LOG#{member_id}#{iso(now)}#{what}"),
                    **to_item({"at": iso(now), "what": what, "expires_at": expires}),
                }
            )
        return items

    def record_response(
        self,
        meeting_id: str,
        member_id: str,
        response: Attendance | None,
        field: str,
        now: datetime,
        expires: int,
    ) -> None:
        """A member's apologies (`response`) or the Secretary's mark (`attendance`); None clears it.
        Keeps what else the record holds (when they were told, what they said)."""
        names = {"#f": field, "#at": f"{field}_at"}
        if response is None:
            expression = "REMOVE #f, #at SET member_id = :m, expires_at = :x"
            values = {":m": v(member_id), ":x": v(expires)}
        else:
            expression = "SET #f = :r, #at = :now, member_id = :m, expires_at = :x"
            values = {":r": v(response.value), ":now": v(iso(now)), ":m": v(member_id), ":x": v(expires)}
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": person_key(meeting_id, member_id),
                        "UpdateExpression": expression,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {**pointer_key(member_id, meeting_id), **to_item({"expires_at": expires})},
                    }
                },
            ]
        )

    # --- report-backs ------------------------------------------------------------------------

    def report_backs(self, meeting_id: str) -> dict[str, ReportBack]:
        items = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :p AND begins_with(sk, :r)",
            ExpressionAttributeValues={":p": v(f"MEETING#{meeting_id}"), ":r": v("REPORTBACK#")},
        )
        return {
            str(item["sk"]).removeprefix("REPORTBACK#"): ReportBack.model_validate(
                {k: item[k] for k in ("asked_at", "chased_at", "received_at") if k in item}
            )
            for item in items
        }

    def mark_report_back(self, meeting_id: str, group_id: str, field: str, now: datetime, once: bool) -> bool:
        """Set `asked_at`, `chased_at` or `received_at`; with `once`, only if it was not set."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"pk": v(f"MEETING#{meeting_id}"), "sk": v(f"REPORTBACK#{group_id}")},
            "UpdateExpression": "SET #f = :now",
            "ExpressionAttributeNames": {"#f": field},
            "ExpressionAttributeValues": {":now": v(iso(now))},
        }
        if once:
            kwargs["ConditionExpression"] = "attribute_not_exists(#f)"
        return write_if(self._db.update_item, **kwargs)

    # --- private feeds -------------------------------------------------------------------------

    def feed_token_of(self, member_id: str) -> str | None:
        found = self._db.get_item(
            TableName=self._table, Key={"pk": v(f"PERSON#{member_id}"), "sk": v("FEED")}, ConsistentRead=True
        )
        return str(from_item(found["Item"])["token"]) if "Item" in found else None

    def set_feed(self, member_id: str, token: str | None, now: datetime) -> bool:
        """Give the member a feed token (replacing any earlier one), or take it away. True if they
        had one before. The member's feed item is written only if it is still the one read, so two
        changes at once (a double click, the member and an administrator) can never leave a second
        token that resolves to them: the loser reads again and replaces the winner's."""
        for _ in retries(FeedBusy()):
            old = self.feed_token_of(member_id)
            if old is None and token is None:
                return False
            person = {"pk": v(f"PERSON#{member_id}"), "sk": v("FEED")}
            condition: dict[str, Any] = (
                {
                    "ConditionExpression": "#token = :old",
                    "ExpressionAttributeNames": {"#token": "token"},
                    "ExpressionAttributeValues": {":old": v(old)},
                }
                if old
                else {"ConditionExpression": "attribute_not_exists(pk)"}
            )
            writes: list[dict[str, Any]] = []
            if old:
                writes.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": {"pk": v(f"FEED#{feed_hash(old)}"), "sk": v("FEED")},
                        }
                    }
                )
            if token:
                mine = {"pk": f"PERSON#{member_id}", "sk": "FEED", "token": token, "created_at": iso(now)}
                writes.append({"Put": {"TableName": self._table, "Item": to_item(mine), **condition}})
                feed = {"pk": f"FEED#{feed_hash(token)}", "sk": "FEED", "member_id": member_id}
                writes.append({"Put": {"TableName": self._table, "Item": to_item(feed)}})
            else:
                writes.append({"Delete": {"TableName": self._table, "Key": person, **condition}})
            try:
                if write_if(self._db.transact_write_items, TransactItems=writes):
                    return old is not None
            except WriteConflict:
                continue
        raise AssertionError("unreachable: retries() raises when the attempts run out")

    def member_of_feed(self, token: str) -> str | None:
        found = self._db.get_item(
            TableName=self._table, Key={"pk": v(f"FEED#{feed_hash(token)}"), "sk": v("FEED")}
        )
        return str(from_item(found["Item"])["member_id"]) if "Item" in found else None

    # --- a member's own records (export, erasure) ------------------------------------------------

    def of_person(self, member_id: str) -> list[dict[str, Any]]:
        return query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": v(f"PERSON#{member_id}")},
            ConsistentRead=True,
        )

    def meetings_of(self, member_id: str, mine: list[dict[str, Any]] | None = None) -> list[str]:
        """The meetings that hold something of the member: from what was sent to them, and the
        pointers written with their replies and marks."""
        found: dict[str, None] = {}
        for item in mine if mine is not None else self.of_person(member_id):
            sk = str(item["sk"])
            if sk.startswith("MEETING#"):
                found[sk.removeprefix("MEETING#")] = None
            elif sk.startswith("SENT#meeting#"):
                found[sk.removeprefix("SENT#meeting#").split("#", 1)[0]] = None
        return list(found)

    def erase_person(self, member_id: str) -> int:
        """Delete every record of the member: their partition (what was sent, their feed, pointers),
        and in each meeting that holds something of them, their records there."""
        mine = self.of_person(member_id)
        keys: list[dict[str, Any]] = []
        for item in mine:
            keys.append({"pk": v(item["pk"]), "sk": v(item["sk"])})
            if item["sk"] == "FEED" and item.get("token"):
                keys.append({"pk": v(f"FEED#{feed_hash(str(item['token']))}"), "sk": v("FEED")})
        for meeting_id in self.meetings_of(member_id, mine):
            held = query_all(
                self._db,
                TableName=self._table,
                KeyConditionExpression="pk = :p AND sk BETWEEN :from AND :to",
                ExpressionAttributeValues={
                    ":p": v(f"MEETING#{meeting_id}"),
                    ":from": v("LOG#"),
                    ":to": v("TOLD#~"),
                },
                ProjectionExpression="pk, sk",
            )
            keys += [
                {"pk": v(h["pk"]), "sk": v(h["sk"])}
                for h in held
                if str(h["sk"]).split("#")[1:2] == [member_id]
            ]
        for key in keys:  # one by one: a person's records are few, and DeleteItem is all it needs
            self._db.delete_item(TableName=self._table, Key=key)
        return len(keys)

    # --- announcements -------------------------------------------------------------------------

    def save_announcement(self, announcement: Announcement, expected_version: int | None) -> Announcement:
        saved = Announcement.model_validate(
            {**announcement.model_dump(), "version": 0 if expected_version is None else expected_version + 1}
        )
        item = {
            "pk": v(f"ANNOUNCEMENT#{saved.id}"),
            "sk": v("ANNOUNCEMENT"),
            **to_item({**saved.model_dump(mode="json"), "calendar": ANNOUNCEMENTS, "at": saved.send_at}),
        }
        if expected_version is None:
            condition, values = "attribute_not_exists(pk)", None
        else:
            condition, values = version_condition(expected_version)
        kwargs: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        if not write_if(self._db.put_item, **kwargs):
            raise MeetingChanged(saved.id)
        return saved

    def announcement(self, announcement_id: str) -> Announcement:
        found = self._db.get_item(
            TableName=self._table,
            Key={"pk": v(f"ANNOUNCEMENT#{announcement_id}"), "sk": v("ANNOUNCEMENT")},
            ConsistentRead=True,
        )
        if "Item" not in found:
            raise AnnouncementNotFound(announcement_id)
        item = from_item(found["Item"])
        try:
            return Announcement.model_validate(item)
        except ValidationError:
            damaged_record("announcement", announcement_id)
            raise DamagedRecord("announcement", announcement_id, item) from None

    def announcements(self, limit: int = 50) -> list[Announcement]:
        page = self._db.query(
            TableName=self._table,
            IndexName="by_calendar",
            KeyConditionExpression="calendar = :c",
            ExpressionAttributeValues={":c": v(ANNOUNCEMENTS)},
            ScanIndexForward=False,
            Limit=limit,
        )
        found = []
        for item in page.get("Items", []):
            try:
                found.append(Announcement.model_validate(from_item(item)))
            except ValidationError:
                damaged_record("announcement", str(from_item(item).get("id", "?")))
        return found

    def count_announcement(
        self, announcement_id: str, page: str, sent: int, suppressed: int, without_email: int
    ) -> bool:
        """Add one page's figures, once: with a marker for the page in the same transaction, so a
        page handled again (SQS redelivers) adds nothing. False when it was counted already."""
        announcement = f"ANNOUNCEMENT#{announcement_id}"
        return not failed_conditions(
            self._db.transact_write_items,
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {"pk": v(announcement), "sk": v(f"COUNTED#{page}")},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": v(announcement), "sk": v("ANNOUNCEMENT")},
                        "UpdateExpression": "ADD sent :a, suppressed :b, without_email :c",
                        "ExpressionAttributeValues": {
                            ":a": v(sent),
                            ":b": v(suppressed),
                            ":c": v(without_email),
                        },
                    }
                },
            ],
        )

    def mark_announcement(self, announcement_id: str, status: str, expect: str) -> bool:
        return write_if(
            self._db.update_item,
            TableName=self._table,
            Key={"pk": v(f"ANNOUNCEMENT#{announcement_id}"), "sk": v("ANNOUNCEMENT")},
            UpdateExpression="SET #s = :new",
            ConditionExpression="#s = :old",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":new": v(status), ":old": v(expect)},
        )


def expiry(meeting_ends_at: str, retention_days: int) -> int:
    """When a member's record of a meeting is deleted: `retention_days` after the meeting."""
    from datetime import timedelta

    from shared.timefmt import parse_iso

    return epoch(parse_iso(meeting_ends_at) + timedelta(days=retention_days))
