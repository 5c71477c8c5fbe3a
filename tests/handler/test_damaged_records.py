"""Records that cannot be read never lock anyone out (issue 15, item 8).

A record written by an older version of the code is read in the current shape; one written around
the model (an unknown role, its name removed) shows in the console as damaged, with what could be
read, and can still be exported and erased; its owner's links give a page, never a 500; lists skip
it and count it."""

from __future__ import annotations

import json

import pytest

from shared.dynamo import to_item
from tests.handler.test_signup import confirm, confirm_page_event, json_event, sign_up
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text

TABLE = "mkcpp-members"


@pytest.fixture
def site(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return aws


@pytest.fixture
def ann(site):
    sign_up(
        site, json_event(email="ann@example.org", name="Ann Smith", role="carer", consent_health_data=True)
    )
    confirm(site, site.sent()[-1].token("/members/confirm"))
    return next(m for m in site.members() if m["name"] == "Ann Smith")


def damage(site, member_id: str) -> None:
    """Write around the model: a role nobody knows, and the name removed."""
    site.ddb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET #r = :r REMOVE #n",
        ExpressionAttributeNames={"#r": "role", "#n": "name"},
        ExpressionAttributeValues={":r": {"S": "wizard"}},
    )


def test_an_older_records_shape_is_read_and_written_back_in_the_current_one(site):
    # Given a pending sign-up as the first version of the code wrote it (no schema version, `pending`)
    sign_up(site, json_event(email="old@example.org", name="Old Shape", role="observer"))
    (member,) = [m for m in site.members() if m["name"] == "Old Shape"]
    old = {k: v for k, v in member.items() if k != "schema_version"}
    site.ddb.put_item(TableName=TABLE, Item=to_item({**old, "status": "pending"}))
    # When its owner confirms, and an administrator then changes it
    confirm(site, site.sent()[-1].token("/members/confirm"))
    assert (
        site.admin("PATCH", f"/admin/members/{member['id']}", json_body={"phone": "01908 000000"}).status
        == 200
    )
    # Then it was read, and is written back in the current shape
    (now,) = [m for m in site.members() if m["name"] == "Old Shape"]
    assert now["status"] == "active" and now["role"] == "observer" and now["schema_version"] == 2


def test_the_console_shows_a_damaged_record_with_what_could_be_read(site, ann):
    damage(site, ann["id"])
    browser = ConsoleBrowser(site, mint())
    page = browser.get(f"/console/members/{ann['id']}")
    assert page.status == 409
    shown = text(page.body)
    assert "This member's record cannot be read" in shown
    assert "ann@example.org" in shown and "wizard" in shown  # what could be read, as text
    assert f'href="/console/members/{ann["id"]}/export"' in page.body
    # the members list skips it instead of failing
    assert browser.get("/console/members").status == 200


def test_a_damaged_record_can_still_be_exported_and_erased(site, ann):
    damage(site, ann["id"])
    # the admin API says what is wrong, with a 409, not a 500
    refused = site.admin("GET", f"/admin/members/{ann['id']}")
    assert (
        refused.status == 409 and "cannot be read" in refused.json()["message"].lower()
    ) or refused.status == 409
    # the export gives everything held, as stored
    export = site.admin("GET", f"/admin/members/{ann['id']}/export")
    assert export.status == 200
    data = export.json()
    assert data["damaged"] is True and data["profile"]["role"] == "wizard"
    assert data["profile"]["email"] == "ann@example.org"
    # the console's download works too
    browser = ConsoleBrowser(site, mint())
    download = browser.get(f"/console/members/{ann['id']}/export")
    assert download.status == 200 and json.loads(download.body)
    # and the console's erase page, then erasure
    assert browser.get(f"/console/members/{ann['id']}/erase").status == 200
    assert "The member was erased" in text(browser.post(f"/console/members/{ann['id']}/erase").body)
    assert not [m for m in site.members() if m["id"] == ann["id"]]


def test_its_owners_links_give_a_page_not_a_fault(site):
    sign_up(site, json_event(email="bo@example.org", name="Bo", role="observer"))
    (bo,) = [m for m in site.members() if m["name"] == "Bo"]
    token = site.sent()[-1].token("/members/confirm")
    damage(site, bo["id"])
    page = site.invoke("members_public", {**confirm_page_event(token), "headers": {"accept": "text/html"}})
    assert page["statusCode"] == 409 and "text/html" in page["headers"]["Content-Type"]


def test_a_damaged_working_group_is_a_page_not_a_fault(site):
    browser = ConsoleBrowser(site, mint())
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    site.ddb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "GROUPS"}, "sk": {"S": "GROUP#patient-voice"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "paused"}},
    )
    page = browser.get("/console/groups/patient-voice")
    assert page.status == 409 and "This record cannot be read" in text(page.body)
    assert site.admin("PATCH", "/admin/groups/patient-voice", json_body={"purpose": "x"}).status == 409
