"""Administrators from the console (issue 19): list them, invite one, remove one, reset their two-step
sign-in, with the user pool's administrator actions held by that one function alone."""

from __future__ import annotations

import boto3
import pytest

from infra.local.environment import USER_POOL_ID
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text


@pytest.fixture
def pool(aws):
    return boto3.client("cognito-idp", region_name="eu-west-2")


def sub_of(pool, username: str) -> str:
    user = pool.admin_get_user(UserPoolId=USER_POOL_ID, Username=username)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


@pytest.fixture
def browser(aws, pool, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    # signed in as the pool's own local administrator, so "you" is somebody the pool knows
    return ConsoleBrowser(aws, mint(sub=sub_of(pool, "local-admin"), username="local-admin"))


def in_group(pool) -> list[str]:
    users = pool.list_users_in_group(UserPoolId=USER_POOL_ID, GroupName="admins")["Users"]
    return sorted(u["Username"] for u in users)


def test_the_list_shows_each_administrator_by_name_and_the_nav_leads_there(browser):
    home = browser.get("/console/")
    assert 'href="/console/administrators"' in home.body
    page = text(browser.get("/console/administrators").body)
    assert "Local Administrator (you)" in page and "local-admin@example.org" in page
    assert "Local Volunteer" not in page  # in the pool, but not an administrator


def test_an_invited_administrator_is_in_the_group_and_the_audit_names_no_one(browser, pool, aws):
    refused = browser.post("/console/administrators/invite", {"name": "", "email": "not-an-address"})
    assert refused.status == 400 and 'href="#name"' in refused.body and 'href="#email"' in refused.body
    invited = browser.post(
        "/console/administrators/invite", {"name": "Sam Secretary", "email": "Sam@Example.org"}
    )
    assert invited.status == 303 and invited.headers["Location"] == "/console/administrators?done=invited"
    assert in_group(pool) == ["local-admin", "sam@example.org"]
    user = pool.admin_get_user(UserPoolId=USER_POOL_ID, Username="sam@example.org")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["name"] == "Sam Secretary" and user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    listed = text(browser.get("/console/administrators?done=invited").body)
    assert "Sam Secretary" in listed and "Not yet: invited" in listed and "temporary password" in listed
    again = browser.post("/console/administrators/invite", {"name": "Sam", "email": "sam@example.org"})
    assert again.status == 409 and "This person is an administrator already" in text(again.body)
    entries = [e for e in aws.items("audit") if e["action"] == "administrator.invite"]
    assert [e["target"] for e in entries] == [f"ADMIN#{attributes['sub']}"]
    assert "Sam" not in str(entries) and "example.org" not in str(entries)


def test_removing_asks_first_and_never_removes_yourself_or_the_last_one(browser, pool):
    me = sub_of(pool, "local-admin")
    assert browser.get(f"/console/administrators/{me}/remove").status == 200
    alone = browser.post(f"/console/administrators/{me}/remove")
    assert alone.status == 409 and "You cannot remove yourself" in text(alone.body)
    browser.post("/console/administrators/invite", {"name": "Sam Secretary", "email": "sam@example.org"})
    sam = sub_of(pool, "sam@example.org")
    question = browser.get(f"/console/administrators/{sam}/remove")
    assert "Remove this administrator?" in text(question.body) and in_group(pool) == [
        "local-admin",
        "sam@example.org",
    ]
    removed = browser.post(f"/console/administrators/{sam}/remove")
    assert removed.status == 303 and in_group(pool) == ["local-admin"]
    assert pool.list_users(UserPoolId=USER_POOL_ID, Filter='username = "sam@example.org"')["Users"] == []


def test_a_lost_authenticator_is_reset_so_the_next_sign_in_sets_one_up(browser, pool):
    browser.post("/console/administrators/invite", {"name": "Sam Secretary", "email": "sam@example.org"})
    # Sam set up an authenticator app at their first sign-in (as moto records a verified one)
    from moto.cognitoidp.models import cognitoidp_backends

    backend = cognitoidp_backends["123456789012"]["eu-west-2"]
    backend.user_pools[USER_POOL_ID].users["sam@example.org"].token_verified = True
    pool.admin_set_user_mfa_preference(
        UserPoolId=USER_POOL_ID,
        Username="sam@example.org",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    sam = sub_of(pool, "sam@example.org")
    assert "Set up" in text(browser.get("/console/administrators").body)
    assert "Reset their two-step sign-in?" in text(browser.get(f"/console/administrators/{sam}/reset").body)
    assert browser.post(f"/console/administrators/{sam}/reset").status == 303
    user = pool.admin_get_user(UserPoolId=USER_POOL_ID, Username="sam@example.org")
    assert "SOFTWARE_TOKEN_MFA" not in (user.get("UserMFASettingList") or [])


def test_an_administrator_that_does_not_exist_is_a_404(browser):
    assert browser.get("/console/administrators/not-an-id/remove").status == 404
    assert browser.get("/console/administrators/00000000-0000-0000-0000-000000000000/remove").status == 404


def test_the_audit_trail_names_people_and_records_folds_views_and_keeps_order(browser, pool, aws):
    # Given a member added, opened three times, changed, and another member added then erased
    added = browser.post(
        "/console/members/new",
        {
            "name": "Zoë Example",
            "email": "zoe@example.org",
            "role": "observer",
            "consent_contact_in_person": "yes",
        },
    )
    assert added.status == 303, added.body
    zoe = added.headers["Location"].split("?")[0].rsplit("/", 1)[-1]
    for _ in range(3):
        assert browser.get(f"/console/members/{zoe}").status == 200
    gone = browser.post(
        "/console/members/new",
        {
            "name": "Gone Person",
            "email": "gone@example.org",
            "role": "observer",
            "consent_contact_in_person": "yes",
        },
    )
    gone_id = gone.headers["Location"].split("?")[0].rsplit("/", 1)[-1]
    assert browser.post(f"/console/members/{gone_id}/erase").status == 200

    # When the Secretary reads the audit trail
    page = browser.get("/console/audit")
    rows = [" | ".join(cell for cell in row) for row in table_rows(page.body)]

    # Then people and records are named, views of one record that day are one line, newest first
    assert any("You | Opened the record (3 times that day) | Zoë Example" in r for r in rows), rows
    assert any("You | Added the member | Zoë Example" in r for r in rows), rows
    assert any("Erased the member | An erased member" in r for r in rows), rows
    assert "Gone Person" not in page.body and "Member " not in text(page.body)
    zoes = [r.split(" | ")[2] for r in rows if r.endswith("Zoë Example | –") or "Zoë Example |" in r]
    assert zoes.index("Added the member") > zoes.index("Opened the record (3 times that day)"), zoes


def table_rows(html: str) -> list[list[str]]:
    import re

    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_audit_trail_names_an_invited_administrator_and_the_same_address_is_not_invited_twice(
    browser, pool, aws
):
    browser.post("/console/administrators/invite", {"name": "Sam Secretary", "email": "sam@example.org"})
    rows = [" | ".join(row) for row in table_rows(browser.get("/console/audit").body)]
    assert any("Invited an administrator | Sam Secretary" in r for r in rows), rows
    # the first administrator's own address, though their user name is another
    again = browser.post(
        "/console/administrators/invite", {"name": "Local Admin", "email": "local-admin@example.org"}
    )
    assert again.status == 409 and in_group(pool) == ["local-admin", "sam@example.org"]
    # and a member's page reads in words, each day's views of it folded into one line
    added = browser.post(
        "/console/members/new",
        {
            "name": "Zoë Example",
            "phone": "01908 111222",
            "role": "observer",
            "consent_contact_in_person": "yes",
        },
    )
    zoe = added.headers["Location"].split("?")[0]
    for _ in range(2):
        browser.get(zoe)
    page = text(browser.get(zoe).body)
    assert "Opened the record (3 times that day)" in page
    assert "agreement to be contacted, recorded by an administrator" in page
    assert "consent_contact_in_person" not in page
