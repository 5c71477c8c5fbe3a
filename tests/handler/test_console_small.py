"""The smaller things a new Secretary met (issue 19, observation 10)."""

from __future__ import annotations

from tests.handler.test_console import ann, browser, site  # noqa: F401 (fixtures)
from tests.handler.test_post import add
from tests.support.console import ConsoleBrowser, mint, text


def test_a_form_sent_after_the_session_ended_says_it_was_not_saved_and_how_to_go_on(site, ann):  # noqa: F811
    expired = ConsoleBrowser(site, mint(exp=1_600_000_000, iat=1_599_990_000))
    sent = expired.post(
        f"/console/members/{ann['id']}/edit",
        {"name": "Ann Smithson"},
        csrf="",
        headers={"referer": f"https://example.org/console/members/{ann['id']}/edit"},
    )
    assert sent.status == 401
    said = text(sent.body)
    assert "You were signed out, so this was not saved" in said and "Back button" in said
    assert f'href="/console/members/{ann["id"]}/edit"' in sent.body
    assert next(m for m in site.members() if m["id"] == ann["id"])["name"] == "Ann Smith"


def test_searching_without_accents_finds_a_name_with_them(site, browser):  # noqa: F811
    add(site, "Zoë Brontë", "1 High Street\nOlney\nMK46 4AA")
    for typed in ("zoe", "Zoë", "BRONTE"):
        found = text(browser.get(f"/console/members?q={typed}").body)
        assert "Zoë Brontë" in found, typed


def test_adding_someone_already_in_a_group_says_so(site, browser, ann):  # noqa: F811
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    first = browser.post("/console/groups/patient-voice/members", {"email": "ann@example.org"})
    assert first.headers["Location"].endswith("done=added")
    again = browser.post("/console/groups/patient-voice/members", {"email": "ann@example.org"})
    assert again.headers["Location"].endswith("done=already")
    assert "in this group already" in text(browser.get(again.headers["Location"]).body)
    adds = [e for e in site.items("audit") if e["action"] == "group.add_member"]
    assert len(adds) == 1


def test_console_dates_read_as_the_public_pages_do(site, browser, ann):  # noqa: F811
    page = text(browser.get(f"/console/members/{ann['id']}").body)
    day = site.clock.now
    assert f"{day.day} {day:%B %Y}" in page
    assert f"{day:%Y-%m-%d}" not in page
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    group = text(browser.get("/console/groups/patient-voice").body)
    assert "Open: Open:" not in group and "Open: people can join it" in group


def test_on_a_phone_every_wide_table_says_it_slides_sideways(site, browser, ann):  # noqa: F811
    page = browser.get("/console/members").body
    assert page.count('class="scroll-hint"') == page.count('class="table-wrap"') >= 1
    assert "slide the table sideways" in text(page)


def test_a_member_without_email_is_added_to_a_group_by_name(site, browser):  # noqa: F811
    ann_id = add(site, "Ann Smith", "12 Mill Lane\nOlney\nMK46 4AA")
    add(site, "Bob Jones", None, phone="01908 111222")
    add(site, "Bobby Jones", None, phone="01908 111333")
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    added = browser.post("/console/groups/patient-voice/members", {"email": "ann smith"})
    assert added.headers["Location"].endswith("done=added")
    assert any(m["id"] == ann_id and "patient-voice" in m["working_groups"] for m in site.members())
    several = browser.post("/console/groups/patient-voice/members", {"email": "jones"})
    assert several.status == 200 and "2 members have a name like “jones”. Which one do you mean?" in text(
        several.body
    )
    assert "Phone 01908 111333" in text(several.body) and 'value="jones"' in several.body
    bobby = next(m for m in site.members() if m["name"] == "Bobby Jones")
    picked = browser.post("/console/groups/patient-voice/members", {"member_id": bobby["id"]})
    assert picked.headers["Location"].endswith("done=added")
    joined = {m["name"] for m in site.members() if "patient-voice" in m["working_groups"]}
    assert joined == {"Ann Smith", "Bobby Jones"}
    unknown = browser.post("/console/groups/patient-voice/members", {"member_id": "../x"})
    assert unknown.status == 404
    nobody = browser.post("/console/groups/patient-voice/members", {"email": "Zed"})
    assert nobody.status == 400 and "No active member has a name like this" in text(nobody.body)


def test_pages_for_paper_have_a_print_button_whose_script_alone_may_run(site, browser):  # noqa: F811
    import base64
    import hashlib
    import re

    for path in ("/console/offline-members", "/console/offline-members/labels"):
        page = browser.get(path)
        assert "data-print hidden>Print this page</button>" in page.body  # shown by the script only
        (script,) = re.findall(r"<script>(.*?)</script>", page.body, re.S)
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}'" in page.headers["Content-Security-Policy"]
        assert "Ctrl and P" in text(page.body)  # without JavaScript, the page says how
    assert "<script" not in browser.get("/console/members").body


def test_each_message_names_what_is_actually_wrong(site, browser):  # noqa: F811
    base = {"name": "Pat", "role": "observer", "consent_contact_in_person": "yes"}
    for extra, said in (
        ({"postal_address": "1 Long Road\n" * 500}, "Enter the postal address in 300 characters or fewer"),
        ({"phone": "0123"}, "Enter a phone number of 7 to 20 digits"),
        ({"email": "a" * 250 + "@example.org"}, "An email address has 254 characters or fewer"),
        ({}, "Give an email address, a phone number or a postal address"),
    ):
        refused = browser.post("/console/members/new", {**base, **extra})
        assert refused.status == 400 and said in text(refused.body), (extra, text(refused.body)[:400])
    unnamed = browser.post("/console/groups", {"name": "", "purpose": ""})
    assert "Give the group a name" in text(unnamed.body) and "Say what the group is for" in text(unnamed.body)


def test_the_list_for_post_is_in_name_order_and_a_closed_group_says_so_in_the_filter(site, browser):  # noqa: F811
    for name in ("Wendy Young", "Alan Baker", "mary Clark"):
        add(site, name, "1 High Street\nOlney\nMK46 4AA")
    page = text(browser.get("/console/offline-members").body)
    assert page.index("Alan Baker") < page.index("mary Clark") < page.index("Wendy Young")
    browser.post("/console/groups", {"name": "Information", "purpose": "Leaflets"})
    browser.post("/console/groups/information/close")
    assert ">Information (closed)</option>" in browser.get("/console/members").body
