"""Importing the partnership's list from a spreadsheet, and downloading it, from the console (issue 19)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text

HEADER = "Name,Email,Phone,Address,Role,Working groups,Agreed on,How,Patient or carer agreed\r\n"


def sheet(*rows: str) -> str:
    return HEADER + "".join(row + "\r\n" for row in rows)


TWENTY_FIVE = sheet(
    *[
        f"Person {n},person{n}@example.org,,,observer,,14/03/2026,paper,"
        if n % 2
        else f'Person {n},,01908 66{n:04d},"{n} High Street\nNewport Pagnell\nMK16 8AA",carer,,'
        "2026-03-14,in person,yes"
        for n in range(1, 26)
    ]
)


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return ConsoleBrowser(aws, mint())


def check(browser, csv_text):
    return browser.post("/console/members/import", {"action": "check", "file": csv_text})


def load(browser, checked):
    hidden = re.search(r'name="text" value="([^"]*)"', checked.body, re.S)
    assert hidden, "the report of a good file carries its button"
    from html import unescape

    return browser.post("/console/members/import", {"action": "load", "text": unescape(hidden.group(1))})


def test_a_list_of_25_is_checked_then_added_once_with_consent_as_given_on_paper(aws, browser):
    checked = check(browser, TWENTY_FIVE)
    assert checked.status == 200
    assert "Every row is good: 25 to add" in text(checked.body) and aws.members() == []
    loaded = load(browser, checked)
    assert loaded.status == 200 and "25 added" in text(loaded.body)
    members = aws.members()
    assert len(members) == 25
    # those with email confirm it themselves; those without are members at once
    assert sorted(m.to for m in aws.sent()) == sorted(f"person{n}@example.org" for n in range(1, 26, 2))
    posted = next(m for m in members if m["name"] == "Person 2")
    assert (
        posted["status"] == "active"
        and posted["postal_address"] == "2 High Street\nNewport Pagnell\nMK16 8AA"
    )
    contact, health = posted["consents"]
    assert (contact["channel"], contact["at"][:10]) == ("in_person", "2026-03-14")
    assert health["kind"] == "health_data" and contact["recorded_by"] == console.claims()["sub"]
    paper = next(m for m in members if m["name"] == "Person 1")
    assert paper["consents"][0]["channel"] == "letter" and paper["status"] == "pending_confirmation"
    # the same file again adds nobody
    again = check(browser, TWENTY_FIVE)
    assert "0 to add, 25 already members" in text(again.body)
    load(browser, again)
    assert len(aws.members()) == 25
    imports = [e["fields"][0] for e in aws.items("audit") if e["action"] == "members.import"]
    assert sorted(imports) == ["0 added", "25 added"]


def test_a_file_with_a_bad_row_adds_nobody_and_says_what_to_correct_in_which_row(aws, browser):
    refused = check(
        browser,
        sheet(
            "Ann Smith,ann@example.org,,,observer,,2026-03-14,paper,",
            "Bob Jones,bob@,,,observer,,2026-03-14,paper,",
            "Cy Brown,,,,patient,,2026-03-14,in person,",
            "Di Green,,01908 111222,,astronaut,No such group,next week,by pigeon,",
            "Ann Again,ann@example.org,,,observer,,2026-03-14,paper,",
        ),
    )
    assert refused.status == 400
    page = text(refused.body)
    assert "Nothing was imported" in page and "4 rows have a problem" in page
    assert "Email: Write the email address like name@example.org" in page  # row 3: bob@
    assert "Patient or carer agreed: A patient or carer needs 'yes' here" in page  # Cy
    assert "Address: Give an email address, a phone number or an address" in page  # Cy has none
    for problem in (
        "Role: Write one of",
        "Working groups: No open working group is called 'No such group'",
        "Agreed on:",
        "How:",
    ):
        assert problem in page, problem
    assert "This email address is on an earlier row too" in page
    assert 'name="action" value="load"' not in refused.body
    assert aws.members() == [] and aws.sent() == []


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_plain_words(browser):
    for body, said in (
        ("", "The file is empty"),
        ("Email\r\nann@example.org\r\n", "one of them must be 'Name'"),
        ("Name\r\n\r\n", "The file has no one in it"),
    ):
        refused = check(browser, body)
        assert refused.status == 400 and said in text(refused.body), said


def test_the_list_downloads_as_a_spreadsheet_with_the_pages_filters_and_is_audited(aws, browser):
    load(browser, check(browser, TWENTY_FIVE))
    page = browser.get("/console/members?status=active")
    assert 'href="/console/members/list.csv?status=active"' in page.body
    download = browser.get("/console/members/list.csv?status=active")
    assert download.status == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert download.headers["Content-Disposition"] == 'attachment; filename="members.csv"'
    rows = list(csv.DictReader(io.StringIO(download.body.lstrip("\ufeff"))))
    assert len(rows) == 12  # the 12 without email are active; the rest wait to confirm
    assert {r["postal_address"] for r in rows} >= {"2 High Street\nNewport Pagnell\nMK16 8AA"}
    assert [e["fields"] for e in aws.items("audit") if e["action"] == "members.download"] == [["status"]]


def test_a_column_we_do_not_know_is_refused_naming_it_rather_than_dropped(aws, browser):
    # "E-mail" is an email column, however it is written
    spelled = check(browser, "Name,E-mail,Agreed on,How\r\nAnn Smith,ann@example.org,2026-03-14,paper\r\n")
    assert spelled.status == 200 and "1 to add" in text(spelled.body)
    for header, named in (
        ("Name,Email address 2,Agreed on,How", "Email address 2"),
        ("Name,Shoe size,Agreed on,How", "Shoe size"),
    ):
        refused = check(browser, f"{header}\r\nAnn Smith,x,2026-03-14,paper\r\n")
        assert refused.status == 400 and f"We do not know the column '{named}'" in text(refused.body)
    twice = check(browser, "Name,Email,E-mail\r\nAnn Smith,a@example.org,b@example.org\r\n")
    assert twice.status == 400 and "Two columns are both 'Email'" in text(twice.body)
    assert aws.members() == []


def test_a_rows_number_is_the_spreadsheets_however_many_lines_its_address_holds(browser):
    refused = check(
        browser,
        sheet(
            'Ann Smith,,,"1 Mill Lane\nOlney\nMK46 4AA",observer,,2026-03-14,paper,',
            "Bob Jones,bob@,,,observer,,2026-03-14,paper,",
        ),
    )
    assert refused.status == 400 and "<td>3</td><td>Bob Jones</td>" in refused.body


def test_a_new_member_agreed_by_phone_is_recorded_as_agreed_by_phone(aws, browser):
    added = browser.post(
        "/console/members/new",
        {
            "name": "Pat Phone",
            "phone": "01908 111222",
            "role": "observer",
            "consent_contact_in_person": "yes",
            "how": "phone",
        },
    )
    assert added.status == 303
    pat = next(m for m in aws.members() if m["name"] == "Pat Phone")
    assert pat["consents"][0]["channel"] == "phone"
    assert "By phone, to an administrator" in text(browser.get(f"/console/members/{pat['id']}").body)
    odd = browser.post(
        "/console/members/new",
        {
            "name": "Odd",
            "phone": "01908 111333",
            "role": "observer",
            "consent_contact_in_person": "yes",
            "how": "pigeon",
        },
    )
    assert odd.status == 400 and 'href="#how"' in odd.body
