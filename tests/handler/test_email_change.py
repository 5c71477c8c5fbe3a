"""A member's new email address (issue 19): asked for from the console or their preferences page,
theirs only when the new address's owner presses the button, with their record, history, groups and
consents kept, and the old address told."""

from __future__ import annotations

import pytest

from tests.handler.test_lifecycle import ANN, join, ses_event
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text

NEW = "ann.new@example.org"


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return ConsoleBrowser(aws, mint())


def record(aws, member_id):
    return aws.admin("GET", f"/admin/members/{member_id}").json()


def found_by(aws, address):
    return [m["id"] for m in aws.admin("GET", "/admin/members", query={"q": address}).json()["items"]]


def test_the_secretary_changes_an_address_and_it_moves_only_when_its_owner_presses_the_button(aws, browser):
    ann = join(aws)
    aws.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Views"})
    aws.admin("POST", "/admin/groups/patient-voice/members", json_body={"member_id": ann})
    before = record(aws, ann)
    assert "Change their email address" in text(browser.get(f"/console/members/{ann}").body)

    asked = browser.post(f"/console/members/{ann}/email", {"email": " Ann.New@Example.org "})
    assert asked.status == 303
    assert "We emailed a link to the new address" in text(browser.get(asked.headers["Location"]).body)
    link = aws.sent()[-1]
    assert link.to == NEW and link.subject.startswith("Confirm your new email address")
    # nothing moves yet: she is still found, and emailed, at the old address
    assert record(aws, ann)["email"] == ANN and record(aws, ann)["new_email"] == NEW
    assert found_by(aws, ANN) == [ann] and found_by(aws, NEW) == []

    # a mail scanner opening the link changes nothing
    token = link.token("/members/email/confirm")
    opened = aws.request("GET", "/members/email/confirm", query={"token": token}, accept="text/html")
    assert opened.status == 200 and "Yes, use this address" in text(opened.body)
    assert "a…@example.org" in text(opened.body) and NEW not in opened.body
    assert record(aws, ann)["email"] == ANN

    pressed = aws.request("POST", "/members/email/confirm", form={"token": token}, accept="text/html")
    assert pressed.status == 200 and "Your email address is changed" in text(pressed.body)
    after = record(aws, ann)
    assert after["email"] == NEW and after["new_email"] is None
    for kept in ("id", "working_groups", "consents", "created_at", "confirmed_at", "status", "preferences"):
        assert after[kept] == before[kept], kept
    assert found_by(aws, NEW) == [ann] and found_by(aws, ANN) == []
    told = aws.sent()[-1]
    assert told.to == ANN and "has changed" in told.subject and NEW not in told.text
    # pressed again (a double click), or opened again: already done, nothing more sent
    sent = len(aws.sent())
    again = aws.request("POST", "/members/email/confirm", form={"token": token}, accept="text/html")
    assert again.status == 200 and len(aws.sent()) == sent
    actions = [e["action"] for e in aws.items("audit") if e["target"] == f"MEMBER#{ann}"]
    assert "member.email_change_requested" in actions and "member.email_changed" in actions


def test_an_address_another_member_holds_is_refused_naming_the_field(aws, browser):
    ann = join(aws)
    aws.request(
        "POST",
        "/members",
        json_body={
            "name": "Bob",
            "email": "bob@example.org",
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": "2026-11",
        },
    )
    refused = browser.post(f"/console/members/{ann}/email", {"email": "bob@example.org"})
    assert refused.status == 409
    assert "Another member has this email address" in text(refused.body)
    same = browser.post(f"/console/members/{ann}/email", {"email": ANN})
    assert same.status == 400 and "This is already the member's email address" in text(same.body)
    bad = aws.admin("POST", f"/admin/members/{ann}/email", json_body={"email": "not an address"})
    assert bad.status == 400 and bad.json()["errors"][0]["field"] == "email"


def test_a_mistyped_unconfirmed_sign_up_is_given_the_right_address_and_a_new_confirmation(aws, browser):
    body = {
        "name": "Cy Typo",
        "email": "cy@exmaple.org",
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": "2026-11",
    }
    assert aws.request("POST", "/members", json_body=body).status == 202
    cy = next(m["id"] for m in aws.members() if m["name"] == "Cy Typo")
    fixed = browser.post(f"/console/members/{cy}/email", {"email": "cy@example.org"})
    assert fixed.status == 303 and fixed.headers["Location"].endswith("done=email_replaced")
    confirmation = aws.sent()[-1]
    assert confirmation.to == "cy@example.org"
    assert (
        aws.request("POST", "/members/confirm", form={"token": confirmation.token("/members/confirm")}).status
        == 200
    )
    assert record(aws, cy)["status"] == "active" and record(aws, cy)["email"] == "cy@example.org"
    assert found_by(aws, "cy@exmaple.org") == []


def test_a_member_whose_address_bounced_gets_emails_again_at_the_new_one(aws, browser):
    ann = join(aws)
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", ANN)[0])
    assert record(aws, ann)["status"] == "suppressed"
    written_to_before = [m.to for m in aws.sent()].count(ANN)
    browser.post(f"/console/members/{ann}/email", {"email": NEW})
    token = aws.sent()[-1].token("/members/email/confirm")
    aws.request("POST", "/members/email/confirm", form={"token": token})
    after = record(aws, ann)
    assert (after["status"], after["email"]) == ("active", NEW)
    assert [m.to for m in aws.sent()].count(ANN) == written_to_before  # the bounced address is not written to


def test_a_member_changes_their_own_address_from_their_preferences_page(aws):
    ann = join(aws)
    preferences = aws.admin("POST", f"/admin/members/{ann}/preferences-link")
    assert preferences.status == 200
    token = aws.sent()[-1].token("/members/preferences")
    page = aws.request("GET", "/members/preferences", query={"token": token}, accept="text/html")
    assert "Change my email address" in text(page.body)
    asked = aws.request(
        "POST", "/members/preferences/email", query={"token": token}, form={"email": NEW}, accept="text/html"
    )
    assert asked.status == 202 and "Check the new address's inbox" in text(asked.body)
    link = aws.sent()[-1]
    assert link.to == NEW and "You asked" in link.text
    # an address another member holds gets the same page, and nothing is sent: no one learns who is a member
    join(aws, email="bob@example.org", name="Bob Jones")
    sent = len(aws.sent())
    probe = aws.request(
        "POST",
        "/members/preferences/email",
        query={"token": token},
        form={"email": "bob@example.org"},
        accept="text/html",
    )
    assert probe.status == 202 and "Check the new address's inbox" in text(probe.body)
    assert len(aws.sent()) == sent
    # a bad address comes back on the preferences page, naming the box
    bad = aws.request(
        "POST",
        "/members/preferences/email",
        query={"token": token},
        form={"email": "ann@"},
        accept="text/html",
    )
    assert bad.status == 400 and 'href="#email"' in bad.body
    aws.request("POST", "/members/email/confirm", form={"token": link.token("/members/email/confirm")})
    assert record(aws, ann)["email"] == NEW


def test_the_new_address_waiting_is_in_the_members_export_but_not_its_links_secret(aws, browser):
    ann = join(aws)
    browser.post(f"/console/members/{ann}/email", {"email": NEW})
    export = aws.admin("GET", f"/admin/members/{ann}/export").json()
    assert export["profile"]["email_change"]["email"] == NEW
    assert "nonce" not in export["profile"]["email_change"]
    assert "lookup_id" not in export["profile"]["email_change"]
    # erasure takes it with the rest
    assert aws.admin("DELETE", f"/admin/members/{ann}").status in (200, 202)
    assert [i for i in aws.items("members") if NEW in str(i)] == []


def test_links_sent_to_the_old_address_stop_working_once_the_address_changes(aws, browser):
    # Given Ann joined at a mistyped address that reached a stranger, whose welcome email has links
    ann = join(aws)
    welcome = next(m for m in aws.sent() if m.to == ANN and "/members/preferences" in m.text)
    old_preferences = welcome.token("/members/preferences")
    old_unsubscribe = welcome.token("/members/unsubscribe")
    assert aws.request("GET", "/members/preferences", query={"token": old_preferences}).status == 200

    # When the Secretary changes her address and its owner confirms it
    browser.post(f"/console/members/{ann}/email", {"email": NEW})
    token = aws.sent()[-1].token("/members/email/confirm")
    aws.request("POST", "/members/email/confirm", form={"token": token}, accept="text/html")
    assert record(aws, ann)["email"] == NEW

    # Then the old address's links change nothing: not her choices, not her membership
    for path, old in (("/members/preferences", old_preferences), ("/members/unsubscribe", old_unsubscribe)):
        opened = aws.request("GET", path, query={"token": old}, accept="text/html")
        assert opened.status in (400, 410) and "this link has expired" in text(opened.body).lower(), (
            path,
            opened,
        )
    gone = aws.request("POST", "/members/unsubscribe", form={"token": old_unsubscribe}, accept="text/html")
    assert gone.status in (400, 410) and record(aws, ann)["status"] == "active"
    # while a link sent to her new address works
    browser.post(f"/console/members/{ann}/preferences-link")
    fresh = next(m for m in reversed(aws.sent()) if m.to == NEW and "/members/preferences" in m.text)
    assert (
        aws.request(
            "GET", "/members/preferences", query={"token": fresh.token("/members/preferences")}
        ).status
        == 200
    )
