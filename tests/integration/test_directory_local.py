"""The directory in local mode, as issue 17 checks it: import a set of services, publish, read the
site and the JSON (validated against the HSDS 3.0 schemas), change an entry and publish again,
roll back, and compare the versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.support.local import LocalMode

pytestmark = pytest.mark.integration

HSDS = Path(__file__).resolve().parents[2] / "tests" / "support" / "hsds"
CSV = (
    "name,description,organization_name,organization_description,categories,needs,location_address,"
    "location_town,location_postcode,phone,opening_times\n"
    "Local Test Centre,Information and support.,Local Test Charity,A charity.,information-and-advice,"
    "someone-to-talk-to,Standing Way,Milton Keynes,MK6 5LD,01908 996010,MO;TU;WE;TH;FR 09:00-17:00\n"
    "Local Test Group,A support group.,Local Test Group Trust,A group.,support-groups,someone-to-talk-to,"
    "1 High Street,Olney,MK46 4AA,01234 567890,2TU 10:00-12:00\n"
)


def admin(local: LocalMode, method: str, path: str, body: Any = None) -> Any:
    reply = local.request(method, path, token=local.admin_token(), json_body=body)
    assert reply.status < 300, (path, reply.status, reply.text)
    return reply.json() if reply.body else None


def test_import_publish_read_change_republish_roll_back(local: LocalMode) -> None:
    imported = admin(local, "POST", "/admin/directory/import", {"csv": CSV})
    assert imported["ok"] and imported["created"] + imported["updated"] + imported["unchanged"] == 2
    first = admin(local, "POST", "/admin/directory/publish")
    live = admin(local, "GET", "/admin/directory/versions")["live"]
    assert live is not None

    index = local.get("/site/directory/")
    assert index.status == 200 and "Local Test Centre" in index.text
    feed = local.get("/site/directory/services.json")
    assert feed.headers.get("access-control-allow-origin") == "*"
    schema = json.loads((HSDS / "service_with_definitions.json").read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    contents = feed.json()["contents"]
    for service in contents:
        validator.validate(service)
    centre = next(s for s in contents if s["name"] == "Local Test Centre")
    page = local.get(f"/site/directory/services/{centre['id']}.html")
    assert page.status == 200 and "Is something wrong with this entry?" in page.text
    assert local.get("/site/directory/print.html").status == 200

    entry = admin(local, "GET", f"/admin/directory/services/{centre['id']}")
    changed = {
        k: entry[k] for k in ("name", "description", "organization", "categories", "locations", "contacts")
    }
    admin(local, "PUT", f"/admin/directory/services/{centre['id']}", {**changed, "alert": "Moved to Ward 3"})
    second = admin(local, "POST", "/admin/directory/publish")
    assert second["version"] > (first["version"] or 0)
    assert f"services/{centre['id']}.html" in second["changed"]
    assert second["written"] < second["files"]
    assert "Moved to Ward 3" in local.get(f"/site/directory/services/{centre['id']}.html").text

    admin(local, "POST", f"/admin/directory/versions/{live}/rollback")
    versions = admin(local, "GET", "/admin/directory/versions")
    assert versions["live"] == live and {v["version"] for v in versions["versions"]} >= {
        live,
        second["version"],
    }
    assert "Moved to Ward 3" not in local.get(f"/site/directory/services/{centre['id']}.html").text
    unchanged = admin(local, "POST", "/admin/directory/publish")
    assert unchanged["version"] == second["version"] and unchanged["written"] == 0
