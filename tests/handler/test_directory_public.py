"""The directory's public forms and the reviewers' side: 'is something wrong with this entry?', the
'my list' sheet, the monthly review reminder, and the console's directory pages."""

from __future__ import annotations

import re

import pytest

from tests.handler.directory_support import SERVICE, group, service
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text


@pytest.fixture
def entry(aws):
    return aws.admin("POST", "/admin/directory/services", json_body=SERVICE).json()


def test_the_report_form_marks_the_entry_for_review_and_tells_the_reviewers(aws, entry):
    form = aws.request("GET", "/directory/report", query={"service": entry["id"]}, accept="text/html")
    assert form.status == 200 and SERVICE["name"] in form.body and 'name="website"' in form.body
    sent = aws.request(
        "POST",
        "/directory/reports",
        form={
            "service": entry["id"],
            "problem": "out_of_date",
            "details": "New phone number",
            "contact": "ann@example.org",
        },
        accept="text/html",
    )
    assert sent.status == 202 and "Thank you" in sent.body
    stored = aws.admin("GET", f"/admin/directory/services/{entry['id']}").json()
    assert stored["needs_review"] is True
    (email,) = aws.sent()
    assert "console/directory/reports" in email.text and "New phone number" not in email.text
    assert "ann@example.org" not in email.text
    reports = aws.admin("GET", "/admin/directory/reports").json()["items"]
    assert [(r["problem"], r["contact"]) for r in reports] == [("out_of_date", "ann@example.org")]
    # a second report the same day is stored, and no second email goes
    aws.request("POST", "/directory/reports", json_body={"service": entry["id"], "problem": "closed"})
    assert len(aws.sent()) == 1
    resolved = aws.admin("POST", f"/admin/directory/reports/{reports[0]['id']}/resolve").json()
    assert resolved["status"] == "resolved" and resolved["contact"] is None


def test_the_report_form_refuses_bad_input_and_a_bot_is_answered_the_same_with_nothing_stored(aws, entry):
    bad = aws.request(
        "POST", "/directory/reports", form={"service": entry["id"], "problem": "bored"}, accept="text/html"
    )
    assert bad.status == 400 and "Choose what is wrong with the entry" in bad.body
    as_json = aws.request("POST", "/directory/reports", json_body={"service": entry["id"]})
    assert as_json.status == 400 and [e["field"] for e in as_json.json()["errors"]] == ["problem"]
    bot = aws.request(
        "POST",
        "/directory/reports",
        json_body={"service": entry["id"], "problem": "other", "website": "spam"},
    )
    assert bot.status == 202 and aws.admin("GET", "/admin/directory/reports").json()["items"] == []
    unknown = aws.request("GET", "/directory/report", query={"service": "not-an-id"}, accept="text/html")
    assert unknown.status == 404 and "We cannot find that entry" in unknown.body


def test_my_list_is_a_dated_sheet_of_the_ticked_entries_and_stores_nothing(aws, entry):
    other = aws.admin("POST", "/admin/directory/services", json_body=group("Breast Friends")).json()
    before = aws.items("directory")
    sheet = aws.request(
        "GET", "/directory/my-list", query={"service": f"{entry['id']},{other['id']}"}, accept="text/html"
    )
    assert sheet.status == 200
    shown = text(sheet.body)
    assert SERVICE["name"] in shown and "Breast Friends" in shown and "Made on" in shown
    assert "Check for updates at" in shown and "@page" in sheet.body
    assert aws.items("directory") == before
    empty = aws.request("GET", "/directory/my-list", accept="text/html")
    assert empty.status == 400


def test_the_monthly_reminder_lists_entries_past_their_interval_once(aws, clock):
    aws.admin("POST", "/admin/directory/services", json_body=service(last_reviewed="2020-01-01"))
    aws.admin("POST", "/admin/directory/services", json_body=group("Breast Friends"))  # checked today
    assert aws.invoke("directory_review", {"kind": "directory_review"}) == {"entries_due": 1}
    (email,) = aws.sent()
    assert SERVICE["name"] in email.text and "Breast Friends" not in email.text
    assert re.search(r"/console/directory/services/[0-9a-f-]{36}", email.text)
    aws.invoke("directory_review", {"kind": "directory_review"})
    assert len(aws.sent()) == 1  # once a month, whatever reruns


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return ConsoleBrowser(aws, mint())


def test_the_console_lists_entries_by_category_with_what_needs_attention(browser, aws, entry):
    aws.admin(
        "POST", "/admin/directory/services", json_body=service(name="Old entry", last_reviewed="2020-01-01")
    )
    home = browser.get("/console/directory")
    assert home.status == 200
    shown = text(home.body)
    assert "1 entry is due to be checked" in shown and "Information and advice" in shown
    assert "Not checked recently" in shown


def test_the_console_adds_and_edits_an_entry_with_every_field_and_clear_errors(browser, aws):
    form = {
        "name": "Carers MK",
        "description": "Support for carers.",
        "status": "active",
        "categories": ["carers"],
        "organization.name": "Carers MK",
        "organization.description": "A local charity.",
        "contacts.0.phone": "01908 111111",
        "locations.0.location_type": "physical",
        "locations.0.address": "Bletchley Road",
        "locations.0.postcode": "nope",
        "locations.1.location_type": "physical",
        "schedules.0.byday": "MO,WE",
        "schedules.0.opens_at": "10:00",
        "schedules.0.closes_at": "14:00",
        "review_interval_months": "3",
    }
    refused = browser.post("/console/directory/services", form)
    assert refused.status == 400
    assert 'href="#locations.0.postcode"' in refused.body and "Enter a UK postcode" in refused.body
    created = browser.post("/console/directory/services", {**form, "locations.0.postcode": "MK2 2DT"})
    assert created.status == 303
    page = browser.get(created.headers["Location"])
    assert page.status == 200 and "Carers MK" in page.body and "Mark as checked" in page.body
    (stored,) = aws.admin("GET", "/admin/directory/services").json()["items"]
    assert stored["review_interval_months"] == 3 and stored["locations"][0]["postcode"] == "MK2 2DT"
    assert len(stored["locations"]) == 1  # the empty place was left out
    path = created.headers["Location"].split("?")[0]
    saved = browser.post(path, {**form, "locations.0.postcode": "MK2 2DT", "alert": "New hours"})
    assert saved.status == 303
    changes = browser.get(f"{path}/changes")
    assert "alert" in text(changes.body) and "New hours" in text(changes.body)
    assert browser.post(f"{path}/review").status == 303


def test_the_console_imports_publishes_and_rolls_back(browser, aws):
    csv = (
        "name,description,organization_name,organization_description,categories,location_address,location_postcode\n"
        "Bowel MK,A group.,Bowel MK,A charity.,support-groups,Standing Way,MK6 5LD\n"
    )
    checked = browser.post("/console/directory/import", {"text": csv, "action": "check"})
    assert checked.status == 200 and "Nothing is loaded yet" in text(checked.body)
    loaded = browser.post("/console/directory/import", {"text": csv, "action": "load"})
    assert "The import is loaded: 1 added" in text(loaded.body)
    preview = browser.get("/console/directory/publish")
    assert "Bowel MK" in text(preview.body)
    assert browser.post("/console/directory/publish").status == 303
    versions = browser.get("/console/directory/versions")
    assert "Live" in text(versions.body)
    aws.admin(
        "DELETE",
        f"/admin/directory/services/{aws.admin('GET', '/admin/directory/services').json()['items'][0]['id']}",
    )
    browser.post("/console/directory/publish")
    assert browser.post("/console/directory/versions/1/rollback").status == 303
    assert aws.admin("GET", "/admin/directory/versions").json()["live"] == 1
    assert browser.get("/console/directory/review").status == 200
    assert browser.get("/console/directory/reports").status == 200


def test_the_console_hands_a_large_publication_to_the_publisher_and_says_so(browser, aws, monkeypatch):
    monkeypatch.setattr("functions.directory.services.IN_REQUEST_WRITES", 3)
    csv = (
        "name,description,organization_name,organization_description,categories,location_address,location_postcode\n"
        "Bowel MK,A group.,Bowel MK,A charity.,support-groups,Standing Way,MK6 5LD\n"
    )
    browser.post("/console/directory/import", {"text": csv, "action": "load"})
    asked = browser.post("/console/directory/publish")
    assert asked.status == 303 and asked.headers["Location"].endswith("?done=queued")
    page = text(browser.get(asked.headers["Location"]).body)
    assert "carries on in the background" in page, page
