"""Feedback (issue 18) against moto: the form (anonymous, named, urgent, bad input, a bot, a double
click), the reporter's status page, the admin API's triage and the reporter's emails, the console's
pages, the schedules (escalation, digest, follow-up with its reopening, contact erasure), "you said,
we did", the register, and that nothing of an anonymous submission holds its source address."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

import pytest

from infra.declaration import TABLES
from tests.handler.directory_support import PublishedSite
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text

FORM = {
    "kind": "concern",
    "about": "Chemotherapy day unit",
    "category": "Waiting and appointments",
    "text": "We waited four hours for chemotherapy with no explanation.",
    "role": "carer",
    "rating": "poor",
}
URGENT = "I cannot cope any more and I want to end my life. Ring me on 07700 900123."
REFERENCE = re.compile(r"FB-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}")


def feedback(**changes: Any) -> dict[str, Any]:
    return {**FORM, **changes}


def submit(aws: Any, **changes: Any) -> str:
    response = aws.request("POST", "/feedback", json_body=feedback(**changes))
    assert response.status == 202, response
    return str(response.json()["reference"])


def items(aws: Any) -> list[dict[str, Any]]:
    return [i for i in aws.items("feedback") if i["sk"] == "ITEM"]


def to(aws: Any, address: str) -> list[Any]:
    return [m for m in aws.sent() if address in m.to]


COORDINATOR = "coordinator@mkcpp.org.uk"


def test_anonymous_feedback_is_stored_routed_and_its_status_shows_nothing_personal(aws):
    # Given a browser on the form
    form = aws.request("GET", "/feedback", accept="text/html")
    assert form.status == 200
    shown = text(form.body)
    assert "You do not have to tell us who you are" in shown and "not your internet address" in shown
    assert "This form is not a helpline" in shown and 'name="website"' in form.body
    # When someone sends it without any personal data
    sent = aws.request("POST", "/feedback", form=FORM, accept="text/html")
    # Then they get a reference, the signposting and the expected first response
    assert sent.status == 202
    reference = REFERENCE.search(sent.body).group(0)  # type: ignore[union-attr]
    page = text(sent.body)
    assert "ring 999" in page and "NHS 111" in page and "Samaritans" in page and "5 working days" in page
    (stored,) = items(aws)
    assert stored["reference"] == reference and stored["urgent"] is False and stored["has_contact"] is False
    assert not [i for i in aws.items("feedback") if i["sk"] == "CONTACT"]
    # and the coordinators are emailed its reference, kind, category and urgency, not its words
    (email,) = aws.sent()
    assert email.to == COORDINATOR and reference in email.subject
    assert "Waiting and appointments" in email.text and "Urgent: no" in email.text
    assert "four hours" not in email.text and f"/console/feedback/{reference}" in email.text
    # and the status page shows the status and nothing personal
    status = aws.request("GET", f"/feedback/{reference}")
    assert status.json() == {
        "reference": reference,
        "status": "received",
        "status_label": "Received",
        "received_on": stored["received_at"][:10],
        "public_response": None,
    }
    assert aws.request("GET", "/feedback/FB-AAAA-AAAA-AAAA-AAAA").status == 404


def test_an_urgent_named_submission_signposts_flags_and_acknowledges_and_is_never_blocked(aws):
    sent = aws.request(
        "POST",
        "/feedback",
        form=feedback(text=URGENT, contact_email="Ann@Example.org", consent_contact="true"),
        accept="text/html",
    )
    assert sent.status == 202 and "Please get help now" in text(sent.body)
    (stored,) = items(aws)
    assert stored["urgent"] is True and stored["has_contact"] is True
    # the contact is stored apart from the words, with the pointer the register finds it by
    contact = next(i for i in aws.items("feedback") if i["sk"] == "CONTACT")
    assert contact["email"] == "ann@example.org" and "text" not in contact and "email" not in stored
    assert any(i["pk"].startswith("REPORTER#") for i in aws.items("feedback"))
    coordinator = to(aws, COORDINATOR)[0]
    assert coordinator.subject.startswith("URGENT") and coordinator.text.lstrip().startswith("URGENT")
    (ack,) = to(aws, "ann@example.org")
    assert stored["reference"] in ack.subject and stored["reference"] in ack.text
    assert "This is not a helpline" in ack.text and "not" in ack.text and "out of hours" in ack.text
    assert "5 working days" in ack.text and "Samaritans" in ack.text


def test_bad_input_is_a_400_naming_each_field_and_a_bot_is_answered_the_same_with_nothing_stored(aws):
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "rant"}, "kind"),
        ({"about": ""}, "about"),
        ({"about": "other"}, "about_other"),
        ({"category": "Nonsense"}, "category"),
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"role": "doctor"}, "role"),
        ({"rating": "great"}, "rating"),
        ({"contact_email": "not-an-address", "consent_contact": True}, "contact_email"),
        ({"contact_email": "ann@example.org"}, "consent_contact"),
    ]
    for change, field in cases:
        answer = aws.request("POST", "/feedback", json_body=feedback(**change))
        assert answer.status == 400, (change, answer)
        assert field in [e["field"] for e in answer.json()["errors"]], (change, answer)
    page = aws.request("POST", "/feedback", form=feedback(text=""), accept="text/html")
    assert page.status == 400 and "Tell us what happened, in 5,000 characters or fewer" in text(page.body)
    bot = aws.request("POST", "/feedback", json_body=feedback(website="http://spam.example"))
    assert bot.status == 202 and REFERENCE.fullmatch(bot.json()["reference"])
    assert items(aws) == [] and aws.sent() == []


def test_a_double_clicked_form_makes_one_item_and_one_acknowledgement(aws):
    named = feedback(contact_email="bob@example.org", consent_contact="true", once="a" * 22)
    first = aws.request("POST", "/feedback", form=named, accept="text/html")
    second = aws.request("POST", "/feedback", form=named, accept="text/html")
    assert first.status == second.status == 202
    assert REFERENCE.search(first.body).group(0) == REFERENCE.search(second.body).group(0)  # type: ignore[union-attr]
    assert len(items(aws)) == 1 and len(to(aws, "bob@example.org")) == 1 and len(to(aws, COORDINATOR)) == 1
    # a JSON client retrying with its Idempotency-Key gets the same reference too
    key = {"idempotency-key": "retry-" + "b" * 20}
    again = [
        aws.request("POST", "/feedback", json_body=feedback(text="Parking is hard"), headers=key)
        for _ in range(2)
    ]
    assert again[0].json() == again[1].json() and len(items(aws)) == 2
    # without a key, two people who send the same words are two items
    same = [aws.request("POST", "/feedback", json_body=feedback(text="Very good")) for _ in range(2)]
    assert same[0].json() != same[1].json() and len(items(aws)) == 4


def test_triage_over_the_admin_api_and_the_reporter_hears_of_each_change(aws, clock):
    urgent = submit(aws, text=URGENT)
    named = submit(aws, contact_email="cara@example.org", consent_contact=True, consent_publish=True)
    clock.advance(hours=1)
    listed = aws.admin("GET", "/admin/feedback").json()["items"]
    assert [i["reference"] for i in listed] == [urgent, named]  # urgent first
    assert all(i["contact_email"] is None for i in listed)
    assert [
        i["reference"] for i in aws.admin("GET", "/admin/feedback", query={"urgent": "false"}).json()["items"]
    ] == [named]
    assert aws.admin("GET", "/admin/feedback", query={"status": "closed"}).json()["items"] == []
    assert aws.admin("GET", "/admin/feedback", query={"status": "bogus"}).status == 400
    # with contact details, asked for and audited
    with_contacts = aws.admin("GET", "/admin/feedback", query={"include_contact": "true"}).json()["items"]
    assert {i["contact_email"] for i in with_contacts} == {None, "cara@example.org"}
    assert any(i["action"] == "feedback.contacts_exported" for i in aws.items("audit"))
    changed = aws.admin(
        "PATCH",
        f"/admin/feedback/{named}",
        json_body={
            "status": "with_working_group",
            "working_group": "Patient experience",
            "internal_note": "Ask the unit manager",
        },
    )
    assert changed.status == 200 and changed.json()["status"] == "with_working_group"
    assert changed.json()["first_response_at"] is not None
    update = to(aws, "cara@example.org")[-1]
    assert named in update.subject and "With a working group" in update.text
    responded = aws.admin(
        "PATCH",
        f"/admin/feedback/{named}",
        json_body={"public_response": "The unit now texts when delays pass an hour."},
    )
    assert responded.status == 200
    assert "texts when delays" in to(aws, "cara@example.org")[-1].text
    public = aws.request("GET", f"/feedback/{named}").json()
    assert public["public_response"].startswith("The unit now texts") and "Ask the unit" not in json.dumps(
        public
    )
    detail = aws.admin("GET", f"/admin/feedback/{named}").json()
    assert [h["action"] for h in detail["history"]] == [
        "received",
        "status",
        "working_group",
        "note",
        "public_response",
    ]
    # bad changes name the field
    for body, field in (
        ({"status": "done"}, "status"),
        ({"colour": "red"}, "colour"),
        ({"internal_note": None}, "internal_note"),
        ({}, "body"),
    ):
        refused = aws.admin("PATCH", f"/admin/feedback/{named}", json_body=body)
        assert refused.status == 400 and field in [e["field"] for e in refused.json()["errors"]], (
            body,
            refused,
        )
    assert (
        aws.admin("PATCH", "/admin/feedback/FB-AAAA-AAAA-AAAA-AAAA", json_body={"status": "closed"}).status
        == 404
    )
    assert aws.request("GET", "/admin/feedback").status == 401


def test_an_urgent_item_nobody_acknowledges_is_escalated_once(aws, clock):
    reference = submit(aws, text=URGENT)
    calm = submit(aws)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_escalation"}) == {"escalated": 0}
    clock.advance(hours=25)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_escalation"}) == {"escalated": 1}
    (escalation,) = [m for m in aws.sent() if "NOT YET ACKNOWLEDGED" in m.subject]
    assert (
        escalation.to == "secretary@mkcpp.org.uk"
        and reference in escalation.text
        and calm not in escalation.text
    )
    assert aws.invoke("feedback_mailer", {"kind": "feedback_escalation"}) == {"escalated": 0}
    # an acknowledged one is not escalated
    other = submit(aws, text=URGENT + " Again.")
    aws.admin("PATCH", f"/admin/feedback/{other}", json_body={"status": "acknowledged"})
    clock.advance(hours=25)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_escalation"}) == {"escalated": 0}


def test_the_digest_lists_new_items_urgent_first(aws, clock):
    assert aws.invoke("feedback_mailer", {"kind": "feedback_digest"}) == {"items": 0}
    calm = submit(aws)
    urgent = submit(aws, text=URGENT)
    clock.advance(hours=2)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_digest"}) == {"items": 2}
    (digest,) = [m for m in aws.sent() if m.subject.startswith("Feedback digest")]
    assert digest.text.index(urgent) < digest.text.index(calm) and "URGENT" in digest.text
    aws.invoke("feedback_mailer", {"kind": "feedback_digest"})  # the same day: not again
    assert len([m for m in aws.sent() if m.subject.startswith("Feedback digest")]) == 1


def test_follow_up_four_weeks_after_closing_reopens_on_no_and_never_acts_on_get(aws, clock):
    reference = submit(aws, contact_email="dan@example.org", consent_contact=True)
    aws.admin("PATCH", f"/admin/feedback/{reference}", json_body={"status": "closed"})
    clock.advance(days=27)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_follow_up"})["asked"] == 0
    clock.advance(days=2)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_follow_up"})["asked"] == 1
    assert aws.invoke("feedback_mailer", {"kind": "feedback_follow_up"})["asked"] == 0
    question = next(m for m in to(aws, "dan@example.org") if m.subject.startswith("Was it solved"))
    link = re.search(r"https://\S+/feedback/follow-up\?token=\S+", question.text).group(0)  # type: ignore[union-attr]
    token = link.split("token=")[1]
    page = aws.request("GET", "/feedback/follow-up", query={"token": token}, accept="text/html")
    assert page.status == 200 and "Was the problem solved?" in page.body
    assert items(aws)[0]["status"] == "closed"  # the GET changed nothing
    answered = aws.request(
        "POST", "/feedback/follow-up", query={"token": token}, form={"answer": "no"}, accept="text/html"
    )
    assert answered.status == 200 and "opened your feedback" in text(answered.body)
    (item,) = items(aws)
    assert item["status"] == "acknowledged" and item["follow_up_answer"] == "no" and item["reopened"] == 1
    assert any("reopened" in m.text for m in to(aws, COORDINATOR))
    # closed again, the reporter is asked again four weeks later
    aws.admin("PATCH", f"/admin/feedback/{reference}", json_body={"status": "closed"})
    clock.advance(days=29)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_follow_up"})["asked"] == 1
    forged = aws.request(
        "GET", "/feedback/follow-up", query={"token": token[:-3] + "abc"}, accept="text/html"
    )
    assert forged.status == 400
    bad = aws.request("POST", "/feedback/follow-up", query={"token": token}, json_body={"answer": "maybe"})
    assert bad.status == 400


def test_a_contact_is_erased_when_the_follow_up_window_is_over(aws, clock):
    reference = submit(aws, contact_email="erin@example.org", consent_contact=True)
    aws.admin("PATCH", f"/admin/feedback/{reference}", json_body={"status": "closed"})
    contact = next(i for i in aws.items("feedback") if i["sk"] == "CONTACT")
    assert contact["expires_at"] <= int((clock.now + timedelta(days=59)).timestamp())  # TTL moved
    clock.advance(days=59)
    assert aws.invoke("feedback_mailer", {"kind": "feedback_follow_up"})["contacts_erased"] == 1
    assert not [i for i in aws.items("feedback") if i["sk"] == "CONTACT" or i["pk"].startswith("REPORTER#")]
    assert items(aws)[0]["has_contact"] is False


def test_you_said_we_did_publishes_consented_changes_and_hides_small_figures(aws, clock):
    site = PublishedSite()
    assert aws.invoke("feedback_publisher", {"kind": "you_said_we_did_publish"})["published"] is True
    assert aws.invoke("feedback_publisher", {"kind": "you_said_we_did_publish"})["published"] is False
    reference = submit(aws, text="Dr Patel said on 3 March to ring 07700 900123.", consent_publish=True)
    aws.admin(
        "PATCH",
        f"/admin/feedback/{reference}",
        json_body={
            "status": "change_made",
            "anonymised_text": "A doctor said to ring a number that was never answered.",
            "public_response": "The clinic's number now goes to a staffed desk.",
        },
    )
    assert aws.invoke("feedback_publisher", {"kind": "you_said_we_did_publish"})["published"] is True
    page = site._site.serve("GET", "/site/you-said-we-did/index.html").body.decode()
    assert "never answered" in page and "staffed desk" in page and "Patel" not in page and "07700" not in page
    assert "fewer than 5" in page and "pieces of feedback received" not in page
    for n in range(4):
        submit(aws, text=f"Feedback number {n}", rating="very_good")
    aws.invoke("feedback_publisher", {"kind": "you_said_we_did_publish"})
    feed = json.loads(site._site.serve("GET", "/site/you-said-we-did/feed.json").body)
    assert feed["figures"]["items"] == 5 and feed["figures"]["share_led_to_change"] == 0.2
    assert (
        feed["figures"]["fft"]["very_good"] == 0.8
        and feed["figures"]["median_days_to_first_response"] is None
    )
    assert [i["said"] for i in feed["items"]] == ["A doctor said to ring a number that was never answered."]


def test_a_named_reporters_feedback_is_in_their_export_and_erasure(aws):
    from shared.aws import client
    from shared.feedback.privacy import FeedbackRecords
    from shared.keys import load_lookup_key
    from shared.privacy.register import Person
    from tests.support.env import LOOKUP_SECRET_ID

    submit(aws, contact_email="fay@example.org", consent_contact=True)
    submit(aws)  # anonymous: nobody's
    lookup = load_lookup_key(LOOKUP_SECRET_ID).email_lookup_id("fay@example.org")
    holder = FeedbackRecords(client("dynamodb"), {"feedback": "mkcpp-feedback"})
    exported = holder.export(Person("m1", lookup))
    assert exported is not None and len(exported["feedback_you_gave"]) == 1
    assert holder.erase(Person("m1", lookup)) > 0
    assert len(items(aws)) == 1 and holder.export(Person("m1", lookup)) is None


def test_an_anonymous_submission_keeps_no_source_address_or_user_agent(aws, capsys, caplog):
    from tests.support.events import http_event

    # Given a request from an address and a browser we could recognise
    caplog.set_level(logging.INFO)  # the functions' level (infra/constructs/function.py LOG_LEVEL)
    ip, agent = "198.51.100.173", "UniqueBrowser/42.4242"
    name, event = http_event("POST", "/feedback", json_body=feedback(text="Nobody told us about parking."))
    event["headers"].update({"user-agent": agent, "x-forwarded-for": ip})
    event["requestContext"]["http"].update({"sourceIp": ip, "userAgent": agent})
    # When it is sent
    result = aws.invoke(name, event)
    assert result["statusCode"] == 202
    # Then no stored item, audit entry or email holds either, and no log line holds them or the words
    stored = json.dumps([aws.items(t.key) for t in TABLES], default=str)
    sent = json.dumps([m.text + m.html for m in aws.sent()])
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "feedback received" in logs, "nothing was logged: the check would prove nothing"
    assert "Nobody told us about parking." in stored  # the words are stored (so the search works)
    for trace in (ip, agent):
        assert trace not in stored and trace not in sent and trace not in logs
    assert "Nobody told us" not in logs


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return ConsoleBrowser(aws, mint())


def test_the_console_triages_responds_redacts_and_enters_feedback_on_someones_behalf(aws, browser):
    calm = submit(
        aws,
        consent_publish=True,
        text="Nurse Julie on 12 March was kind but ring 01908 123456 never answers.",
    )
    urgent = submit(aws, text=URGENT)
    queue = browser.get("/console/feedback")
    assert queue.status == 200 and text(queue.body).index(urgent) < text(queue.body).index(calm)
    page = browser.get(f"/console/feedback/{calm}")
    shown = text(page.body)
    assert page.status == 200 and "Nurse [staff name] on [date]" in shown and "01908 123456" in shown
    # accept the suggestion as it stands, change the status, add a note and a public response
    saved = browser.post(
        f"/console/feedback/{calm}",
        {"anonymised_text": "A nurse was kind, but [phone number] never answers."},
    )
    assert saved.status == 303
    browser.post(f"/console/feedback/{calm}", {"status": "change_made", "working_group": "Access"})
    browser.post(f"/console/feedback/{calm}", {"internal_note": "Phoned the switchboard manager"})
    browser.post(f"/console/feedback/{calm}", {"public_response": "The number is now staffed 9 to 5."})
    after = text(browser.get(f"/console/feedback/{calm}").body)
    assert "Change made" in after and "Phoned the switchboard manager" in after and "Access" in after
    bad = browser.post(f"/console/feedback/{calm}", {"status": "finished"})
    assert bad.status == 400 and "Choose one of the statuses" in text(bad.body)
    preview = text(browser.get("/console/feedback/you-said-we-did").body)
    assert "A nurse was kind" in preview and "staffed 9 to 5" in preview
    # on someone's behalf, marked as such, once however often the button is pressed
    form = browser.get("/console/feedback/new")
    once = re.search(r'name="once" value="([^"]+)"', form.body).group(1)  # type: ignore[union-attr]
    fields = {**FORM, "how": "desk", "once": once, "text": "Told at the desk: the chairs are too low."}
    first = browser.post("/console/feedback/new", fields)
    second = browser.post("/console/feedback/new", fields)
    assert first.status == second.status == 303 and first.headers["Location"] == second.headers["Location"]
    entered = text(browser.get(first.headers["Location"]).body)
    assert "entered on their behalf (at the drop-by desk)" in entered
    assert len(items(aws)) == 3
    missing = browser.post("/console/feedback/new", {**FORM, "how": ""})
    assert missing.status == 400 and "Choose how the feedback came to you" in text(missing.body)
    assert browser.get("/console/feedback/not-a-reference").status == 404


def test_a_members_export_and_erasure_include_the_feedback_they_gave_with_their_address(aws):
    from tests.handler.test_meetings import member

    # Given a member who also gave feedback, with their address, and an anonymous item
    member_id = member(aws, "gail@example.org", "Gail Member")
    reference = submit(aws, contact_email="Gail@Example.org", consent_contact=True)
    submit(aws, text="Someone else's anonymous words.")
    # When an administrator exports them, their feedback is there
    export = aws.admin("GET", f"/admin/members/{member_id}/export").json()
    assert [i["reference"] for i in export["elsewhere"]["feedback"]["feedback_you_gave"]] == [reference]
    # and when they are erased, their feedback goes with them; the anonymous item stays
    assert aws.admin("DELETE", f"/admin/members/{member_id}").status in (200, 204)
    assert [i["text"] for i in items(aws)] == ["Someone else's anonymous words."]
    assert not [
        i for i in aws.items("feedback") if i["pk"].startswith(("REPORTER#", f"FEEDBACK#{reference}"))
    ]


def test_a_reporter_is_told_when_their_words_are_edited_or_withheld_before_publishing(aws):
    reference = submit(
        aws,
        contact_email="hal@example.org",
        consent_contact=True,
        consent_publish=True,
        text="Dr Patel rang me on 07700 900123.",
    )
    aws.admin("PATCH", f"/admin/feedback/{reference}", json_body={"anonymised_text": "A doctor rang me."})
    edited = to(aws, "hal@example.org")[-1]
    assert "We edited your words" in edited.subject and reference in edited.text
    assert "phone numbers" in edited.text and "staff names" in edited.text
    aws.admin("PATCH", f"/admin/feedback/{reference}", json_body={"anonymised_text": ""})
    withheld = to(aws, "hal@example.org")[-1]
    assert "decided not to publish your words" in withheld.text and reference in withheld.text


def test_the_aws_calls_one_submission_makes(aws):
    from tests.support import permissions

    def calls_for(**changes: Any) -> list[str]:
        start = len(permissions.recorded())
        sent = aws.request("POST", "/feedback", form=feedback(**changes), accept="text/html")
        assert sent.status == 202
        return [f"{c.service}:{c.operation}" for c in permissions.recorded()[start:]]

    # An anonymous submission from the form: its once-token's guard, one transaction (item, history,
    # publication mark), and the coordinators' email with its send claim
    anonymous = calls_for(once="c" * 22)
    print(f"\nanonymous submission: {len(anonymous)} AWS calls: {anonymous}")
    assert anonymous == [
        "dynamodb:PutItem",
        "dynamodb:TransactWriteItems",
        "dynamodb:PutItem",
        "sesv2:SendEmail",
    ]
    # A named one adds the lookup key (once per warm function) and the acknowledgement with its claim
    named = calls_for(
        text="Parking again.", contact_email="ivy@example.org", consent_contact="true", once="d" * 22
    )
    print(f"named submission: {len(named)} AWS calls: {named}")
    assert named.count("sesv2:SendEmail") == 2 and named.count("dynamodb:TransactWriteItems") == 1
    assert len(named) <= 7


def test_a_form_sent_again_after_its_emails_failed_sends_them_then_and_only_once(aws, monkeypatch):
    from shared.email.mailer import EmailNotSent, Mailer

    # Given SES failing while the first submission is made
    real = Mailer.send

    def failing(self: Any, email: Any, suppression_checked: bool = False) -> Any:
        raise EmailNotSent("Throttling")

    monkeypatch.setattr(Mailer, "send", failing)
    named = feedback(contact_email="jo@example.org", consent_contact="true", once="e" * 22)
    first = aws.request("POST", "/feedback", form=named, accept="text/html")
    assert first.status == 503 and len(items(aws)) == 1 and aws.sent() == []
    # When SES is back and the person presses the button again
    monkeypatch.setattr(Mailer, "send", real)
    again = aws.request("POST", "/feedback", form=named, accept="text/html")
    # Then it is the same item, and the coordinators and the reporter get their emails, once
    assert again.status == 202 and len(items(aws)) == 1
    assert len(to(aws, COORDINATOR)) == 1 and len(to(aws, "jo@example.org")) == 1
    aws.request("POST", "/feedback", form=named, accept="text/html")
    assert len(to(aws, COORDINATOR)) == 1 and len(to(aws, "jo@example.org")) == 1


def test_a_retry_after_the_item_was_not_written_stores_it_under_the_first_reference(aws, monkeypatch):
    from shared.feedback.service import FeedbackService

    # Given the first attempt claimed the form's guard, then stopped before writing the item
    def stopped(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the function timed out")

    original = FeedbackService._history_put
    monkeypatch.setattr(FeedbackService, "_history_put", stopped)
    form = feedback(once="f" * 22)
    with pytest.raises(RuntimeError):
        aws.request("POST", "/feedback", form=form, accept="text/html")
    assert items(aws) == []
    monkeypatch.setattr(FeedbackService, "_history_put", original)
    # When it is sent again, the item is stored (under the reference the guard holds), and routed
    again = aws.request("POST", "/feedback", form=form, accept="text/html")
    assert again.status == 202 and len(items(aws)) == 1 and len(to(aws, COORDINATOR)) == 1
