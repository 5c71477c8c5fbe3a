"""Feedback in local mode (issue 18), as it will be checked: the whole lifecycle over HTTP against
`/_local/outbox`, the admin token, the console and the published site, with texts that hold phone
numbers, addresses and safeguarding phrases: anonymous, named, urgent (with escalation), on someone's
behalf, triage, public response, redaction, closure, the follow-up answered "no", reopening, and
publication. It prints the time from a submission to the coordinators' email, and the AWS calls one
submission makes.

Time cannot be moved in local mode, so two steps age a stored timestamp in DynamoDB Local (an urgent
item received 25 hours ago; an item closed 29 days ago) and then run the schedule over HTTP."""

from __future__ import annotations

import html
import json
import os
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.support.local import LocalMode

pytestmark = pytest.mark.integration

COORDINATOR = "coordinator@mkcpp.org.uk"
REFERENCE = re.compile(r"FB-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")
PHONE, ADDRESS = "07700 900461", "14 Willow Crescent"
URGENT = f"My husband hits me and I am not safe at home. Ring me on {PHONE}, we live at {ADDRESS}."


def admin(local: LocalMode, method: str, path: str, body: Any = None) -> Any:
    reply = local.request(method, path, token=local.admin_token(), json_body=body)
    assert reply.status < 300, (path, reply.status, reply.text)
    return reply.json() if reply.body else None


def mail_to(local: LocalMode, address: str, reference: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in local.outbox()
        if address in (e.get("to") or []) and (reference is None or reference in e["subject"])
    ]


def wait_for(found: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("not in the outbox in time")


def age(local: LocalMode, reference: str, field: str, delta: timedelta) -> None:
    """Move one stored timestamp of an item into the past (local mode has no clock to move)."""
    db = boto3.client(
        "dynamodb",
        endpoint_url=local.endpoints["dynamodb"],
        region_name="eu-west-2",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    at = (datetime.now(UTC) - delta).isoformat(timespec="seconds").replace("+00:00", "Z")
    db.update_item(
        TableName="mkcpp-feedback",
        Key={"pk": {"S": f"FEEDBACK#{reference}"}, "sk": {"S": "ITEM"}},
        UpdateExpression="SET #f = :at",
        ExpressionAttributeNames={"#f": field},
        ExpressionAttributeValues={":at": {"S": at}},
    )


def run(local: LocalMode, schedule: str) -> None:
    ran = local.post(f"/_local/schedules/{schedule}/run")
    assert ran.status < 300, ran.text


def calls_of(function: str) -> int:
    from tests.support import permissions

    log = os.environ.get("MKCPP_CALL_LOG")
    if not log or not os.path.exists(log):
        return 0
    return sum(1 for c in permissions.read_log(log) if c.function == function)


def test_the_feedback_lifecycle_over_http(local: LocalMode) -> None:
    # --- anonymous, from the plain form: the coordinators hear at once --------------------------
    form = local.get("/feedback")
    assert form.status == 200 and "You do not have to tell us who you are" in form.text
    once = re.search(r'name="once" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    fields = {
        "kind": "feedback",
        "about": "Radiotherapy",
        "category": "Talking and listening to you",
        "text": "Nobody explained the side effects before my first session.",
        "role": "patient",
        "rating": "neither",
        "once": once,
    }
    before = calls_of("feedback_public")
    started = time.monotonic()
    sent = local.post("/feedback", form=fields, headers={"Accept": "text/html"})
    assert sent.status == 202, sent.text
    anonymous = REFERENCE.search(sent.text).group(0)  # type: ignore[union-attr]
    wait_for(lambda: mail_to(local, COORDINATOR, anonymous))
    to_coordinators = time.monotonic() - started
    anonymous_calls = calls_of("feedback_public") - before
    # the same form again (a double click) makes nothing new
    again = local.post("/feedback", form=fields, headers={"Accept": "text/html"})
    assert again.status == 202 and anonymous in again.text
    assert len(mail_to(local, COORDINATOR, anonymous)) == 1
    status = local.get(f"/feedback/{anonymous}").json()
    assert status["status"] == "received" and set(status) == {
        "reference",
        "status",
        "status_label",
        "received_on",
        "public_response",
    }

    # --- named and urgent: signposting, URGENT at the top, the acknowledgement ------------------
    reporter = f"reporter-{once[:8].lower()}@example.org"
    before = calls_of("feedback_public")
    named = local.post(
        "/feedback",
        json_body={
            "kind": "concern",
            "about": "other",
            "about_other": "The car park",
            "category": "Other",
            "text": URGENT,
            "role": "patient",
            "contact_email": reporter,
            "consent_contact": True,
            "consent_publish": True,
        },
    )
    assert named.status == 202, named.text
    urgent = named.json()["reference"]
    named_calls = calls_of("feedback_public") - before
    (alert,) = wait_for(lambda: mail_to(local, COORDINATOR, urgent))
    assert alert["subject"].startswith("URGENT") and alert["text"].lstrip().startswith("URGENT")
    assert PHONE not in alert["text"] and "hits me" not in alert["text"]  # a link, not the words
    (ack,) = mail_to(local, reporter, urgent)
    assert "not a helpline" in ack["text"] and "out of hours" in ack["text"] and "Samaritans" in ack["text"]
    assert "5 working days" in ack["text"]

    # --- escalation: nobody acknowledged it in 24 hours ------------------------------------------
    run(local, "feedback-escalation")
    assert not [e for e in local.outbox() if "NOT YET ACKNOWLEDGED" in e["subject"]]
    age(local, urgent, "received_at", timedelta(hours=25))
    run(local, "feedback-escalation")
    (escalation,) = [e for e in local.outbox() if "NOT YET ACKNOWLEDGED" in e["subject"]]
    assert urgent in escalation["subject"]

    # --- on someone's behalf, from the console --------------------------------------------------
    cookie = local.console_session()
    page = local.get("/console/feedback/new", headers={"Cookie": cookie})
    assert page.status == 200, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    entered = local.post(
        "/console/feedback/new",
        headers={"Cookie": cookie},
        form={
            **{k: html.unescape(v) for k, v in hidden.items()},
            "how": "journal",
            "kind": "journal_entry",
            "about": "Chemotherapy day unit",
            "category": "Care and treatment",
            "text": "Journal, week 3: the volunteers' tea trolley made the long days bearable.",
            "role": "patient",
        },
    )
    assert entered.status == 303, entered.text
    journal = REFERENCE.search(entered.headers["location"]).group(0)  # type: ignore[union-attr]
    assert "on their behalf" in local.get(entered.headers["location"], headers={"Cookie": cookie}).text

    # --- triage: urgent first, then the oldest ----------------------------------------------------
    queue = admin(local, "GET", "/admin/feedback?status=received")["items"]
    mine = [i["reference"] for i in queue if i["reference"] in {anonymous, urgent, journal}]
    assert mine[0] == urgent and mine.index(anonymous) < mine.index(journal)
    assert all(i["contact_email"] is None for i in queue)

    # --- redaction, public response, change made: the reporter hears each time ------------------
    detail = admin(local, "GET", f"/admin/feedback/{urgent}")
    suggested = detail["suggested_anonymised_text"]
    assert PHONE not in suggested and ADDRESS not in suggested and "[phone number]" in suggested
    admin(
        local, "PATCH", f"/admin/feedback/{urgent}", {"status": "acknowledged", "internal_note": "Rang her"}
    )
    admin(
        local,
        "PATCH",
        f"/admin/feedback/{urgent}",
        {
            "status": "change_made",
            "working_group": "Patient safety",
            "anonymised_text": "A patient told us she did not feel safe, and did not know where to turn.",
            "public_response": "Every clinic room now has a card with the domestic abuse helpline.",
        },
    )
    told = mail_to(local, reporter, urgent)
    assert any("Change made" in e["text"] for e in told)
    assert any("domestic abuse helpline" in e["text"] for e in told)
    assert any("We edited your words" in e["subject"] for e in told)
    public = local.get(f"/feedback/{urgent}").json()
    assert public["public_response"].startswith("Every clinic room") and "Rang her" not in json.dumps(public)

    # --- publication ------------------------------------------------------------------------------
    run(local, "you-said-we-did-publish")
    site = local.get("/site/you-said-we-did/index.html")
    assert site.status == 200 and "did not feel safe" in site.text and "domestic abuse helpline" in site.text
    assert PHONE not in site.text and ADDRESS not in site.text and "hits me" not in site.text
    feed = local.get("/site/you-said-we-did/feed.json").json()
    assert any("did not feel safe" in i["said"] for i in feed["items"])

    # --- closure, the follow-up four weeks on, answered "no": reopened ---------------------------
    admin(local, "PATCH", f"/admin/feedback/{urgent}", {"status": "closed"})
    age(local, urgent, "closed_at", timedelta(days=29))
    run(local, "feedback-follow-up")
    (question,) = [e for e in mail_to(local, reporter, urgent) if e["subject"].startswith("Was it solved")]
    link = re.search(r"https?://\S+/feedback/follow-up\?token=\S+", question["text"]).group(0)  # type: ignore[union-attr]
    shown = local.get(link)
    assert shown.status == 200 and "Was the problem solved?" in shown.text
    assert local.get(f"/feedback/{urgent}").json()["status"] == "closed"  # the GET did nothing
    answered = local.post(link, form={"answer": "no"})
    assert answered.status == 200
    assert local.get(f"/feedback/{urgent}").json()["status"] == "acknowledged"
    history = admin(local, "GET", f"/admin/feedback/{urgent}")["history"]
    assert [h["action"] for h in history][-2:] == ["follow_up", "reopened"]
    # the change re-publishes: the reopened item is no longer a change made
    run(local, "you-said-we-did-publish")
    assert "did not feel safe" not in local.get("/site/you-said-we-did/index.html").text

    print(
        f"\nfeedback in local mode: coordinators' email {to_coordinators * 1000:.0f} ms after the POST; "
        f"AWS calls per submission: {anonymous_calls} anonymous, {named_calls} named and urgent"
    )
    assert to_coordinators < 5
