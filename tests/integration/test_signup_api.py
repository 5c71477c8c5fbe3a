"""Sign-up as a JSON client: the contract's answers, bad fields named, the honeypot."""

from __future__ import annotations

import pytest

from tests.support.local import LocalMode

pytestmark = pytest.mark.integration

NOTICE_VERSION = "2026-11"


def signup(address: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Bo Example",
        "email": address,
        "role": "carer",
        "consent_contact": True,
        "consent_health_data": True,
        "privacy_notice_version": NOTICE_VERSION,
    }
    body.update(changes)
    return body


def test_a_json_sign_up_is_accepted_and_sends_one_email(local: LocalMode, address: str) -> None:
    reply = local.post("/members", json_body=signup(address))

    assert reply.status == 202, reply.text
    assert reply.content_type.startswith("application/json")
    assert reply.json() == {"status": "pending_confirmation"}
    assert [e["to"] for e in local.outbox()] == [[address]]


def test_a_known_address_gets_the_same_answer(local: LocalMode, address: str) -> None:
    first = local.post("/members", json_body=signup(address))
    again = local.post("/members", json_body=signup(address, name="Someone Else"))

    assert (
        (first.status, first.json())
        == (again.status, again.json())
        == (202, {"status": "pending_confirmation"})
    )


def test_bad_fields_are_each_named_in_a_400(local: LocalMode) -> None:
    reply = local.post(
        "/members", json_body=signup("not-an-address", name="", role="wizard", phone="call me maybe")
    )

    assert reply.status == 400, reply.text
    named = {error["field"] for error in reply.json()["errors"]}
    assert {"name", "email", "role", "phone"} <= named
    assert local.outbox() == []


def test_a_body_that_is_not_json_is_a_400_not_a_500(local: LocalMode) -> None:
    reply = local.post("/members", body=b"{not json", headers={"Content-Type": "application/json"})

    assert 400 <= reply.status < 500, reply.text


def test_a_filled_honeypot_gets_the_same_answer_and_nothing_is_sent(local: LocalMode, address: str) -> None:
    reply = local.post("/members", json_body=signup(address, website="http://spam.example"))

    assert reply.status == 202
    assert reply.json() == {"status": "pending_confirmation"}
    assert local.outbox() == []
    listed = local.get("/admin/members", token=local.admin_token()).json()["items"]
    assert address not in {m["email"] for m in listed}
