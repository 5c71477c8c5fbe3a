"""Only addresses SES can deliver to are accepted, wherever an address is typed: the part before the @
in plain ASCII (SES does not take SMTPUTF8), the domain in its ASCII form (punycode). An
internationalised domain is accepted and kept in that form, so its one mailbox has one record."""

from __future__ import annotations

import json

import pytest

from shared.email.address import EMAIL_NOT_ASCII
from tests.handler.test_console import browser, site  # noqa: F401 (fixtures)
from tests.handler.test_signup import form_event, json_event, sign_up
from tests.support.console import text

FULL_WIDTH = "ａｎｎ@example.org"  # full-width letters, as a phone keyboard in CJK mode types them
ACCENTED = "zoë@example.org"
IDN = "ann@exämple.org"
PUNYCODE = "ann@xn--exmple-cua.org"
IN_PERSON = {"name": "Ann", "role": "observer", "consent_contact_in_person": True}


def refusal_of(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in json.loads(response["body"])["errors"]}


# --- sign-up --------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", [FULL_WIDTH, ACCENTED])
def test_a_sign_up_with_letters_ses_cannot_send_to_before_the_at_is_refused_saying_so(aws, address):
    # As JSON: a 400 naming `email`, in plain words
    response = sign_up(aws, json_event(email=address))
    assert response["statusCode"] == 400
    assert refusal_of(response) == {"email": EMAIL_NOT_ASCII}
    # As a form from a browser: the form again, with the message beside the field
    page = sign_up(aws, form_event(email=address))
    assert page["statusCode"] == 400
    assert "We can only send email to an address with plain letters (a to z)" in page["body"]
    assert 'id="email-error"' in page["body"] and 'aria-describedby="email-hint email-error"' in page["body"]
    # And nothing is stored or sent
    assert aws.members() == [] and aws.sent() == []


def test_an_address_in_the_wrong_format_is_refused_with_an_example(aws):
    response = sign_up(aws, json_event(email="ann-at-example.org"))
    assert refusal_of(response) == {
        "email": "Enter an email address in the correct format, like name@example.org"
    }


@pytest.mark.parametrize("make", [json_event, form_event])
def test_an_internationalised_domain_is_kept_in_the_ascii_form_ses_sends_to(aws, make):
    # When Ann signs up with a domain in other letters
    assert sign_up(aws, make(email=IDN))["statusCode"] == 202
    # Then her address is stored, and her confirmation sent, in the domain's ASCII (punycode) form
    (member,) = aws.members()
    assert member["email"] == PUNYCODE
    (mail,) = aws.sent()
    assert mail.to == PUNYCODE
    # And the same mailbox typed either way is one sign-up, not two
    aws.clear_idempotency()
    assert sign_up(aws, make(email=PUNYCODE.upper()))["statusCode"] == 202
    assert [m["id"] for m in aws.members()] == [member["id"]]


# --- the admin API --------------------------------------------------------------------------------


def test_the_admin_api_refuses_an_address_ses_cannot_send_to(aws):
    response = aws.admin(
        "POST",
        "/admin/members",
        json_body={**IN_PERSON, "email": FULL_WIDTH, "privacy_notice_version": "2026-11"},
    )
    assert response.status == 400
    assert {e["field"]: e["message"] for e in response.json()["errors"]}["email"] == EMAIL_NOT_ASCII
    assert aws.members() == [] and aws.sent() == []


def test_the_admin_api_keeps_an_internationalised_domain_in_ascii_and_finds_it_typed_either_way(aws):
    added = aws.admin(
        "POST", "/admin/members", json_body={**IN_PERSON, "email": IDN, "privacy_notice_version": "2026-11"}
    )
    assert added.status in (200, 201), added
    assert added.json()["email"] == PUNYCODE
    assert aws.sent()[-1].to == PUNYCODE
    for typed in (IDN, PUNYCODE):
        found = aws.admin("GET", "/admin/members", query={"q": typed}).json()["items"]
        assert [m["email"] for m in found] == [PUNYCODE], typed


# --- the console ----------------------------------------------------------------------------------


def test_the_console_refuses_an_address_ses_cannot_send_to_when_adding_a_member(browser, site):  # noqa: F811
    refused = browser.post(
        "/console/members/new", {**IN_PERSON, "email": FULL_WIDTH, "consent_contact_in_person": "yes"}
    )
    assert refused.status == 400
    page = text(refused.body)
    assert "There is a problem" in page and "We can only send email to an address with plain letters" in page
    assert site.members() == [] and site.sent() == []
    # an internationalised domain is added in its ASCII form
    added = browser.post(
        "/console/members/new", {**IN_PERSON, "email": IDN, "consent_contact_in_person": "yes"}
    )
    assert added.status == 303
    assert [m["email"] for m in site.members()] == [PUNYCODE]


def test_the_console_refuses_such_an_address_when_adding_to_a_group(browser, site):  # noqa: F811
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    refused = browser.post("/console/groups/patient-voice/members", {"email": FULL_WIDTH})
    assert refused.status == 400
    assert "We can only send email to an address with plain letters" in text(refused.body)
    wrong = browser.post("/console/groups/patient-voice/members", {"email": "ann-at-example.org"})
    assert wrong.status == 400 and "like name@example.org" in text(wrong.body)
