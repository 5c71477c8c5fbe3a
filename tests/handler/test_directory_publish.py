"""Publishing the directory: the contract's answer and layout, the HTML and the JSON as visitors and
other directories read them (validated against the HSDS 3.0 schemas and the Nu Html Checker), and
publication's promises: a crash half-way leaves the old version live, two publishes at once give one
winner and nothing mixed, rollback, and a re-publish with nothing changed writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.handler.directory_support import SERVICE, PublishedSite, group, service, site_puts
from tests.support import permissions

ROOT = Path(__file__).resolve().parents[2]
HSDS = ROOT / "tests" / "support" / "hsds"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def publish(aws):
    response = aws.admin("POST", "/admin/directory/publish")
    assert response.status == 200, response
    return response.json()


@pytest.fixture
def directory(aws):
    ids = [aws.admin("POST", "/admin/directory/services", json_body=SERVICE).json()["id"]]
    for name, category, town in (
        ("Breast Friends", "support-groups", "Milton Keynes"),
        ("Olney Carers", "carers", "Olney"),
        ("Bletchley Walks", "exercise-and-activity", "Bletchley"),
    ):
        ids.append(
            aws.admin("POST", "/admin/directory/services", json_body=group(name, category, town)).json()["id"]
        )
    return ids


def test_publish_answers_with_the_version_and_what_changed_and_lays_out_the_site(aws, directory):
    answer = publish(aws)
    assert answer["version"] == 1
    assert {"index.html", "print.html", "services.json", f"services/{directory[0]}.html"} <= set(
        answer["changed"]
    )
    site = PublishedSite()
    index = site.text("index.html")
    assert "Local Cancer Resources Directory" in index and 'href="#support-groups"' in index
    assert site.text("") == index  # /site/directory/ is its index
    page = site.text(f"services/{directory[0]}.html")
    assert "Last checked" in page and "Is something wrong with this entry?" in page
    assert f"/directory/report?service={directory[0]}" in page
    assert "Olney" in site.text("place/olney.html")
    assert "Breast Friends" in site.text("need/someone-to-talk-to.html")
    assert 'action="https://api.mkcpp.test/directory/my-list"' in site.text("my-list.html")
    assert "Check for updates at https://api.mkcpp.test/site/directory/" in site.text("print.html")
    assert site.get("services/nothing-here.html")[0] == 404


def _validator(schema: dict[str, Any]) -> Any:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_the_json_is_hsds_3_0_valid_against_the_official_schemas(aws, directory):
    aws.admin(
        "PUT",
        f"/admin/directory/services/{directory[0]}",
        json_body=service(
            closures=[{"starts_on": "2026-12-25", "ends_on": "2026-12-26", "reason": "Christmas"}],
            schedules=[{"byday": "2TU", "opens_at": "10:00", "closes_at": "12:00"}],
            free=True,
            minimum_age=18,
        ),
    )
    publish(aws)
    site = PublishedSite()
    schema = json.loads((HSDS / "service_with_definitions.json").read_text())
    openapi = json.loads((HSDS / "openapi.json").read_text())
    feed = site.json("services.json")
    _validator(openapi["components"]["schemas"]["Page"]).validate(feed)
    assert feed["total_items"] == len(feed["contents"]) == 4
    services = _validator(schema)
    for item in feed["contents"]:
        services.validate(item)
        assert site.json(f"services/{item['id']}.json") == item  # one file per service, the same
    index = site.json("index.json")
    meta = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    _validator(meta).validate(index)
    assert index["version"] == "3.0" and index["counts"]["services"] == 4
    first = next(s for s in feed["contents"] if s["id"] == directory[0])
    assert first["schedules"][0]["byday"] == "2TU" and first["schedules"][0]["freq"] == "MONTHLY"
    assert any(s.get("notes") == "Closed" for s in first["schedules"])
    location = first["service_at_locations"][0]["location"]
    assert location["location_type"] == "physical" and location["accessibility"][0]["description"]
    assert first["organization"]["description"]


@pytest.fixture
def vnu() -> list[str]:
    java = shutil.which("java")
    if not java or not VNU.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("java and vnu-jar are needed to check the published pages")
        pytest.skip("java or node_modules/vnu-jar is missing (npm ci installs it)")
    return [java, "-jar", str(VNU)]


def test_every_published_html_file_passes_the_nu_html_checker(aws, directory, vnu, tmp_path):
    aws.admin(
        "PUT",
        f"/admin/directory/services/{directory[1]}",
        json_body=group("Breast Friends") | {"status": "temporarily closed", "alert": "Back in January"},
    )
    answer = publish(aws)
    site = PublishedSite()
    pages = [p for p in answer["changed"] if p.endswith(".html")]
    for path in [*pages, "site.css"]:
        target = tmp_path / "site" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(site.get(path)[1])
    checked = subprocess.run(
        [*vnu, "--format", "json", "--also-check-css", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(checked.stderr or '{"messages": []}')["messages"]
    problems = [
        f"{m.get('url', '').rsplit('/site/', 1)[-1]}: {m['message']}"
        for m in messages
        if m["type"] in ("error", "warning") or m.get("subType") == "warning"
    ]
    assert len(pages) >= 10
    assert problems == []


def test_a_re_publish_with_nothing_changed_writes_nothing(aws, directory):
    first = publish(aws)
    before = len(permissions.recorded())
    again = publish(aws)
    assert again == {"version": first["version"], "changed": [], "written": 0, "files": first["files"]}
    assert site_puts(permissions.recorded()[before:]) == []


def test_a_single_change_writes_only_the_files_it_changes(aws, directory):
    publish(aws)
    aws.admin(
        "PUT",
        f"/admin/directory/services/{directory[2]}",
        json_body=group("Olney Carers", "carers", "Olney") | {"alert": "New times from March"},
    )
    before = len(permissions.recorded())
    answer = publish(aws)
    written = site_puts(permissions.recorded()[before:])
    assert answer["version"] == 2 and answer["written"] == len(written)
    paths = sorted(key.split("/v/2/", 1)[1] for key in written)
    assert f"services/{directory[2]}.html" in paths and f"services/{directory[2]}.json" in paths
    assert f"services/{directory[0]}.html" not in paths
    assert len(paths) < 12  # the entry, the lists it is on, the print edition and the feed
    assert "New times from March" in PublishedSite().text(f"services/{directory[2]}.html")


def published_then_changed(aws, directory) -> dict[str, tuple[int, bytes]]:
    """Version 1 published, then the first entry changed: what readers see of version 1."""
    publish(aws)
    site = PublishedSite()
    before = {p: site.get(p) for p in ("index.html", "services.json", f"services/{directory[0]}.html")}
    aws.admin(
        "PUT",
        f"/admin/directory/services/{directory[0]}",
        json_body=service(alert="Closed for refurbishment"),
    )
    return before


def test_a_publish_that_crashes_half_way_leaves_the_old_version_live(aws, directory, monkeypatch):
    before = published_then_changed(aws, directory)
    from shared.site.routes import BucketRoutes

    def crash(self, section, entries):
        raise RuntimeError("the function ran out of time")

    monkeypatch.setattr(BucketRoutes, "put_entries", crash)
    with pytest.raises(RuntimeError):
        publish(aws)
    monkeypatch.undo()
    assert {p: PublishedSite().get(p) for p in before} == before  # readers still see version 1 whole
    versions = aws.admin("GET", "/admin/directory/versions").json()
    assert versions["live"] == 1 and [v["version"] for v in versions["versions"]] == [1]
    # the next publication cleans up after it and goes live
    answer = publish(aws)
    assert answer["version"] == 3
    assert "Closed for refurbishment" in PublishedSite().text(f"services/{directory[0]}.html")


def test_a_publish_that_fails_while_uploading_leaves_the_old_version_live_and_the_next_deletes_its_bytes(
    aws, directory, monkeypatch
):
    """Files are uploaded as they are rendered, before the version's manifest: the clean-up finds a
    stopped publication's bytes by listing its version's prefix."""
    import boto3

    from infra.declaration import SITE
    from shared.site import uploads

    before = published_then_changed(aws, directory)
    put = uploads._SdkBatch.put
    sent: list[str] = []

    def fails_at_the_third(self, upload):
        if len(sent) == 2:
            raise uploads.UploadFailed("1 of 3 uploads failed; the first: S3 answered 500 InternalError")
        sent.append(upload.key)
        return put(self, upload)

    monkeypatch.setattr(uploads._SdkBatch, "put", fails_at_the_third)
    with pytest.raises(uploads.UploadFailed):
        publish(aws)
    monkeypatch.undo()
    s3 = boto3.client("s3", region_name="eu-west-2")

    def under(version: int) -> list[str]:
        found = s3.list_objects_v2(Bucket=SITE.local_name, Prefix=f"site/directory/v/{version}/")
        return sorted(o["Key"] for o in found.get("Contents", []))

    assert under(2) == sorted(sent) and len(sent) == 2  # bytes of a version that never went live
    assert {p: PublishedSite().get(p) for p in before} == before  # readers still see version 1 whole
    assert aws.admin("GET", "/admin/directory/versions").json()["live"] == 1
    # S3 answers a GetObject of a missing key with 403, not 404, where listing is not granted for
    # it: the clean-up reads the stopped version's manifest only if the listing shows one
    from botocore.exceptions import ClientError

    from shared.site.publisher import SitePublisher

    manifest = SitePublisher.manifest

    def denied_if_missing(self, version):
        if version == 2:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")
        return manifest(self, version)

    monkeypatch.setattr(SitePublisher, "manifest", denied_if_missing)
    answer = publish(aws)
    assert answer["version"] == 3 and under(2) == []
    assert "Closed for refurbishment" in PublishedSite().text(f"services/{directory[0]}.html")


def test_two_publishes_at_once_one_wins_and_nothing_is_mixed(aws, directory, monkeypatch):
    from shared.site.publisher import Draft

    original = Draft.publish
    inside, release = threading.Event(), threading.Event()

    def slow(self, meta=None):
        inside.set()
        release.wait(10)
        return original(self, meta)

    monkeypatch.setattr(Draft, "publish", slow)
    answers: dict[str, Any] = {}
    first = threading.Thread(
        target=lambda: answers.setdefault("first", aws.admin("POST", "/admin/directory/publish"))
    )
    first.start()
    assert inside.wait(10)
    second = aws.admin("POST", "/admin/directory/publish")
    release.set()
    first.join(20)
    assert second.status == 409 and "publishing" in second.json()["message"]
    assert answers["first"].status == 200
    site = PublishedSite()
    feed = site.json("services.json")
    assert {s["id"] for s in feed["contents"]} == set(directory)
    assert aws.admin("GET", "/admin/directory/versions").json()["live"] == answers["first"].json()["version"]


def test_rollback_puts_the_earlier_version_back_and_publishing_again_moves_forward(aws, directory):
    publish(aws)
    aws.admin("DELETE", f"/admin/directory/services/{directory[3]}")
    second = publish(aws)
    site = PublishedSite()
    assert site.get(f"services/{directory[3]}.html")[0] == 404
    assert f"services/{directory[3]}.html" in second["changed"]
    back = aws.admin("POST", "/admin/directory/versions/1/rollback")
    assert back.status == 200 and back.json()["version"] == 1
    assert "Bletchley Walks" in PublishedSite().text(f"services/{directory[3]}.html")
    versions = aws.admin("GET", "/admin/directory/versions").json()
    assert versions["live"] == 1 and [v["version"] for v in versions["versions"]] == [2, 1]
    gone = aws.admin("POST", "/admin/directory/versions/99/rollback")
    assert gone.status == 409
    # publishing the data as it is now makes the newest version live again, writing no new bytes
    forward = publish(aws)
    assert forward["version"] == 2 and forward["written"] == 0
    assert PublishedSite().get(f"services/{directory[3]}.html")[0] == 404


def test_the_nightly_schedule_publishes_and_the_preview_says_what_will_change(aws, directory):
    preview = aws.admin("GET", "/admin/directory/publish").json()
    assert f"services/{directory[0]}.html" in preview["added"]
    assert aws.invoke("directory_publisher", {"kind": "directory_publish"})["version"] == 1
    assert aws.admin("GET", "/admin/directory/publish").json() == {"added": [], "changed": [], "removed": []}
    assert aws.invoke("directory_publisher", {"kind": "directory_publish"})["written"] == 0


def test_a_publication_too_large_for_a_web_request_is_done_by_the_publisher(aws, directory, monkeypatch):
    """API Gateway gives a request 29 s; a first publication of thousands of entries writes
    thousands of files. Past `IN_REQUEST_WRITES` the request answers 202 at once, having written
    nothing, and the publisher (from its queue) makes the version live. A double click asks twice:
    the second finds nothing changed and writes nothing."""
    import boto3

    from tests.support.env import queue_url
    from tests.support.events import sqs_record

    monkeypatch.setattr("functions.directory.services.IN_REQUEST_WRITES", 5)
    for _ in range(2):
        answer = aws.admin("POST", "/admin/directory/publish")
        assert answer.status == 202, answer
        assert answer.json()["queued"] is True and answer.json()["files"] > 5
    assert aws.admin("GET", "/admin/directory/versions").json()["live"] is None  # nothing yet

    sqs = boto3.client("sqs", region_name="eu-west-2")
    url = queue_url("mkcpp-local-directory-publish")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 2
    arn = "arn:aws:sqs:eu-west-2:123456789012:mkcpp-local-directory-publish"
    results = [aws.invoke("directory_publisher", {"Records": [sqs_record(m, arn)]}) for m in messages]
    assert results == [{"batchItemFailures": []}] * 2
    versions = aws.admin("GET", "/admin/directory/versions").json()
    assert versions["live"] == 1 and [v["version"] for v in versions["versions"]] == [1]
    assert "Last checked" in PublishedSite().text(f"services/{directory[0]}.html")

    # small enough: published within the request, as before
    monkeypatch.setattr("functions.directory.services.IN_REQUEST_WRITES", 2000)
    aws.admin(
        "PUT", f"/admin/directory/services/{directory[0]}", json_body={**SERVICE, "alert": "Closed on Friday"}
    )
    assert publish(aws)["version"] == 2
