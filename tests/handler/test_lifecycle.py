"""The membership lifecycle: preferences, unsubscribe, rejoining, bounces and complaints, working
groups, members without email, GDPR export and erasure, and the admin tools around them."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.declaration import TABLES, all_routes
from tests.handler.conftest import load_event
from tests.support.events import ADMIN, NOT_ADMIN

ADMIN_SUB = ADMIN["sub"]

ANN = "ann.member@example.org"


def join(aws, email=ANN, name="Ann Member", role="carer", groups=()):
    """Sign up and confirm; returns the member id."""
    before = len(aws.sent())
    body = {
        "name": name,
        "email": email,
        "role": role,
        "consent_contact": True,
        "consent_health_data": True,
        "privacy_notice_version": "2026-11",
        "working_groups": list(groups),
        "phone": "07700 900123",
    }
    assert aws.request("POST", "/members", json_body=body).status == 202
    confirm = aws.sent()[before]
    assert (
        aws.request(
            "POST", "/members/confirm", form={"token": confirm.token("/members/confirm")}, accept="text/html"
        ).status
        == 200
    )
    return next(m["id"] for m in aws.members() if m.get("email") == email)


def token_of(url):
    return parse_qs(urlsplit(url).query)["token"][0]


def last_to(aws, address):
    return [m for m in aws.sent() if m.to == address][-1]


def follow(aws, response):
    """What the browser shows after a 303: the GET of its Location."""
    assert response.status == 303, response
    location = urlsplit(response.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    return aws.request("GET", location.path, query=query, accept="text/html")


def make_group(aws, name="Patient Journal", **extra):
    response = aws.admin(
        "POST", "/admin/groups", json_body={"name": name, "purpose": "Fast feedback", **extra}
    )
    assert response.status == 201, response
    return response.json()["id"]


def ses_event(name, address, message_id=None):
    """A sample SES event (SQS <- SNS <- SES) about `address`, optionally for another sent message."""
    event = load_event(f"members/ses_events/{name}.json")
    record = event["Records"][0]
    sns = json.loads(record["body"])
    message = json.loads(sns["Message"])
    if message_id:
        message["mail"]["messageId"] = message_id
    for part in ("bounce", "complaint"):
        if part in message:
            key = "bouncedRecipients" if part == "bounce" else "complainedRecipients"
            message[part][key][0]["emailAddress"] = address
    sns["Message"] = json.dumps(message)
    record["body"] = json.dumps(sns)
    return event, message


# --- preferences ----------------------------------------------------------------------------------


def test_a_member_changes_preferences_and_groups_from_the_emailed_link(aws):
    journal = make_group(aws, "Patient Journal")
    make_group(aws, "Research")
    member_id = join(aws)
    token = aws.sent()[-1].token("/members/preferences")

    page = aws.request("GET", "/members/preferences", query={"token": token}, accept="text/html")
    assert page.status == 200
    assert 'name="meeting_reminders" value="true" checked' in page.body
    assert "Patient Journal" in page.body and "Research" in page.body

    saved = aws.request(
        "POST",
        "/members/preferences",
        query={"token": token},
        accept="text/html",
        form={"newsletters": "true", "working_groups": [journal]},
    )
    # Then the browser is sent to the page (post/redirect/get: a refresh cannot post it again)
    assert saved.status == 303 and saved.body == ""
    shown = follow(aws, saved)
    assert shown.status == 200 and "Your preferences are saved" in shown.body
    # the banner sits under the page heading
    assert shown.body.index("<h1>Your preferences</h1>") < shown.body.index("Your preferences are saved")
    # and opening the page from the email again shows no banner
    assert (
        "Your preferences are saved"
        not in aws.request("GET", "/members/preferences", query={"token": token}, accept="text/html").body
    )
    detail = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert detail["preferences"] == {"meeting_reminders": False, "newsletters": True}
    assert detail["working_groups"] == [journal]
    listed = aws.admin("GET", "/admin/members", query={"group": journal}).json()["items"]
    assert [m["id"] for m in listed] == [member_id]

    # leaving the group through preferences takes them out of the group's list
    aws.request("POST", "/members/preferences", query={"token": token}, form={"meeting_reminders": "true"})
    assert aws.admin("GET", "/admin/members", query={"group": journal}).json()["items"] == []


def test_a_stale_preferences_link_says_how_to_get_a_fresh_one(aws):
    join(aws)
    token = aws.sent()[-1].token("/members/preferences")
    aws.clock.advance(days=31)
    page = aws.request("GET", "/members/preferences", query={"token": token}, accept="text/html")
    assert page.status == 400
    assert "This link has expired" in page.body and "fill in the sign-up form" in page.body


def test_choosing_a_closed_or_unknown_group_is_a_400(aws):
    group = make_group(aws)
    join(aws)
    token = aws.sent()[-1].token("/members/preferences")
    assert aws.admin("POST", f"/admin/groups/{group}/close").status == 200
    response = aws.request(
        "POST", "/members/preferences", query={"token": token}, json_body={"working_groups": [group]}
    )
    assert response.status == 400
    assert response.json()["errors"][0]["field"] == "working_groups"
    signup = aws.request(
        "POST",
        "/members",
        json_body={
            "name": "Bo",
            "email": "bo@example.org",
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": "2026-11",
            "working_groups": ["no-such-group"],
        },
    )
    assert signup.status == 400


def test_an_admin_can_email_a_fresh_preferences_link_once_per_ten_minutes(aws):
    member_id = join(aws)
    assert aws.admin("POST", f"/admin/members/{member_id}/preferences-link").json() == {"sent": True}
    assert aws.admin("POST", f"/admin/members/{member_id}/preferences-link").json() == {"sent": False}
    mail = last_to(aws, ANN)
    assert mail.subject.startswith("Your link to change what you hear")
    assert (
        aws.request("GET", "/members/preferences", query={"token": mail.token("/members/preferences")}).status
        == 200
    )


# --- unsubscribe ----------------------------------------------------------------------------------


def test_opening_the_unsubscribe_link_only_shows_a_button(aws):
    member_id = join(aws)
    url = aws.sent()[-1].headers["List-Unsubscribe"].strip("<>")
    page = aws.request("GET", "/members/unsubscribe", query={"token": token_of(url)}, accept="text/html")
    assert page.status == 200
    assert '<button type="submit">Unsubscribe</button>' in page.body
    assert aws.admin("GET", f"/admin/members/{member_id}").json()["status"] == "active"


def test_one_click_unsubscribe_stops_every_email_and_a_signup_cannot_undo_it(aws):
    member_id = join(aws)
    url = aws.sent()[-1].headers["List-Unsubscribe"].strip("<>")

    # When Gmail sends the RFC 8058 one-click POST
    event = load_event("members/post_unsubscribe_one_click.json")
    event["queryStringParameters"] = {"token": token_of(url)}
    event["rawQueryString"] = f"token={token_of(url)}"
    result = aws.invoke("members_public", event)

    # Then she is unsubscribed at once, and it is harmless to repeat
    assert result["statusCode"] == 200
    assert aws.invoke("members_public", event)["statusCode"] == 200
    seen = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert seen["status"] == "unsubscribed"
    # and her consent to be contacted is recorded as withdrawn, once: the CSV says so too
    contact = [c for c in seen["consents"] if c["kind"] == "contact"]
    assert [(c["given"], c["channel"]) for c in contact][-1] == (False, "web_form") and len(contact) == 2
    (row,) = csv.DictReader(io.StringIO(aws.admin("GET", "/admin/members.csv").body.removeprefix("\ufeff")))
    assert row["contact_consent"] == "withdrawn"
    # And her record is kept for a year (profile and address pointer alike), then purged by TTL
    year = int(aws.clock.now.timestamp()) + 365 * 24 * 3600
    assert {
        i["sk"]: i.get("expires_at") for i in aws.items("members") if i["sk"] in ("PROFILE", "EMAIL")
    } == {"PROFILE": year, "EMAIL": year}
    sent_before = len(aws.sent())
    # And nothing more is sent: no preferences link from an admin
    assert aws.admin("POST", f"/admin/members/{member_id}/preferences-link").status == 409
    # And when someone re-enters her address later, her status does not change
    aws.clear_idempotency()
    aws.clock.advance(minutes=11)
    aws.request(
        "POST",
        "/members",
        json_body={
            "name": "Mallory",
            "email": ANN,
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": "2026-11",
        },
    )
    detail = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert detail["status"] == "unsubscribed" and detail["name"] == "Ann Member"
    # only a rejoin confirmation went to her own address
    (rejoin,) = aws.sent()[sent_before:]
    assert rejoin.to == ANN and "rejoin" in rejoin.subject


def unsubscribed_long_ago(aws) -> str:
    """Ann, who joined, unsubscribed with one click, and comes back 30 minutes later: her id."""
    member_id = join(aws)
    url = aws.sent()[-1].headers["List-Unsubscribe"].strip("<>")
    aws.request(
        "POST", "/members/unsubscribe", query={"token": token_of(url)}, form={"List-Unsubscribe": "One-Click"}
    )
    aws.clear_idempotency()
    aws.clock.advance(minutes=30)
    return member_id


def test_rejoining_needs_a_fresh_opt_in_from_the_address_owner(aws):
    member_id = unsubscribed_long_ago(aws)
    aws.request(
        "POST",
        "/members",
        json_body={
            "name": "Ann Rejoined",
            "email": ANN,
            "role": "patient",
            "consent_contact": True,
            "consent_health_data": True,
            "privacy_notice_version": "2026-11",
        },
    )
    confirm = last_to(aws, ANN)
    # opening the link (as a mail scanner would) only asks; she is still unsubscribed
    token = confirm.token("/members/confirm")
    page = aws.request("GET", "/members/confirm", query={"token": token}, accept="text/html")
    assert page.status == 200 and "<h1>Confirm that you want to rejoin</h1>" in page.body
    assert aws.admin("GET", f"/admin/members/{member_id}").json()["status"] == "unsubscribed"

    assert aws.request("POST", "/members/confirm", form={"token": token}).status == 200

    detail = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert (detail["status"], detail["name"], detail["role"]) == ("active", "Ann Rejoined", "patient")
    assert not [i for i in aws.items("members") if i["sk"] in ("PROFILE", "EMAIL") and "expires_at" in i]
    # agreed, withdrawn by unsubscribing, agreed again
    assert [c["given"] for c in detail["consents"] if c["kind"] == "contact"] == [True, False, True]
    assert last_to(aws, ANN).subject.startswith("Welcome")


def test_a_second_rejoin_within_ten_minutes_keeps_the_newest_details_for_the_link_already_sent(aws):
    member_id = unsubscribed_long_ago(aws)
    rejoin = {
        "email": ANN,
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": "2026-11",
    }
    aws.request("POST", "/members", json_body={**rejoin, "name": "Ann Typo"})
    first = last_to(aws, ANN)
    sent_before = len(aws.sent())

    # When she notices a typo and sends the form again five minutes later
    aws.clear_idempotency()
    aws.clock.advance(minutes=5)
    again = aws.request("POST", "/members", json_body={**rejoin, "name": "Ann Rejoined"})

    # Then nothing more is sent, but the link she already has confirms what she sent last
    assert again.status == 202 and len(aws.sent()) == sent_before
    confirmed = aws.request("POST", "/members/confirm", form={"token": first.token("/members/confirm")})
    assert confirmed.status == 200
    detail = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert (detail["status"], detail["name"]) == ("active", "Ann Rejoined")


# --- bounces and complaints -----------------------------------------------------------------------


def test_a_hard_bounce_suppresses_the_address_and_nothing_is_sent_to_it_again(aws):
    member_id = join(aws)
    event, _message = ses_event("sqs_bounce_permanent", ANN)

    assert aws.invoke("member_bounces", event) == {"batchItemFailures": []}

    detail = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert detail["status"] == "suppressed"
    assert detail["suppression"]["reason"] == "hard_bounce" and detail["suppression"]["suppressed_at"]
    before = len(aws.sent())
    aws.clear_idempotency()
    aws.clock.advance(hours=1)
    aws.request(
        "POST",
        "/members",
        json_body={
            "name": "Ann",
            "email": ANN.upper(),
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": "2026-11",
        },
    )
    assert aws.admin("POST", f"/admin/members/{member_id}/preferences-link").status == 409
    assert len(aws.sent()) == before
    # and the same event delivered twice changes nothing more
    assert aws.invoke("member_bounces", event) == {"batchItemFailures": []}


def test_an_admin_lifts_a_suppression_and_the_member_is_restored(aws):
    member_id = join(aws)
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", ANN)[0])
    assert aws.admin("GET", f"/admin/members/{member_id}").json()["suppression"]["reason"] == "hard_bounce"

    lifted = aws.admin("DELETE", f"/admin/members/{member_id}/suppression").json()

    assert lifted["status"] == "active" and lifted["suppression"] is None
    assert aws.admin("POST", f"/admin/members/{member_id}/preferences-link").json() == {"sent": True}


def ses_calls(function, operation="DeleteSuppressedDestination"):
    """The calls `function` made to SES's account-level suppression list in this test (each is
    checked against the function's synthesized policy when the test ends)."""
    from tests.support import permissions

    return [c for c in permissions.recorded() if c.function == function and c.operation == operation]


def test_lifting_a_suppression_takes_the_address_off_amazons_block_list_too(aws):
    # Given Ann, whose address hard-bounced: SES put it on its own list, and we suppressed it
    member_id = join(aws)
    aws.ses_suppresses(ANN, "BOUNCE")
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", ANN)[0])
    assert ANN in aws.ses_suppressed()
    # When an administrator lifts the suppression
    lifted = aws.admin("DELETE", f"/admin/members/{member_id}/suppression").json()
    # Then Amazon no longer holds her address either (or it would go on refusing her email)
    assert lifted["suppression"] is None
    assert ANN not in aws.ses_suppressed()
    assert len(ses_calls("members_admin")) == 1
    # And lifting again, with nothing on Amazon's list, is no error
    assert aws.admin("DELETE", f"/admin/members/{member_id}/suppression").status == 200


def test_the_policy_check_covers_the_suppression_list_call(aws, policy_check):
    # Given the call that takes an address off SES's account-level suppression list
    from tests.support.permissions import Call

    def call(function):
        return Call(function, "sesv2", "DeleteSuppressedDestination", {"EmailAddress": ANN})

    # Then the functions that erase, lift or remove profiles may make it, on `*` (IAM has no other
    # resource for it), and a function that does none of those would be refused
    granted = ("members_admin", "members_public", "members_console", "member_retention")
    assert policy_check.check([call(name) for name in granted]) == []
    assert policy_check.check([call("member_bounces")]) == [
        "member_bounces called sesv2.DeleteSuppressedDestination, which needs "
        "ses:DeleteSuppressedDestination on *: its role in the synthesized template does not allow that"
    ]


def test_a_spam_complaint_unsubscribes_the_member_so_the_grace_period_and_removal_apply(aws):
    # Given Ann, a carer, who marks one of our emails as spam
    member_id = join(aws, role="carer", name="Ann Carer")
    event, _ = ses_event("sqs_complaint", ANN)
    aws.ses_suppresses(ANN, "COMPLAINT")  # as SES does, for our configuration set
    assert aws.invoke("member_bounces", event) == {"batchItemFailures": []}
    assert aws.invoke("member_bounces", event) == {"batchItemFailures": []}  # SQS delivers it twice
    # Then she is unsubscribed, as if she had pressed the link: kept a year at most, not for ever, and
    # her address is suppressed so nothing reaches her, whoever asks
    detail = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert (detail["status"], detail["suppression"]["reason"]) == ("unsubscribed", "complaint")
    assert detail["unsubscribed_at"] == aws.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    # and the complaint is recorded as her withdrawal of consent to be contacted (once, for two events)
    withdrawals = [c for c in detail["consents"] if c["kind"] == "contact" and not c["given"]]
    assert [(c["channel"], c["notice_version"]) for c in withdrawals] == [("spam_report", "2026-11")]
    stored = next(m for m in aws.members() if m["id"] == member_id)
    assert stored["expires_at"] == int(aws.clock.now.timestamp()) + 365 * 86400
    assert aws.admin("POST", f"/admin/members/{member_id}/preferences-link").status == 409
    # When the grace period is over, the nightly run removes her profile, as for any unsubscribe
    aws.clock.advance(days=31)
    assert aws.invoke("member_retention", {"kind": "member_retention"}) == {
        "profiles_removed": 1,
        "ses_addresses_released": 0,
    }
    stored = next(m for m in aws.members() if m["id"] == member_id)
    assert "name" not in stored and "email" not in stored and stored["role"] == "not_stated"
    # and Amazon's block list no longer holds her address: only our keyed code of it stops our emails
    assert aws.ses_suppressed() == {}
    assert [i["reason"] for i in aws.items("members") if i["pk"].startswith("SUPPRESSION#")] == ["complaint"]


def test_a_sign_up_that_bounced_leaves_amazons_block_list_when_it_expires_unconfirmed(aws):
    # Given Bob's sign-up, whose confirmation email hard-bounced: SES listed his address, we
    # suppressed its keyed hash, and he never confirmed
    bob = "bob.typo@example.org"
    body = {
        "name": "Bob",
        "email": bob,
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": "2026-11",
    }
    assert aws.request("POST", "/members", json_body=body).status == 202
    aws.ses_suppresses(bob, "BOUNCE")
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", bob)[0])
    # and Ann, a member whose address bounced too; and an address another system in the same AWS
    # account had SES block, which we never emailed
    join(aws)
    aws.ses_suppresses(ANN, "BOUNCE")
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", ANN)[0])
    aws.ses_suppresses("someone@elsewhere.example", "COMPLAINT")
    run = {"kind": "member_retention"}
    # When the nightly run comes while Bob's sign-up is still pending, nothing leaves the list
    assert aws.invoke("member_retention", run) == {"profiles_removed": 0, "ses_addresses_released": 0}
    assert sorted(aws.ses_suppressed()) == sorted([ANN, bob, "someone@elsewhere.example"])
    # When it comes after his sign-up has expired (a week), unconfirmed
    aws.clock.advance(days=8)
    assert aws.invoke("member_retention", run) == {"profiles_removed": 0, "ses_addresses_released": 1}
    # Then Amazon no longer holds Bob's address, while Ann's block stays until it is lifted, and
    # the other system's block is not ours to touch
    assert aws.ses_suppressed() == {ANN: "BOUNCE", "someone@elsewhere.example": "COMPLAINT"}
    # and our keyed code of his address still stops every email to it: signing up again sends none
    assert len([i for i in aws.items("members") if i["pk"].startswith("SUPPRESSION#")]) == 2
    sent = len(aws.sent())
    assert aws.request("POST", "/members", json_body=body).status == 202
    assert len(aws.sent()) == sent
    # And a second run finds nothing more to do
    assert aws.invoke("member_retention", run) == {"profiles_removed": 0, "ses_addresses_released": 0}
    assert len(ses_calls("member_retention", "ListSuppressedDestinations")) == 3


def bounced_unconfirmed_sign_up(aws, address):
    body = {"name": "Bob Typo", "email": address, "role": "observer", "consent_contact": True}
    body["privacy_notice_version"] = "2026-11"
    assert aws.request("POST", "/members", json_body=body).status == 202
    aws.ses_suppresses(address, "BOUNCE")
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", address)[0])


def test_one_record_that_no_longer_validates_neither_stops_the_sweep_nor_reaches_the_logs(
    aws, capsys, caplog
):
    # Given Ann, a member whose address bounced, whose stored record no longer validates (a
    # text-direction mark in her name, as if written around the model), and Bob's sign-up, which
    # bounced and expired unconfirmed
    member_id = join(aws, name="Ann Member")
    aws.ses_suppresses(ANN, "BOUNCE")
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", ANN)[0])
    members = next(t for t in aws.ddb.list_tables()["TableNames"] if "members" in t)
    aws.ddb.update_item(
        TableName=members,
        Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": "Ann \u202eMember"}},
    )
    bounced_unconfirmed_sign_up(aws, "bob.typo@example.org")
    aws.clock.advance(days=8)
    # When the nightly run comes
    result = aws.invoke("member_retention", {"kind": "member_retention"})
    # Then Bob's address leaves Amazon's list, and Ann's, still held, stays
    assert result["ses_addresses_released"] == 1
    assert aws.ses_suppressed() == {ANN: "BOUNCE"}
    # and nothing of hers or his reached the logs
    from shared.observability import logger

    lines = [logger.registered_formatter.format(record) for record in caplog.records]
    printed = capsys.readouterr()
    everything = "\n".join([*lines, printed.out, printed.err]).lower()
    assert "suppression list" in everything
    # (whole values: a short name could turn up inside a random request id)
    for secret in ("ann member", "bob typo", "example.org", "observer"):
        assert secret not in everything, f"{secret!r} reached the logs"


def test_the_sweep_leaves_what_it_cannot_do_for_the_next_night(aws, monkeypatch):
    from shared.email.account_suppression import AccountSuppressionList
    from shared.members.unsubscribed import SWEEP_MARGIN_SECONDS, SweepIncomplete
    from tests.support.lambda_context import FakeContext

    # Given two sign-ups that bounced and expired unconfirmed
    for address in ("one@example.org", "two@example.org"):
        bounced_unconfirmed_sign_up(aws, address)
    aws.clock.advance(days=8)
    run = {"kind": "member_retention"}
    # When SES refuses to take the first off its list, the second still comes off, and the run
    # fails after it
    real_remove = AccountSuppressionList.remove
    from botocore.exceptions import ClientError

    def refuse_one(self, address):
        if address == "one@example.org":
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": address}}, "Delete")
        return real_remove(self, address)

    monkeypatch.setattr(AccountSuppressionList, "remove", refuse_one)
    with pytest.raises(SweepIncomplete) as incomplete:  # so Lambda retries, and alarms if it persists
        aws.invoke("member_retention", run)
    assert list(aws.ses_suppressed()) == ["one@example.org"]
    assert str(incomplete.value) == "1 of 2 addresses could not be checked or released"  # no address
    # And when the night's time is nearly up, the run stops before starting on it, and ends cleanly
    monkeypatch.setattr(AccountSuppressionList, "remove", real_remove)
    full_time = FakeContext.get_remaining_time_in_millis
    monkeypatch.setattr(FakeContext, "get_remaining_time_in_millis", lambda self: SWEEP_MARGIN_SECONDS * 500)
    assert aws.invoke("member_retention", run)["ses_addresses_released"] == 0
    assert list(aws.ses_suppressed()) == ["one@example.org"]
    # And the next night, it comes off
    monkeypatch.setattr(FakeContext, "get_remaining_time_in_millis", full_time)
    assert aws.invoke("member_retention", run)["ses_addresses_released"] == 1
    assert aws.ses_suppressed() == {}


def test_a_late_bounce_after_unsubscribing_does_not_stop_the_profiles_removal(aws):
    # Given Ann, who unsubscribed; an email sent before that then bounces for good
    member_id = join(aws)
    url = aws.sent()[-1].headers["List-Unsubscribe"].strip("<>")
    aws.request(
        "POST", "/members/unsubscribe", query={"token": token_of(url)}, form={"List-Unsubscribe": "One-Click"}
    )
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", ANN)[0])
    # Then she stays unsubscribed (the address is suppressed all the same), and her profile still goes
    # when the grace period ends, instead of being kept, suppressed, with no end
    assert aws.admin("GET", f"/admin/members/{member_id}").json()["status"] == "unsubscribed"
    aws.clock.advance(days=31)
    assert aws.invoke("member_retention", {"kind": "member_retention"}) == {
        "profiles_removed": 1,
        "ses_addresses_released": 0,
    }


def test_three_soft_bounces_in_thirty_days_suppress_and_redeliveries_count_once(aws):
    member_id = join(aws)
    for n in range(2):
        event, _ = ses_event("sqs_bounce_transient", ANN, message_id=f"soft-{n}")
        aws.invoke("member_bounces", event)
        aws.invoke("member_bounces", event)  # SQS delivers the same message again
        aws.clock.advance(days=10)
    assert aws.admin("GET", f"/admin/members/{member_id}").json()["status"] == "active"

    third, _ = ses_event("sqs_bounce_transient", ANN)
    aws.invoke("member_bounces", third)

    detail = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert detail["status"] == "suppressed" and detail["suppression"]["reason"] == "soft_bounces"


def test_soft_bounces_more_than_thirty_days_apart_do_not_add_up(aws):
    member_id = join(aws)
    for n in range(3):
        event, _ = ses_event("sqs_bounce_transient", ANN, message_id=f"soft-{n}")
        aws.invoke("member_bounces", event)
        aws.clock.advance(days=16)
    assert aws.admin("GET", f"/admin/members/{member_id}").json()["status"] == "active"


def test_a_malformed_ses_message_is_reported_as_failed_and_the_rest_succeed(aws):
    join(aws)
    good, _ = ses_event("sqs_complaint", ANN)
    bad = json.loads(json.dumps(good["Records"][0]))
    bad["messageId"] = "broken"
    bad["body"] = "not json"
    event = {"Records": [bad, good["Records"][0]]}
    assert aws.invoke("member_bounces", event) == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert aws.members()[0]["status"] == "unsubscribed"  # the complaint was applied


# --- members without email ------------------------------------------------------------------------


def test_an_admin_adds_a_member_who_takes_part_by_phone(aws):
    response = aws.admin(
        "POST",
        "/admin/members",
        json_body={
            "name": "Doris Phone",
            "phone": "01908 660044",
            "postal_address": "12 Example Road, MK9 1AA",
            "role": "patient",
            "consent_contact_in_person": True,
            "consent_health_data_in_person": True,
            "privacy_notice_version": "2026-11",
        },
    )
    assert response.status == 201, response
    member = response.json()
    assert member["status"] == "active" and member["email"] is None
    assert {c["channel"] for c in member["consents"]} == {"in_person"}
    offline = aws.admin("GET", "/admin/offline-members").json()["items"]
    assert [m["name"] for m in offline] == ["Doris Phone"]
    assert aws.admin("POST", f"/admin/members/{member['id']}/preferences-link").status == 409
    assert aws.sent() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "role": "observer", "consent_contact_in_person": True}, "postal_address"),
        (
            {"name": "X", "role": "carer", "phone": "01908 111111", "consent_contact_in_person": True},
            "consent_health_data_in_person",
        ),
        ({"name": "X", "role": "observer", "phone": "01908 111111"}, "consent_contact_in_person"),
        ({"name": "X", "role": "observer", "phone": "call me", "consent_contact_in_person": True}, "phone"),
        (
            {"name": "", "role": "observer", "phone": "01908 111111", "consent_contact_in_person": True},
            "name",
        ),
    ],
)
def test_adding_a_member_names_each_bad_field(aws, body, field):
    response = aws.admin("POST", "/admin/members", json_body={"privacy_notice_version": "2026-11", **body})
    assert response.status == 400
    assert field in [e["field"] for e in response.json()["errors"]]


def test_an_admin_added_email_still_needs_the_owner_to_confirm(aws):
    response = aws.admin(
        "POST",
        "/admin/members",
        json_body={
            "name": "Eve Added",
            "email": "eve@example.org",
            "role": "observer",
            "consent_contact_in_person": True,
            "privacy_notice_version": "2026-11",
        },
    )
    assert response.json()["status"] == "pending_confirmation"
    assert last_to(aws, "eve@example.org").subject.startswith("Confirm")
    again = aws.admin(
        "POST",
        "/admin/members",
        json_body={
            "name": "Eve Again",
            "email": "eve@example.org",
            "role": "observer",
            "consent_contact_in_person": True,
            "privacy_notice_version": "2026-11",
        },
    )
    assert again.status == 409


# --- admin member management ----------------------------------------------------------------------


def test_search_by_name_and_by_email(aws):
    join(aws, email="ann@example.org", name="Ann Smith")
    join(aws, email="bob@example.org", name="Bob Jones", role="observer")
    assert [m["name"] for m in aws.admin("GET", "/admin/members", query={"q": "smi"}).json()["items"]] == [
        "Ann Smith"
    ]
    assert [
        m["name"] for m in aws.admin("GET", "/admin/members", query={"q": "BOB@example.org"}).json()["items"]
    ] == ["Bob Jones"]
    assert aws.admin("GET", "/admin/members", query={"q": "nobody@example.org"}).json()["items"] == []


def test_changing_a_role_to_patient_needs_recorded_health_consent(aws):
    member_id = join(aws, role="observer")
    refused = aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"role": "patient"})
    assert refused.status == 400
    assert refused.json()["errors"][0]["field"] == "consent_health_data_in_person"
    changed = aws.admin(
        "PATCH",
        f"/admin/members/{member_id}",
        json_body={"role": "patient", "consent_health_data_in_person": True},
    ).json()
    assert changed["role"] == "patient"
    assert any(c["kind"] == "health_data" and c["channel"] == "in_person" for c in changed["consents"])


def test_resend_confirmation_for_a_pending_member(aws):
    aws.request(
        "POST",
        "/members",
        json_body={
            "name": "Pat",
            "email": "pat@example.org",
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": "2026-11",
        },
    )
    member_id = aws.members()[0]["id"]
    assert aws.admin("POST", f"/admin/members/{member_id}/resend-confirmation").json() == {"sent": False}
    aws.clock.advance(minutes=11)
    assert aws.admin("POST", f"/admin/members/{member_id}/resend-confirmation").json() == {"sent": True}
    assert [m.subject.split()[0] for m in aws.sent()] == ["Confirm", "Confirm"]
    active_id = join(aws)
    assert aws.admin("POST", f"/admin/members/{active_id}/resend-confirmation").status == 409


def test_the_membership_list_downloads_as_spreadsheet_safe_csv(aws):
    join(aws, name='=HYPERLINK("http://evil")', email="formula@example.org")
    join(aws, name="Ann Smith", email="ann@example.org")
    response = aws.admin("GET", "/admin/members.csv", accept="text/csv")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    # a UTF-8 byte-order mark first, so Excel shows "Zoë" as Zoë
    assert response.body.startswith("\ufeffid,name,")
    rows = list(csv.DictReader(io.StringIO(response.body.removeprefix("\ufeff"))))
    assert {r["name"] for r in rows} == {'\'=HYPERLINK("http://evil")', "Ann Smith"}
    assert {r["status"] for r in rows} == {"active"}


def test_every_admin_change_is_audited_without_personal_data(aws):
    group = make_group(aws)
    member_id = join(aws)
    aws.admin(
        "PATCH", f"/admin/members/{member_id}", json_body={"name": "Ann Renamed", "phone": "07700 900999"}
    )
    aws.admin("POST", f"/admin/groups/{group}/members", json_body={"member_id": member_id})
    aws.admin("GET", f"/admin/members/{member_id}/export")

    entries = aws.admin("GET", "/admin/audit").json()["items"]

    actions = [e["action"] for e in entries]
    assert {"group.create", "member.update", "group.add_member", "member.export"} <= set(actions)
    update = next(e for e in entries if e["action"] == "member.update")
    assert update["fields"] == ["name", "phone"] and update["actor"] == "5f1c2d3e-aaaa-bbbb-cccc-0123456789ab"
    text = json.dumps(aws.items("audit"))
    for personal in ("Ann", "Renamed", "07700", ANN):
        assert personal not in text


def test_working_groups_are_created_changed_closed_and_staffed(aws):
    group = make_group(aws, "Research Group", meeting_place="GP practice", lead_contact="Dr Example")
    member_id = join(aws)
    assert (
        aws.admin("PATCH", f"/admin/groups/{group}", json_body={"meeting_place": "Hospital"}).json()[
            "meeting_place"
        ]
        == "Hospital"
    )
    assert aws.admin("POST", f"/admin/groups/{group}/members", json_body={"member_id": member_id}).json()[
        "working_groups"
    ] == [group]
    assert aws.admin("DELETE", f"/admin/groups/{group}/members/{member_id}").json()["working_groups"] == []
    assert aws.admin("POST", f"/admin/groups/{group}/close").json()["status"] == "closed"
    assert (
        aws.admin("POST", f"/admin/groups/{group}/members", json_body={"member_id": member_id}).status == 400
    )
    # a closed group's name is free for a new group, which gets an id of its own
    reused = aws.admin("POST", "/admin/groups", json_body={"name": "Research Group", "purpose": "x"})
    assert reused.status == 201 and reused.json()["id"] == f"{group}-2"
    assert aws.admin("PATCH", "/admin/groups/nope", json_body={"name": "x"}).status == 404


# --- GDPR: export and erasure ---------------------------------------------------------------------


def test_an_export_holds_every_item_about_the_member(aws):
    group = make_group(aws)
    member_id = join(aws, groups=[group])
    aws.invoke("member_bounces", ses_event("sqs_bounce_transient", ANN)[0])

    export = aws.admin("GET", f"/admin/members/{member_id}/export").json()

    assert export["profile"]["email"] == ANN and export["profile"]["phone"] == "07700 900123"
    assert {c["kind"] for c in export["consents"]} == {"contact", "health_data"}
    assert all(c["notice_version"] == "2026-11" for c in export["consents"])
    assert export["preferences"] == {"meeting_reminders": True, "newsletters": False}
    assert export["working_groups"] == [{"id": group, "name": "Patient Journal"}]
    assert len(export["suppression"]["soft_bounces"]) == 1
    assert "notifications" in export and "audit" in export


def test_a_member_reads_their_data_then_downloads_it_once_from_a_link_sent_to_them(aws):
    member_id = join(aws, name="Ann Reader")
    preferences = aws.sent()[-1].token("/members/preferences")
    requested = aws.request(
        "POST",
        "/members/data-requests",
        query={"token": preferences},
        form={"kind": "export"},
        accept="text/html",
    )
    assert requested.status == 202
    token = token_of(last_to(aws, ANN).link("/members/export"))

    # When a link scanner (or she) opens the link, the page shows none of her data, downloads
    # nothing, and uses nothing up: however often it is opened
    for _ in range(2):
        ready = aws.request("GET", "/members/export", query={"token": token}, accept="text/html")
        assert ready.status == 200 and ready.headers["Content-Type"].startswith("text/html")
        assert "Content-Disposition" not in ready.headers
        assert "Show my data" in ready.body and "this link works once" in ready.body
        assert "Ann Reader" not in ready.body and "07700" not in ready.body
    assert not [e for e in export_audit(aws, member_id) if e["action"] == "member.export"]

    # When she presses "Show my data", she sees it in plain words, ready to print, and that is
    # recorded as her own look at it
    shown = aws.request(
        "POST", "/members/export", query={"token": token}, form={"action": "show"}, accept="text/html"
    )
    assert shown.status == 200 and shown.headers["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in shown.headers
    for words in (
        "Ann Reader",
        "Phone number",
        "07700 900123",
        "Carer (someone who looks after",
        "You agreed that we may keep a record that you are a patient or carer",
        "Asking you to confirm your email address",
        "Welcome",
        "@media print",
    ):
        assert words in shown.body
    for internal in ("lookup_id", "status_before_suppression", "confirm_nonce", "health_data", "web_form"):
        assert internal not in shown.body
    assert "An email from us" not in shown.body  # every email named
    assert '<form method="post"' in shown.body and "Download my data" in shown.body
    assert [e["actor"] for e in export_audit(aws, member_id) if e["action"] == "member.export"] == ["member"]

    # Then the link is used: a refresh, or anyone else with the link, is told so
    for method, form in (("POST", {"action": "show"}), ("GET", None)):
        again = aws.request(method, "/members/export", query={"token": token}, form=form, accept="text/html")
        assert again.status == 400 and "This link has already been used" in again.body
        # and told how to get a new one even without an email to hand: the sign-up form, linked
        assert "open your preferences page from one of our emails" in again.body
        assert "Fill in the sign-up form with your email address" in again.body
        assert 'href="http://testserver/members/signup"' in again.body or "/members/signup" in again.body

    # When she presses "Download my data" on the page she is shown, the machine-readable copy
    # downloads, under names a person can read, with no storage keys or administrators' identities
    aws.admin("GET", f"/admin/members/{member_id}")  # an administrator looked at her record
    download = aws.request("POST", "/members/export", query={"token": token}, form={"action": "download"})
    assert download.status == 200
    assert "attachment" in download.headers["Content-Disposition"]
    data = download.json()
    assert data["about_you"]["name"] == "Ann Reader" and data["about_you"]["phone_number"] == "07700 900123"
    assert data["about_you"]["how_you_describe_yourself"].startswith("Carer")
    assert [a["about"] for a in data["what_you_agreed_to"]] == ["being contacted", "being a patient or carer"]
    assert {e["email"] for e in data["emails_we_sent_you"]} >= {"Welcome", "A link to a copy of your data"}
    assert {c["by"] for c in data["changes_to_your_record"]} == {"you", "one of our administrators"}
    text = download.body
    for internal in (
        "MEMBER#",
        "SENT#",
        '"sk"',
        '"pk"',
        "lookup_id",
        "entity",
        "expires_at",
        "member.",
        ADMIN_SUB,
    ):
        assert internal not in text, internal

    # Then the download works once too
    twice = aws.request("POST", "/members/export", query={"token": token}, form={"action": "download"})
    assert twice.status == 400
    # the preferences token itself cannot show or download the data
    assert aws.request("GET", "/members/export", query={"token": preferences}).status == 400
    refused = aws.request(
        "POST", "/members/export", query={"token": preferences}, form={"action": "download"}
    )
    assert refused.status == 400


def test_a_script_that_downloads_without_showing_uses_the_link_up(aws):
    join(aws, name="Ann Scripted")
    preferences = aws.sent()[-1].token("/members/preferences")
    aws.request("POST", "/members/data-requests", query={"token": preferences}, form={"kind": "export"})
    token = token_of(last_to(aws, ANN).link("/members/export"))

    assert (
        aws.request("POST", "/members/export", query={"token": token}, form={"action": "download"}).status
        == 200
    )

    shown = aws.request(
        "POST", "/members/export", query={"token": token}, form={"action": "show"}, accept="text/html"
    )
    assert shown.status == 400 and "This link has already been used" in shown.body


def export_audit(aws, member_id: str) -> list[dict[str, Any]]:
    return [i for i in aws.items("audit") if i.get("target") == f"MEMBER#{member_id}"]


def assert_gone(aws, *personal):
    for spec in TABLES:
        text = json.dumps(aws.items(spec.key)).lower()
        for value in personal:
            assert value.lower() not in text, f"{value!r} is still in the {spec.key} table"


def test_erasure_removes_the_person_from_every_table(aws):
    # Given Ann, in a group, with a soft bounce, an idempotency record, and audit entries
    group = make_group(aws)
    member_id = join(aws, name="Ann Erasable", groups=[group])
    aws.invoke("member_bounces", ses_event("sqs_bounce_transient", ANN)[0])
    aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"organisation": "MK Hospice"})
    assert aws.items("idempotency")
    lookup_id = next(m["lookup_id"] for m in aws.members() if m["id"] == member_id)

    receipt = aws.admin("DELETE", f"/admin/members/{member_id}").json()

    assert receipt["member_id"] == member_id and receipt["items_deleted"] >= 3
    assert_gone(aws, ANN, "Ann Erasable", "07700 900123", "900123", "MK Hospice")
    # the sign-up's idempotency record is a hash of a keyed hash and a digest: it names no one, links
    # to nobody without the form's exact contents and the secret, and lapses 10 minutes after sign-up
    for record in aws.items("idempotency"):
        assert set(record) <= {"id", "expiration", "status", "in_progress_expiration", "data"}
        assert record["expiration"] <= time.time() + 600
        assert member_id not in json.dumps(record) and lookup_id not in json.dumps(record)
    assert not [i for i in aws.items("members") if i["pk"].startswith("SUPPRESSION#")]
    assert aws.admin("GET", f"/admin/members/{member_id}").status == 404
    assert aws.admin("GET", "/admin/members", query={"group": group}).json()["items"] == []
    stats = next(i for i in aws.items("members") if i["pk"] == "STATS")
    assert stats["erased_members"] == 1
    # the address can join again as a brand-new member
    aws.clock.advance(minutes=11)
    assert join(aws) != member_id


def test_erasure_keeps_a_suppression_so_a_complainer_is_never_emailed(aws):
    member_id = join(aws, name="Ann Complainer")
    aws.ses_suppresses(ANN, "COMPLAINT")  # as SES does, for our configuration set
    aws.invoke("member_bounces", ses_event("sqs_complaint", ANN)[0])
    aws.admin("DELETE", f"/admin/members/{member_id}")
    assert_gone(aws, ANN, "Ann Complainer", "900123")
    # Amazon's own block list no longer holds her address: only our keyed code of it stays
    assert aws.ses_suppressed() == {}
    assert [i["reason"] for i in aws.items("members") if i["pk"].startswith("SUPPRESSION#")] == ["complaint"]
    before = len(aws.sent())
    aws.clear_idempotency()
    aws.request(
        "POST",
        "/members",
        json_body={
            "name": "Someone",
            "email": ANN,
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": "2026-11",
        },
    )
    assert len(aws.sent()) == before


def test_a_member_erases_themselves_after_confirming_from_their_address(aws):
    member_id = join(aws, name="Ann Selferase")
    preferences = aws.sent()[-1].token("/members/preferences")
    aws.request("POST", "/members/data-requests", query={"token": preferences}, form={"kind": "erase"})
    link = last_to(aws, ANN).link("/members/erase")

    confirm_page = aws.request("GET", "/members/erase", query={"token": token_of(link)}, accept="text/html")
    assert confirm_page.status == 200 and "Yes, delete my details" in confirm_page.body
    assert aws.admin("GET", f"/admin/members/{member_id}").status == 200  # the GET erased nothing

    done = aws.request("POST", "/members/erase", query={"token": token_of(link)}, accept="text/html")
    again = aws.request("POST", "/members/erase", query={"token": token_of(link)}, accept="text/html")

    assert done.status == again.status == 200
    assert "Your details have been deleted" in done.body
    # and it does not claim that everything is gone: the audit entry, logs, traces and backups stay a while
    assert "deleted everything" not in done.body and "What stays for a while" in done.body
    assert (
        "We keep it for 2 years." in done.body and "for 90 days" in done.body and "for 35 days" in done.body
    )
    assert_gone(aws, ANN, "Ann Selferase", "900123")
    # her address was looked for on Amazon's block list too (it was not there: no error)
    assert len(ses_calls("members_public")) == 1
    assert {e["actor"] for e in aws.items("audit") if e["action"] == "member.erase"} == {"member"}


def test_data_request_links_are_sent_at_most_every_ten_minutes(aws):
    join(aws)
    preferences = aws.sent()[-1].token("/members/preferences")
    for _ in range(3):
        aws.request("POST", "/members/data-requests", query={"token": preferences}, form={"kind": "export"})
    assert len([m for m in aws.sent() if "Your copy of what" in m.subject]) == 1


# --- admin routes are admin-only ------------------------------------------------------------------

ADMIN_ROUTES = [(r.method, r.path) for r, _ in all_routes() if r.auth == "admin"]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES])
def test_admin_routes_reject_a_missing_or_non_admin_token(aws, method, path):
    concrete = path.replace("{id}", "3f8e2a6c-1b4d-4c2e-9a7f-5d6e7f8a9b0c").replace(
        "{member_id}", "3f8e2a6c-1b4d-4c2e-9a7f-5d6e7f8a9b0c"
    )
    if "/groups/" in path:
        concrete = concrete.replace("/groups/3f8e2a6c-1b4d-4c2e-9a7f-5d6e7f8a9b0c", "/groups/patient-journal")
    assert aws.request(method, concrete, json_body={}).status == 401
    assert aws.request(method, concrete, json_body={}, claims=NOT_ADMIN).status == 403


# --- bad input on every new route -----------------------------------------------------------------

MID = "3f8e2a6c-1b4d-4c2e-9a7f-5d6e7f8a9b0c"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/members/preferences", {}, 400),
        ("POST", "/members/preferences", {"json_body": {"working_groups": "Not A Slug!"}}, 400),
        ("POST", "/members/preferences", {"query": {"token": "forged.token"}, "json_body": {}}, 400),
        ("GET", "/members/unsubscribe", {"query": {"token": "x" * 600}}, 400),
        ("POST", "/members/unsubscribe", {"query": {"token": "forged.token"}}, 400),
        ("POST", "/members/data-requests", {"query": {"token": "a.b"}, "form": {"kind": "everything"}}, 400),
        ("GET", "/members/export", {}, 400),
        ("GET", "/members/erase", {"query": {"token": "a.b"}}, 400),
        ("POST", "/members/erase", {"query": {"token": "a.b"}}, 400),
    ],
)
def test_public_lifecycle_routes_answer_bad_input_with_a_4xx(aws, method, path, kwargs, status):
    assert aws.request(method, path, **kwargs).status == status


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "field"),
    [
        ("GET", "/admin/members/not-a-uuid", {}, 400, "id"),
        ("GET", f"/admin/members/{MID}", {}, 404, None),
        ("PATCH", f"/admin/members/{MID}", {"json_body": {"phone": "ring me"}}, 400, "phone"),
        ("PATCH", f"/admin/members/{MID}", {"json_body": {"role": "king"}}, 400, "role"),
        ("DELETE", f"/admin/members/{MID}", {}, 404, None),
        ("GET", f"/admin/members/{MID}/export", {}, 404, None),
        ("POST", f"/admin/members/{MID}/resend-confirmation", {}, 404, None),
        ("POST", f"/admin/members/{MID}/preferences-link", {}, 404, None),
        ("DELETE", f"/admin/members/{MID}/suppression", {}, 404, None),
        ("GET", "/admin/members.csv", {"query": {"status": "gone"}}, 400, "status"),
        ("GET", "/admin/members", {"query": {"group": "Bad Group"}}, 400, "group"),
        ("POST", "/admin/groups", {"json_body": {"name": "", "purpose": "x"}}, 400, "name"),
        ("POST", "/admin/groups", {"json_body": {"name": "x", "purpose": "y", "id": "Bad Id"}}, 400, "id"),
        ("PATCH", "/admin/groups/research", {"json_body": {"name": "x" * 81}}, 400, "name"),
        ("POST", "/admin/groups/research/close", {}, 404, None),
        ("POST", "/admin/groups/research/members", {"json_body": {"member_id": "x"}}, 400, "member_id"),
        ("DELETE", f"/admin/groups/research/members/{MID}", {}, 404, None),
        ("GET", "/admin/audit", {"query": {"month": "November"}}, 400, "month"),
        ("GET", "/admin/audit", {"query": {"cursor": "%%%"}}, 400, "cursor"),
    ],
)
def test_admin_routes_answer_bad_input_with_a_4xx_naming_the_field(aws, method, path, kwargs, status, field):
    response = aws.admin(method, path, **kwargs)
    assert response.status == status, response
    if field:
        assert field in [e["field"] for e in response.json()["errors"]]
