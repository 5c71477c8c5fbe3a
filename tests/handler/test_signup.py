"""Member sign-up and confirmation, through the real handler, against moto."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from infra.declaration import TABLES
from shared.members.service import SIGNUP_IDEMPOTENCY_PREFIX
from tests.handler.conftest import BASE_URL, load_event

FORM_EVENT = "members/post_signup_form.json"
JSON_EVENT = "members/post_signup_json.json"
ANN = "ann.example@example.org"


def form_event(**fields):
    """The sample browser form post, with some fields changed."""
    event = load_event(FORM_EVENT)
    data = {
        "name": "Ann Example",
        "email": ANN,
        "phone": "01908 660033",
        "role": "patient",
        "consent_contact": "true",
        "consent_health_data": "true",
        "privacy_notice_version": "2026-11",
        "website": "",
    }
    data.update(fields)
    event["body"] = base64.b64encode(
        urlencode({k: v for k, v in data.items() if v is not None}, doseq=True).encode()
    ).decode()
    return event


def json_event(**fields):
    event = load_event(JSON_EVENT)
    event["body"] = json.dumps({**json.loads(event["body"]), **fields})
    return event


def confirm_page_event(token):
    """What the confirmation email's link opens: a page with one button (a GET changes nothing)."""
    event = load_event("members/get_confirm.json")
    event["queryStringParameters"] = {"token": token}
    event["rawQueryString"] = urlencode({"token": token})
    return event


def confirm_event(token):
    """The button on that page: the token posted back as a form, which confirms."""
    event = load_event("members/post_confirm.json")
    event["body"] = base64.b64encode(urlencode({"token": token}).encode()).decode()
    return event


def sign_up(aws, event=None):
    return aws.invoke("members_public", event or form_event())


def confirm(aws, token):
    """Press the confirmation page's button."""
    return aws.invoke("members_public", confirm_event(token))


# --- sign-up --------------------------------------------------------------------------------------


def test_a_browser_sign_up_stores_a_pending_member_and_sends_one_confirmation(aws):
    # When Ann posts the form from her phone
    response = sign_up(aws)

    # Then she sees a page telling her to check her email
    assert response["statusCode"] == 202
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "Check your email" in response["body"]
    # And exactly one confirmation email went to her, with a text and an HTML part
    (mail,) = aws.sent()
    assert mail.to == ANN
    assert mail.subject.startswith("Confirm your email address")
    assert mail.link("/members/confirm").startswith(f"{BASE_URL}/members/confirm?token=")
    assert "Confirm and join" in mail.html
    assert mail.headers["List-Unsubscribe"].startswith(f"<{BASE_URL}/members/unsubscribe?token=")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # And no personal data is in the links
    assert "ann" not in mail.link("/members/confirm").lower()
    # And she is stored as pending, expiring in 7 days, with what she agreed to
    (member,) = aws.members()
    # (her role kept aside, unindexed, until she confirms the address is hers)
    assert (member["name"], member["email"], member["status"], member["pending_role"]) == (
        "Ann Example",
        ANN,
        "pending_confirmation",
        "patient",
    )
    assert member["expires_at"] - int(aws.clock.now.timestamp()) == 7 * 24 * 3600
    consents = {c["kind"]: c for c in member["consents"]}
    assert set(consents) == {"contact", "health_data"}
    assert all(
        c["given"] and c["notice_version"] == "2026-11" and c["channel"] == "web_form"
        for c in consents.values()
    )
    # And no IP address was stored anywhere
    assert "203.0.113.24" not in json.dumps(aws.items("members"))


def test_a_json_client_gets_json(aws):
    response = sign_up(aws, json_event())
    assert response["statusCode"] == 202
    assert json.loads(response["body"]) == {"status": "pending_confirmation"}
    (member,) = aws.members()
    assert member["consents"][0]["channel"] == "api"
    assert len(aws.sent()) == 1


def test_a_non_health_role_records_no_health_consent(aws):
    sign_up(aws, form_event(role="hospital_staff", consent_health_data="true"))
    (member,) = aws.members()
    assert [c["kind"] for c in member["consents"]] == ["contact"]


def test_the_honeypot_stores_and_sends_nothing_but_answers_the_same(aws):
    # Given a bot that fills in every field, including the hidden one
    response = aws.invoke("members_public", load_event("members/post_signup_honeypot.json"))

    assert response["statusCode"] == 202
    assert aws.items("members") == []
    assert aws.items("idempotency") == []
    assert aws.sent() == []


def test_a_double_click_stores_one_member_and_sends_one_email(aws):
    first = sign_up(aws)
    second = sign_up(aws)

    assert first["statusCode"] == second["statusCode"] == 202
    assert len(aws.members()) == 1
    assert len(aws.sent()) == 1
    # the idempotency record is keyed on a hash of the validated input, and holds no personal data
    (record,) = aws.items("idempotency")
    assert record["id"].startswith(f"{SIGNUP_IDEMPOTENCY_PREFIX}#")
    assert ANN not in json.dumps(record) and "Ann" not in json.dumps(record)
    assert aws.members()[0]["lookup_id"] not in json.dumps(record)


def test_signing_up_again_while_pending_resends_at_most_every_ten_minutes(aws):
    sign_up(aws)
    member_id = aws.members()[0]["id"]

    # Within ten minutes, with a corrected name: no second email, but the newest details are kept
    aws.clear_idempotency()
    aws.clock.advance(minutes=5)
    assert sign_up(aws, form_event(name="Ann B Example"))["statusCode"] == 202
    assert len(aws.sent()) == 1
    assert aws.members()[0]["name"] == "Ann B Example"

    # After ten minutes: the confirmation is sent again, for the same member
    aws.clear_idempotency()
    aws.clock.advance(minutes=6)
    sign_up(aws)
    assert len(aws.sent()) == 2
    assert [m["id"] for m in aws.members()] == [member_id]
    # and both links confirm the same sign-up
    first, second = aws.sent()
    assert first.token("/members/confirm") != second.token("/members/confirm")
    assert confirm(aws, first.token("/members/confirm"))["statusCode"] == 200


def test_an_unconfirmed_sign_up_past_seven_days_is_treated_as_gone(aws):
    # Given a sign-up that was never confirmed, and that TTL has not purged yet
    sign_up(aws)
    old_id = aws.members()[0]["id"]
    aws.clear_idempotency()
    aws.clock.advance(days=7, minutes=1)

    # When the address signs up again
    sign_up(aws)

    # Then a fresh pending sign-up is made and confirmed independently
    assert {m["id"] for m in aws.members()} - {old_id}
    assert len(aws.sent()) == 2
    assert confirm(aws, aws.sent()[-1].token("/members/confirm"))["statusCode"] == 200


# --- no enumeration -------------------------------------------------------------------------------


def test_a_known_address_gets_the_same_answer_and_an_already_a_member_email(aws):
    # Given Ann is a confirmed member
    sign_up(aws)
    confirm(aws, aws.sent()[0].token("/members/confirm"))
    before = aws.members()[0]
    aws.clear_idempotency()

    # When someone enters her address again, as JSON and as a form
    known_json = sign_up(aws, json_event(email=ANN, name="Someone Else"))
    new_json = sign_up(aws, json_event(email="new.person@example.org"))

    # Then the answers are indistinguishable
    assert (known_json["statusCode"], known_json["body"]) == (new_json["statusCode"], new_json["body"])
    # And Ann is told by email, with a link to her preferences, and nothing about her changed
    notice = [m for m in aws.sent() if m.to == ANN][-1]
    assert notice.subject.startswith("You are already a member")
    assert notice.link("/members/preferences")
    after = next(m for m in aws.members() if m["id"] == before["id"])
    assert (after["status"], after["name"], after["confirmed_at"]) == (
        "active",
        "Ann Example",
        before["confirmed_at"],
    )


def test_the_already_a_member_email_is_not_repeated_within_ten_minutes(aws):
    sign_up(aws)
    confirm(aws, aws.sent()[0].token("/members/confirm"))
    for _ in range(3):
        aws.clear_idempotency()
        aws.clock.advance(minutes=2)
        sign_up(aws)
    assert [m.subject.split()[0] for m in aws.sent()] == ["Confirm", "Welcome", "You"]


# --- confirmation ---------------------------------------------------------------------------------


SCANNER = "*/*"  # what a mail scanner such as Safe Links sends when it opens every link in a message


def test_opening_the_link_only_shows_a_button_and_pressing_it_confirms(aws):
    # Given Ann signed up
    sign_up(aws)
    token = aws.sent()[0].token("/members/confirm")

    # When a mail scanner opens the link in her email, twice, and so does she
    for accept in (SCANNER, SCANNER, "text/html"):
        page = aws.invoke("members_public", {**confirm_page_event(token), "headers": {"accept": accept}})
        # Then each gets a page with one button, which posts the link's token back
        assert page["statusCode"] == 200
        assert "<h1>Confirm that you want to join</h1>" in page["body"]
        assert f'<form method="post" action="{BASE_URL}/members/confirm">' in page["body"]
        assert f'<input type="hidden" name="token" value="{token}">' in page["body"]
        assert '<button type="submit">Yes, confirm</button>' in page["body"]
    # And she is still not a member: nothing changed and nothing more was sent
    assert aws.members()[0]["status"] == "pending_confirmation"
    assert len(aws.sent()) == 1

    # When she presses the button
    pressed = confirm(aws, token)

    # Then she is a member, and welcomed once
    assert pressed["statusCode"] == 200 and "You are now a member" in pressed["body"]
    assert aws.members()[0]["status"] == "active"
    assert [m.subject.split()[0] for m in aws.sent()] == ["Confirm", "Welcome"]
    # And the link opened again says so, with nothing to press
    again = aws.invoke("members_public", confirm_page_event(token))
    assert again["statusCode"] == 200 and "You are already a member" in again["body"]
    assert "<form" not in again["body"]


def test_the_button_works_as_json_too(aws):
    sign_up(aws)
    token = aws.sent()[0].token("/members/confirm")
    response = aws.request("POST", "/members/confirm", json_body={"token": token}, accept="text/html")
    assert response.status == 200 and "You are now a member" in response.body
    assert aws.members()[0]["status"] == "active"


def test_an_expired_link_opened_shows_how_to_get_a_new_one(aws):
    sign_up(aws)
    token = aws.sent()[0].token("/members/confirm")
    aws.clock.advance(hours=72, seconds=1)

    page = aws.invoke("members_public", confirm_page_event(token))

    assert page["statusCode"] == 400
    assert "This link has expired" in page["body"]
    assert f'href="{BASE_URL}/members/signup"' in page["body"]
    assert "<button" not in page["body"]


def test_a_sign_up_whose_record_cannot_be_read_gets_a_page_not_a_fault(aws):
    # Given a pending sign-up whose stored record no longer validates (its name gone, its role unknown)
    sign_up(aws)
    token = aws.sent()[0].token("/members/confirm")
    member = aws.members()[0]
    aws.ddb.update_item(
        TableName=next(t.local_name for t in TABLES if t.key == "members"),
        Key={"pk": {"S": member["pk"]}, "sk": {"S": "PROFILE"}},
        UpdateExpression="REMOVE #n SET pending_role = :r",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":r": {"S": "astronaut"}},
    )

    # When the link is opened, and the button pressed
    for response in (aws.invoke("members_public", confirm_page_event(token)), confirm(aws, token)):
        # Then the person gets a page saying nothing changed and to contact us: never a fault
        assert response["statusCode"] == 409, response
        assert "We could not confirm your sign-up" in response["body"]
        assert "nothing was changed" in response["body"]
    # And nothing changed, and nothing was sent
    assert aws.members()[0]["status"] == "pending_confirmation"
    assert len(aws.sent()) == 1


def test_confirming_makes_an_active_member_and_sends_a_welcome_with_the_next_meeting(aws):
    aws.put_meeting(
        "Plenary meeting",
        "2027-01-12T12:30:00Z",
        "2027-01-12T14:00:00Z",
        "Seminar room 2, Milton Keynes University Hospital",
    )
    aws.clock.now = aws.clock.now.replace(year=2026, month=11, day=28)
    sign_up(aws)

    response = confirm(aws, aws.sent()[0].token("/members/confirm"))

    assert response["statusCode"] == 200
    assert "You are now a member" in response["body"]
    assert response["headers"]["Referrer-Policy"] == "no-referrer"
    profile = aws.members()[0]
    assert profile["status"] == "active" and "expires_at" not in profile and "confirm_nonce" not in profile
    pointer = next(i for i in aws.items("members") if i["sk"] == "EMAIL")
    assert "expires_at" not in pointer
    welcome = aws.sent()[1]
    assert welcome.subject == "Welcome to Milton Keynes Cancer Patient Partnership"
    assert "Tuesday 12 January 2027, 12:30pm to 2pm" in welcome.text
    assert "Seminar room 2" in welcome.html
    assert welcome.link("/members/preferences") and welcome.link("/members/unsubscribe")
    assert welcome.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_welcome_says_so_when_no_meeting_is_arranged(aws):
    sign_up(aws)
    confirm(aws, aws.sent()[0].token("/members/confirm"))
    assert "We will email you when the next meeting is arranged" in aws.sent()[1].text


def test_replaying_a_confirmation_link_is_harmless(aws):
    sign_up(aws)
    token = aws.sent()[0].token("/members/confirm")
    confirm(aws, token)

    replay = confirm(aws, token)

    assert replay["statusCode"] == 200
    assert "already" in replay["body"]
    assert len(aws.sent()) == 2  # confirmation + one welcome, no second welcome
    assert aws.members()[0]["status"] == "active"


def test_an_expired_link_explains_how_to_get_a_new_one(aws):
    sign_up(aws)
    token = aws.sent()[0].token("/members/confirm")
    aws.clock.advance(hours=72, seconds=1)

    response = confirm(aws, token)

    assert response["statusCode"] == 400
    assert "This link has expired" in response["body"]
    assert f'href="{BASE_URL}/members/signup"' in response["body"]
    assert aws.members()[0]["status"] == "pending_confirmation"


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "x" * 600])
def test_a_forged_or_malformed_link_is_refused(aws, token):
    response = confirm(aws, token)
    assert response["statusCode"] == 400
    assert "sign-up form" in response["body"]


def test_a_token_signed_with_another_key_or_for_another_purpose_is_refused(aws):
    sign_up(aws)
    mail = aws.sent()[0]
    unsubscribe_token = mail.headers["List-Unsubscribe"].split("token=")[1].rstrip(">")
    assert confirm(aws, unsubscribe_token)["statusCode"] == 400
    assert (
        confirm(aws, load_event("members/get_confirm.json")["queryStringParameters"]["token"])["statusCode"]
        == 400
    )
    assert aws.members()[0]["status"] == "pending_confirmation"


def test_a_failed_welcome_email_is_sent_when_the_link_is_used_again(aws, monkeypatch):
    sign_up(aws)
    token = aws.sent()[0].token("/members/confirm")
    from shared.email.mailer import EmailNotSent, Mailer

    real_send = Mailer.send

    def failing(self, email, **options):
        raise EmailNotSent("Throttling")

    monkeypatch.setattr(Mailer, "send", failing)
    assert confirm(aws, token)["statusCode"] == 503
    assert aws.members()[0]["status"] == "active"

    monkeypatch.setattr(Mailer, "send", real_send)
    assert confirm(aws, token)["statusCode"] == 200
    assert [m.subject.split()[0] for m in aws.sent()] == ["Confirm", "Welcome"]


def test_when_ses_fails_the_sign_up_can_simply_be_retried(aws, monkeypatch):
    from shared.email.mailer import EmailNotSent, Mailer

    real_send = Mailer.send
    monkeypatch.setattr(
        Mailer, "send", lambda self, email, **options: (_ for _ in ()).throw(EmailNotSent("Throttling"))
    )
    failed = sign_up(aws)
    assert failed["statusCode"] == 503
    assert "try again" in failed["body"]

    monkeypatch.setattr(Mailer, "send", real_send)
    assert sign_up(aws)["statusCode"] == 202
    assert len(aws.sent()) == 1
    assert len(aws.members()) == 1


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "ann-at-example.org"}, "email"),
        ({"phone": "ring me"}, "phone"),
        ({"role": "surgeon"}, "role"),
        ({"organisation": "x" * 200}, "organisation"),
        ({"working_groups": ["Bad Group!"]}, "working_groups"),
        ({"consent_contact": False}, "consent_contact"),
        ({"role": "carer", "consent_health_data": False}, "consent_health_data"),
        ({"privacy_notice_version": ""}, "privacy_notice_version"),
    ],
)
def test_each_bad_json_field_gets_a_400_naming_it(aws, change, field):
    response = sign_up(aws, json_event(**change))
    assert response["statusCode"] == 400
    body = json.loads(response["body"])
    assert [e["field"] for e in body["errors"]] == [field]
    assert aws.members() == [] and aws.sent() == []


def test_a_bad_browser_form_comes_back_with_the_errors_and_what_was_typed(aws):
    response = sign_up(
        aws, form_event(email="ann@", consent_contact=None, role="carer", consent_health_data=None)
    )

    assert response["statusCode"] == 400
    page = response["body"]
    assert "There is a problem" in page
    assert '<a href="#email">' in page and '<a href="#consent_contact">' in page
    assert '<a href="#consent_health_data">' in page
    assert 'value="Ann Example"' in page
    assert aws.members() == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", "{not json"),
        ("application/json", "[]"),
        ("text/csv", "a,b"),
        ("application/json", ""),
    ],
)
def test_unreadable_bodies_are_4xx_not_5xx(aws, content_type, body):
    event = load_event(JSON_EVENT)
    event["headers"]["content-type"] = content_type
    event["body"] = body
    response = sign_up(aws, event)
    assert 400 <= response["statusCode"] < 500


def test_no_name_email_or_phone_reaches_the_logs(aws, capsys, caplog):
    # The whole journey: sign up, double submit, bad input, confirm, replay, already-a-member
    sign_up(aws)
    sign_up(aws)
    sign_up(aws, form_event(phone="not a phone"))
    token = aws.sent()[0].token("/members/confirm")
    confirm(aws, token)
    confirm(aws, token)
    aws.clear_idempotency()
    sign_up(aws, json_event(email=ANN))

    from shared.observability import logger

    # Every record as the Lambda log line Powertools writes: message plus all keyword context
    lines = [logger.registered_formatter.format(record) for record in caplog.records]
    printed = capsys.readouterr()
    everything = "\n".join([*lines, printed.out, printed.err]).lower()
    assert len(lines) >= 6 and '"member_id"' in everything  # the handlers did log, with context
    for secret in ("ann.example", "example.org", "ann example", "01908", "660033", token.lower()[:20]):
        assert secret not in everything, f"{secret!r} leaked into the logs"
    # nor anything that says she is a patient (health data: logs outlive erasure by 90 days)
    assert "patient" not in everything and '"role"' not in everything


# --- send once (shared.send_once): one ledger claim per email, released when SES fails -----------


def sent_claims(aws, kind):
    return [i for i in aws.items("members") if i["sk"].startswith(f"SENT#{kind}#")]


def test_a_retried_or_duplicated_confirmation_sends_one_welcome(aws):
    # Given Ann signed up
    sign_up(aws)
    event = confirm_event(aws.sent()[0].token("/members/confirm"))

    # When the same confirmation event arrives three times (a retry, a duplicate, a later click)
    responses = [aws.invoke("members_public", event) for _ in range(3)]
    aws.clock.advance(minutes=30)
    responses.append(aws.invoke("members_public", event))

    # Then she is confirmed and has exactly one welcome, claimed once in the ledger
    assert [r["statusCode"] for r in responses] == [200, 200, 200, 200]
    assert [m.subject.split()[0] for m in aws.sent()] == ["Confirm", "Welcome"]
    assert len(sent_claims(aws, "welcome")) == 1


def test_a_sign_up_event_delivered_again_after_the_idempotency_window_sends_one_confirmation(aws):
    # Given Ann's sign-up was handled and its idempotency record is gone
    sign_up(aws)
    aws.clear_idempotency()

    # When the very same event is handled again a minute later
    aws.clock.advance(minutes=1)
    assert sign_up(aws)["statusCode"] == 202

    # Then the ledger's claim (at most one confirmation every 10 minutes) keeps it to one email
    assert len(aws.sent()) == 1
    assert len(sent_claims(aws, "confirm")) == 1


def test_a_failed_resend_of_the_confirmation_can_be_retried_at_once(aws, monkeypatch):
    from shared.email.mailer import EmailNotSent, Mailer

    # Given a pending sign-up whose confirmation went out 11 minutes ago
    sign_up(aws, json_event())
    member_id = aws.members()[0]["id"]
    aws.clock.advance(minutes=11)

    # When an administrator resends it and SES fails
    real_send = Mailer.send
    monkeypatch.setattr(
        Mailer, "send", lambda self, email, **options: (_ for _ in ()).throw(EmailNotSent("Throttling"))
    )
    assert aws.admin("POST", f"/admin/members/{member_id}/resend-confirmation").status == 503

    # Then the claim was released: trying again straight away sends it, and only once
    monkeypatch.setattr(Mailer, "send", real_send)
    assert aws.admin("POST", f"/admin/members/{member_id}/resend-confirmation").json() == {"sent": True}
    assert aws.admin("POST", f"/admin/members/{member_id}/resend-confirmation").json() == {"sent": False}
    assert [m.subject.split()[0] for m in aws.sent()] == ["Confirm", "Confirm"]


def test_a_failed_already_a_member_notice_can_be_retried_and_is_then_sent_once(aws, monkeypatch):
    from shared.email.mailer import EmailNotSent, Mailer

    # Given Ann is a member
    sign_up(aws)
    confirm(aws, aws.sent()[0].token("/members/confirm"))
    aws.clear_idempotency()

    # When she signs up again and SES fails
    real_send = Mailer.send
    monkeypatch.setattr(
        Mailer, "send", lambda self, email, **options: (_ for _ in ()).throw(EmailNotSent("Throttling"))
    )
    assert sign_up(aws)["statusCode"] == 503

    # Then a retry sends the notice, and a duplicate of that retry sends nothing more
    monkeypatch.setattr(Mailer, "send", real_send)
    aws.clear_idempotency()
    assert sign_up(aws)["statusCode"] == 202
    aws.clear_idempotency()
    assert sign_up(aws)["statusCode"] == 202
    assert len(aws.sent()) == 3  # confirmation, welcome, and one notice
    assert aws.sent()[2].link("/members/preferences")  # the notice offers her preferences
    assert len(sent_claims(aws, "already_member")) == 1
