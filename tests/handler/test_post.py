"""Post for members without email (issue 19): addresses keep their lines, and labels print on the
common A4 sheet of 21 (3 across, 7 down)."""

from __future__ import annotations

import re

import pytest

from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return ConsoleBrowser(aws, mint())


def add(aws, name: str, address: str | None, phone: str | None = None) -> str:
    body = {
        "name": name,
        "role": "observer",
        "consent_contact_in_person": True,
        "privacy_notice_version": "2026-11",
        "postal_address": address,
        "phone": phone,
    }
    reply = aws.admin("POST", "/admin/members", json_body={k: v for k, v in body.items() if v})
    assert reply.status == 201, reply
    return reply.json()["id"]


def labels_on(body: str) -> list[str]:
    return [
        " | ".join(line.strip() for line in cell.strip().splitlines())
        for cell in re.findall(r'<div class="label">(.*?)</div>', body, re.S)
    ]


def test_labels_for_members_without_email_fill_a_sheet_of_21_from_the_label_asked_for(aws, browser):
    ann = add(aws, "Ann Smith", "12 Mill Lane\nOlney\nMK46 4AA")
    add(aws, "Bob Jones", "3 Church Street\nNewport Pagnell\nMK16 0AB")
    add(aws, "Cy Brown", None, phone="01908 111222")  # no address: phone them
    page = browser.get(f"/console/members/{ann}")
    assert '<dd class="address">12 Mill Lane\nOlney\nMK46 4AA</dd>' in page.body
    offline = browser.get("/console/offline-members")
    assert 'href="/console/offline-members/labels"' in offline.body
    labels = browser.get("/console/offline-members/labels")
    assert labels.status == 200
    assert sorted(labels_on(labels.body)) == [
        "Ann Smith | 12 Mill Lane | Olney | MK46 4AA",
        "Bob Jones | 3 Church Street | Newport Pagnell | MK16 0AB",
    ]
    assert labels.body.count('class="label blank"') == 19  # one sheet of 21
    assert "1 to write to gave none" in text(labels.body)
    assert "size: A4" in labels.body and "63.5mm" in labels.body
    # a part-used sheet: start at label 21, and the second label goes on a new sheet
    moved = browser.get("/console/offline-members/labels?start=21")
    assert moved.body.count('role="group"') == 2 and moved.body.count('class="label blank"') == 20 + 20
    for odd in ("0", "22", "x", "-1"):
        assert browser.get(f"/console/offline-members/labels?start={odd}").status == 200
