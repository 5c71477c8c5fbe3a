"""The console's edit form (issue 19, item 5): it keeps the rules of the add form, so a member is never
left with no way to reach them, and saving it unchanged records nothing."""

from __future__ import annotations

import pytest

from tests.handler.test_post import add
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return ConsoleBrowser(aws, mint())


def form(**changes: str) -> dict[str, str]:
    return {
        "name": "Ann Smith",
        "phone": "",
        "postal_address": "12 Mill Lane\r\nOlney\r\nMK46 4AA",  # as a browser sends a textarea
        "organisation": "",
        "role": "observer",
        **changes,
    }


def updates(aws) -> list[dict[str, object]]:
    return [e for e in aws.items("audit") if e["action"] == "member.update"]


def test_saving_the_form_unchanged_records_no_change(aws, browser):
    ann = add(aws, "Ann Smith", "12 Mill Lane\nOlney\nMK46 4AA")
    saved = browser.post(f"/console/members/{ann}/edit", form())
    assert saved.status == 303
    assert updates(aws) == []


def test_emptying_the_only_way_to_reach_a_member_is_refused_naming_the_field(aws, browser):
    ann = add(aws, "Ann Smith", "12 Mill Lane\nOlney\nMK46 4AA")
    refused = browser.post(f"/console/members/{ann}/edit", form(postal_address=""))
    assert refused.status == 400
    assert 'href="#postal_address"' in refused.body
    assert "phone number or a postal address" in text(refused.body)
    assert updates(aws) == []
    kept = text(browser.get(f"/console/members/{ann}").body)
    assert "12 Mill Lane" in kept


def test_a_phone_with_an_extension_and_a_long_address_are_named_plainly(aws, browser):
    ann = add(aws, "Ann Smith", "12 Mill Lane\nOlney\nMK46 4AA")
    phone = browser.post(f"/console/members/{ann}/edit", form(phone="01908 660000 ext 4"))
    assert phone.status == 400 and 'href="#phone"' in phone.body
    assert "Give an email address, a phone number or a postal address" not in text(phone.body)
    long = browser.post(f"/console/members/{ann}/edit", form(postal_address="x" * 301))
    assert long.status == 400 and 'href="#postal_address"' in long.body
    assert "300" in text(long.body)
    org = browser.post(f"/console/members/{ann}/edit", form(organisation="o" * 121))
    assert org.status == 400 and "Too many were chosen" not in text(org.body) and "120" in text(org.body)
    empty = browser.post(f"/console/members/{ann}/edit", form(name=""))
    assert empty.status == 400 and "special symbols" not in text(empty.body)


def test_the_forms_boxes_stop_at_the_lengths_the_record_allows(aws, browser):
    ann = add(aws, "Ann Smith", "12 Mill Lane\nOlney\nMK46 4AA")
    page = browser.get(f"/console/members/{ann}/edit").body
    for name, limit in (("name", 100), ("phone", 20), ("postal_address", 300), ("organisation", 120)):
        assert f'name="{name}"' in page and f'maxlength="{limit}"' in page
