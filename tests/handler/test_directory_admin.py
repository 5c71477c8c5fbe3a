"""The directory's admin API: entries as the contract says, bad input named field by field, the
change log, review, and the import (all or nothing, idempotent)."""

from __future__ import annotations

import uuid

from tests.handler.directory_support import SERVICE, group, service


def test_post_answers_201_with_the_service_and_its_uuid(aws):
    # Given the contract's JSON; When an administrator posts it
    response = aws.admin("POST", "/admin/directory/services", json_body=SERVICE)
    # Then it is created, with a UUID id, and reads back the same
    assert response.status == 201, response
    created = response.json()
    uuid.UUID(created["id"])
    assert created["name"] == SERVICE["name"]
    assert created["locations"][0]["postcode"] == "MK6 5LD"
    assert created["review_interval_months"] == 6 and created["last_reviewed"]
    listed = aws.admin("GET", "/admin/directory/services").json()["items"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert aws.admin("GET", f"/admin/directory/services/{created['id']}").json()["name"] == SERVICE["name"]


def test_the_same_entry_twice_is_refused_naming_the_name(aws):
    assert aws.admin("POST", "/admin/directory/services", json_body=SERVICE).status == 201
    again = aws.admin("POST", "/admin/directory/services", json_body=SERVICE)
    assert again.status == 409
    assert [e["field"] for e in again.json()["errors"]] == ["name"]


def test_bad_input_is_a_400_naming_each_field_even_nested_ones(aws):
    bad = service(
        categories=["nope"],
        locations=[{"address": "Standing Way", "postcode": "not a postcode"}],
        schedules=[{"byday": "MO", "opens_at": "17:00", "closes_at": "09:00"}],
        status="shut",
        colour="blue",
    )
    response = aws.admin("POST", "/admin/directory/services", json_body=bad)
    assert response.status == 400
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields["locations.0.postcode"] == "Enter a UK postcode, like MK6 5LD"
    assert fields["schedules.0.closes_at"] == "The closing time must be after the opening time"
    assert {"categories", "status", "colour"} <= set(fields)
    assert aws.items("directory") == []  # nothing stored


def test_put_replaces_and_the_change_log_says_field_old_new_who_when(aws):
    created = aws.admin("POST", "/admin/directory/services", json_body=SERVICE).json()
    changed = service(contacts=[{"phone": "01908 111222"}], alert="Moved to Ward 3 until March")
    response = aws.admin("PUT", f"/admin/directory/services/{created['id']}", json_body=changed)
    assert response.status == 200 and response.json()["alert"] == "Moved to Ward 3 until March"
    log = aws.admin("GET", f"/admin/directory/services/{created['id']}/changes").json()["items"]
    assert [entry["action"] for entry in log] == ["updated", "created"]
    changes = {c["field"]: (c["old"], c["new"]) for c in log[0]["changes"]}
    assert changes["contacts.0.phone"] == ("01908 996010", "01908 111222")
    assert changes["alert"] == (None, "Moved to Ward 3 until March")
    assert log[0]["actor"] and log[0]["at"]
    # the same again changes nothing, and logs nothing
    aws.admin("PUT", f"/admin/directory/services/{created['id']}", json_body=changed)
    assert len(aws.admin("GET", f"/admin/directory/services/{created['id']}/changes").json()["items"]) == 2


def test_delete_and_mark_reviewed(aws, clock):
    created = aws.admin(
        "POST", "/admin/directory/services", json_body=service(last_reviewed="2025-01-01")
    ).json()
    reviewed = aws.admin("POST", f"/admin/directory/services/{created['id']}/review").json()
    assert reviewed["last_reviewed"] == clock.now.date().isoformat()
    assert aws.admin("DELETE", f"/admin/directory/services/{created['id']}").status == 204
    assert aws.admin("GET", f"/admin/directory/services/{created['id']}").status == 404


CSV = (
    "name,description,organization_name,organization_description,categories,needs,location_address,"
    "location_postcode,phone,opening_times,closures\n"
    "Look Good Feel Better,Skincare workshops.,Look Good Feel Better,A charity.,appearance-and-confidence,"
    "feeling-better-in-myself,Standing Way,MK6 5LD,01908 996010,2TU 10:00-12:00,"
    "2026-12-25 to 2026-12-26: Christmas\n"
    "Carers MK,Support for carers.,Carers MK,A local charity.,carers,support-for-family,Bletchley Road,"
    "MK2 2DT,01908 111111,MO;WE 10:00-14:00,\n"
)


def test_import_reports_each_bad_row_and_loads_nothing(aws):
    bad = CSV.replace("MK6 5LD", "NOWHERE").replace("carers,support", "nope,support")
    response = aws.admin("POST", "/admin/directory/import", json_body={"csv": bad})
    assert response.status == 400
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields["rows.1.location_postcode"] == "Row 1: Enter a UK postcode, like MK6 5LD"
    assert "rows.2.categories" in fields
    assert aws.items("directory") == []


def test_import_twice_adds_nothing_the_second_time(aws):
    first = aws.admin("POST", "/admin/directory/import", json_body={"csv": CSV})
    assert first.status == 200, first
    assert (first.json()["created"], first.json()["updated"]) == (2, 0)
    second = aws.admin("POST", "/admin/directory/import", json_body={"csv": CSV}).json()
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 2)
    services = aws.admin("GET", "/admin/directory/services").json()["items"]
    assert len(services) == 2
    lgfb = next(s for s in services if s["name"] == "Look Good Feel Better")
    assert lgfb["schedules"][0] == {**lgfb["schedules"][0], "freq": "MONTHLY", "byday": "2TU"}
    assert lgfb["closures"][0]["reason"] == "Christmas"
    # a changed row updates its entry, found by its organisation's and its own name
    third = aws.admin(
        "POST", "/admin/directory/import", json_body={"csv": CSV.replace("01908 111111", "01908 222222")}
    )
    assert (third.json()["created"], third.json()["updated"]) == (0, 1)


def test_import_json_as_the_api_takes_services(aws):
    response = aws.admin(
        "POST",
        "/admin/directory/import",
        json_body={"services": [group("Breast Friends"), group("Prostate MK")]},
    )
    assert response.status == 200 and response.json()["created"] == 2
    dry = aws.admin(
        "POST", "/admin/directory/import", json_body={"services": [group("Bowel MK")], "dry_run": True}
    )
    assert dry.json()["created"] == 1
    assert len(aws.admin("GET", "/admin/directory/services").json()["items"]) == 2
