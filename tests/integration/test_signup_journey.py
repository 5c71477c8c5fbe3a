"""Sign-up as a person does it: the form, the email, the link, the welcome; then the admin list."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.support.local import LocalMode

pytestmark = pytest.mark.integration

BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "User-Agent": "Mozilla/5.0",
}


def hidden_field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name} in the form"
    return match.group(1)


def confirm_link(email: dict[str, object]) -> str:
    match = re.search(r"https?://\S+/members/confirm\?token=[\w.=%-]+", str(email["text"]))
    assert match, "no confirmation link in the email's text part"
    return match.group(0)


def form_for(address: str, notice_version: str, **extra: str) -> dict[str, str]:
    return {
        "name": "Ann Example",
        "email": address,
        "phone": "",
        "role": "observer",
        "organisation": "",
        "consent_contact": "true",
        "privacy_notice_version": notice_version,
        "website": "",
        **extra,
    }


def test_a_person_signs_up_confirms_and_appears_in_the_admin_list(local: LocalMode, address: str) -> None:
    # Given the sign-up form at /
    form_page = local.get("/", headers=BROWSER)
    assert form_page.status == 200
    assert form_page.content_type.startswith("text/html")
    assert '<form method="post"' in form_page.text
    assert 'name="email"' in form_page.text
    notice_version = hidden_field(form_page.text, "privacy_notice_version")

    # When they fill it in and send it (a plain HTML form post)
    sent = local.post("/members", form=form_for(address, notice_version), headers=BROWSER)

    # Then they see a page telling them to check their email
    assert sent.status == 202, sent.text
    assert sent.content_type.startswith("text/html")
    assert "Check your email" in sent.text
    assert address not in sent.text

    # And exactly one email went out: to them, with text and HTML, and one-click unsubscribe headers
    outbox = local.outbox()
    assert [e["to"] for e in outbox] == [[address]]
    confirmation = outbox[0]
    assert confirmation["text"]
    assert confirmation["html"]
    headers = confirmation["headers"]
    assert headers["List-Unsubscribe"].startswith("<http://127.0.0.1:")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = confirm_link(confirmation)
    assert link.startswith(local.base_url)
    assert link in str(confirmation["html"]).replace("&amp;", "&")

    # When a mail scanner opens the link (a plain GET), and then they do
    scanned = local.get(link, headers={"Accept": "*/*", "User-Agent": "Safe Links"})
    opened = local.get(link, headers=BROWSER)

    # Then each gets a page with one button, and nobody is confirmed yet
    for page in (scanned, opened):
        assert page.status == 200, page.text
        assert "Yes, confirm" in page.text
    assert len(local.outbox()) == 1
    pending = local.get(f"/admin/members?q={address}", token=local.admin_token()).json()["items"]
    assert [m["status"] for m in pending] == ["pending_confirmation"]

    # When they press the button (the page's form posts the link's token back)
    action = re.search(r'<form method="post" action="([^"]+)"', opened.text)
    assert action and urlsplit(action.group(1)).path == "/members/confirm"
    confirmed = local.post(
        "/members/confirm", form={"token": hidden_field(opened.text, "token")}, headers=BROWSER
    )

    # Then they are a member, and a welcome email follows
    assert confirmed.status == 200, confirmed.text
    assert "now a member" in confirmed.text
    outbox = local.outbox()
    assert len(outbox) == 2
    assert outbox[1]["to"] == [address]
    assert "Welcome" in str(outbox[1]["subject"])

    # When the button is pressed again (a double click, the back button), or the link opened again
    replayed = local.post(
        "/members/confirm", form={"token": hidden_field(opened.text, "token")}, headers=BROWSER
    )
    reopened = local.get(link, headers=BROWSER)

    # Then it does no harm: a page that says so, and no new email
    assert replayed.status == 200 and "already a member" in replayed.text
    assert reopened.status == 200 and "already a member" in reopened.text
    assert len(local.outbox()) == 2

    # And an administrator sees them as active
    listed = local.get("/admin/members?status=active", token=local.admin_token())
    assert listed.status == 200, listed.text
    mine = [m for m in listed.json()["items"] if m["email"] == address]
    assert [m["status"] for m in mine] == ["active"]


def test_the_admin_list_needs_an_administrators_token(local: LocalMode) -> None:
    # No token: API Gateway's authorizer answers itself
    missing = local.get("/admin/members")
    assert missing.status == 401
    assert missing.json() == {"message": "Unauthorized"}

    # A token signed with another key, or expired: the same
    forged = local.get("/admin/members", token=local.token() + "x")
    assert forged.status == 401
    from datetime import timedelta

    expired = local.get("/admin/members", token=local.token(lifetime=timedelta(seconds=-60)))
    assert expired.status == 401

    # A good token without the admins group: the handler refuses it
    not_admin = local.get("/admin/members", token=local.token(groups=["editors"]))
    assert not_admin.status == 403, not_admin.text

    # An administrator's token works, with or without the Bearer prefix
    token = local.admin_token()
    assert local.get("/admin/members", token=token).status == 200
    assert local.get("/admin/members", headers={"Authorization": token}).status == 200


def test_a_forged_confirmation_link_gets_a_page_with_a_way_forward(local: LocalMode) -> None:
    for reply in (
        local.get("/members/confirm?token=not-a-token", headers=BROWSER),
        local.post("/members/confirm", form={"token": "not-a-token"}, headers=BROWSER),
    ):
        assert reply.status == 400
        assert reply.content_type.startswith("text/html")
        assert "/members/signup" in reply.text
    # a JSON client gets the API's error shape, with the same way forward
    reply = local.post("/members/confirm", json_body={"token": "not-a-token"})
    assert reply.status == 400 and "/members/signup" in reply.json()["message"]
    assert local.outbox() == []


def test_the_confirmation_link_path_is_the_one_declared(local: LocalMode, address: str) -> None:
    # The link in the email points at this local mode, on a declared route
    version = hidden_field(local.get("/members/signup", headers=BROWSER).text, "privacy_notice_version")
    assert local.post("/members", form=form_for(address, version), headers=BROWSER).status == 202
    link = urlsplit(confirm_link(local.outbox()[0]))
    assert (link.hostname, link.port, link.path) == ("127.0.0.1", local.port, "/members/confirm")
