"""Meetings in local mode, over HTTP as a person and the Secretary would use it (issue 16): members
sign up, a meeting is made 13 days ahead, the `meeting-reminders` schedule fires twice, the queue's
consumer sends, the meeting is cancelled (and stays in the public feed, cancelled); the outbox and
both feeds are read with two independent iCalendar parsers, and the invitation's MIME parts are
inspected as a mail client would."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.support.local import LocalMode

pytestmark = pytest.mark.integration
BROWSER = {"Accept": "text/html"}
LOCATION = {
    "name": "Education Centre, Milton Keynes University Hospital",
    "address": "Standing Way, Eaglestone, MK6 5LD",
    "accessibility": "Step-free access; hearing loop",
}


def join(local: LocalMode, address: str, name: str) -> None:
    version = "2026-11"
    form = {
        "name": name,
        "email": address,
        "role": "observer",
        "consent_contact": "true",
        "privacy_notice_version": version,
    }
    assert local.post("/members", form=form, headers=BROWSER).status == 202
    email = next(e for e in local.outbox() if address in e["to"] and "/members/confirm" in (e["text"] or ""))
    token = email["text"].split("/members/confirm?token=", 1)[1].split()[0]
    assert local.post("/members/confirm", form={"token": token}, headers=BROWSER).status == 200


def admin(local: LocalMode) -> dict[str, str]:
    return {"Authorization": f"Bearer {local.admin_token()}"}


def wait_for(local: LocalMode, found: Any, seconds: float = 30) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        emails = [e for e in local.outbox() if found(e)]
        if emails:
            time.sleep(1)  # let the rest of the page arrive
            return [e for e in local.outbox() if found(e)]
        time.sleep(0.5)
    return []


def both_parsers(ics: bytes) -> list[dict[str, Any]]:
    """The events of `ics` as two independent parsers read them: icalendar, and a hand-rolled RFC
    5545 line reader (unfolding, parameters) that shares no code with the generator."""
    first = [
        {"uid": str(e["UID"]), "sequence": int(e.get("SEQUENCE", 0)), "status": str(e.get("STATUS", ""))}
        for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")
    ]
    lines = ics.decode().replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")
    second: list[dict[str, Any]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            second.append(
                {
                    "uid": current["UID"],
                    "sequence": int(current.get("SEQUENCE", 0)),
                    "status": current.get("STATUS", ""),
                }
            )
            current = None
        elif current is not None and ":" in line:
            name, _, value = line.partition(":")
            current[name.split(";", 1)[0]] = value
    assert first == second, (first, second)
    return first


def test_a_meeting_from_invitation_to_cancellation(local_mode: LocalMode) -> None:
    local = local_mode
    stamp = str(int(time.time() * 1000))[-8:]
    addresses = [f"meet{n}-{stamp}@example.org" for n in range(2)]
    for n, address in enumerate(addresses):
        join(local, address, f"Meeting Person {n} {stamp}")
    # a meeting 13 days ahead: its 14-day reminder is due at once
    day = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")) + timedelta(days=13)
    body = {
        "kind": "plenary",
        "title": f"Plenary {stamp}",
        "starts_at": day.strftime("%Y-%m-%dT12:30"),
        "duration_minutes": 90,
        "location": LOCATION,
        "agenda": "News from the working groups",
        "audience": {"type": "all"},
    }
    created = local.post("/admin/meetings", json_body=body, headers=admin(local))
    assert created.status == 201, created.text
    meeting = created.json()
    # the schedule fires twice
    for _ in range(2):
        assert local.post("/_local/schedules/meeting-reminders/run").status == 200

    def about(e: dict[str, Any]) -> bool:
        return any(a["content_type"].startswith("application/ics") for a in e["attachments"]) and meeting[
            "id"
        ] in str(e.get("calendar") or "")

    sent = wait_for(local, lambda e: about(e) and e["to"][0] in addresses)
    assert sorted(e["to"][0] for e in sent) == sorted(addresses)  # one each
    invitation = sent[0]
    types = [p["content_type"].split(";")[0] for p in invitation["parts"]]
    assert types[:5] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert "method=REQUEST" in invitation["parts"][4]["content_type"].replace('"', "")
    (attachment,) = invitation["attachments"]
    ics = base64.b64decode(attachment["content"])
    (event,) = both_parsers(ics)
    assert event["uid"] == meeting["uid"] and event["sequence"] == 0
    # both feeds
    public = both_parsers(local.get("/meetings.ics").body)
    assert meeting["uid"] in {e["uid"] for e in public}
    assert meeting["id"] in {m["id"] for m in local.get("/meetings").json()["items"]}
    # cancelled: at once, as a calendar cancellation with a higher sequence
    assert (
        local.post(f"/admin/meetings/{meeting['id']}/cancel", json_body={}, headers=admin(local)).status
        == 200
    )
    cancels = wait_for(
        local, lambda e: about(e) and e["subject"].startswith("Cancelled") and e["to"][0] in addresses
    )
    assert sorted(e["to"][0] for e in cancels) == sorted(addresses)
    (cancelled,) = both_parsers(base64.b64decode(cancels[0]["attachments"][0]["content"]))
    assert (
        cancelled["uid"] == meeting["uid"]
        and cancelled["sequence"] > 0
        and cancelled["status"] == "CANCELLED"
    )
    # the public feed keeps it until it has passed, cancelled, so a subscriber's calendar says so
    (listed,) = [e for e in both_parsers(local.get("/meetings.ics").body) if e["uid"] == meeting["uid"]]
    assert listed["status"] == "CANCELLED" and listed["sequence"] == cancelled["sequence"]


def test_an_announcement_counts_its_bounces_in_local_mode(local_mode: LocalMode) -> None:
    local = local_mode
    stamp = str(int(time.time() * 1000))[-8:]
    address = f"news-{stamp}@example.org"
    join(local, address, f"News Person {stamp}")
    body = {
        "subject": f"News {stamp}",
        "body": "The leaflet is ready.",
        "audience": {"type": "roles", "roles": ["observer"]},
    }
    created = local.post("/admin/announcements", json_body=body, headers=admin(local))
    assert created.status == 201, created.text
    announcement = created.json()["id"]
    assert wait_for(local, lambda e: address in e["to"] and e.get("subject") == f"News {stamp}")
    # SES reports that the announcement's email to this address bounced for good
    bounced = local.post(
        "/_local/email-events/bounce", json_body={"to": address, "ref": f"announcement-{announcement}"}
    )
    assert bounced.status in (200, 202), bounced.text
    deadline = time.monotonic() + 20
    counted = 0
    while time.monotonic() < deadline and counted == 0:
        listed = local.get("/admin/announcements", headers=admin(local)).json()["items"]
        counted = next(a["bounced"] for a in listed if a["id"] == announcement)
        time.sleep(0.5)
    assert counted == 1
