"""The local helpers (`/_local/...`, `/site/...`) and the gateway's own answers."""

from __future__ import annotations

import boto3
import pytest

from infra.declaration import SITE, all_schedules
from tests.support.local import LocalMode

pytestmark = pytest.mark.integration


def test_an_unknown_schedule_is_a_404_naming_the_known_ones(local: LocalMode) -> None:
    reply = local.post("/_local/schedules/nope/run")

    assert reply.status == 404
    message = reply.json()["message"]
    assert "nope" in message
    for schedule, _ in all_schedules():
        assert schedule.name in message


def test_the_schedules_listed_are_the_declared_ones(local: LocalMode) -> None:
    listed = local.get("/_local/schedules").json()

    assert [s["name"] for s in listed] == [s.name for s, _ in all_schedules()]


def test_delete_empties_the_outbox(local: LocalMode, address: str) -> None:
    body = {
        "name": "Cy",
        "email": address,
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": "2026-11",
    }
    assert local.post("/members", json_body=body).status == 202
    assert len(local.outbox()) == 1

    assert local.clear_outbox() == 1

    assert local.outbox() == []
    assert local.clear_outbox() == 0


def test_what_no_route_matches_is_answered_by_the_catch_all_function(local: LocalMode) -> None:
    # as API Gateway's `$default` route sends it to members_public: a 404, or a 405 naming the methods
    for method, path in [("GET", "/nope"), ("GET", "/members/")]:
        reply = local.request(method, path)
        assert reply.status == 404, (method, path)
        assert reply.json() == {"message": "Not found.", "errors": []}
    wrong_method = local.request("DELETE", "/members")
    assert wrong_method.status == 405 and "POST" in wrong_method.headers["allow"]
    page = local.request("GET", "/members/sigup", headers={"Accept": "text/html"})
    assert page.status == 404 and "Page not found" in page.text


def test_each_answer_carries_a_request_id(local: LocalMode) -> None:
    first, second = local.get("/members/privacy"), local.get("/members/privacy")

    assert first.status == 200
    assert first.headers["apigw-requestid"] != second.headers["apigw-requestid"]


def test_the_site_bucket_is_served_under_site(local: LocalMode) -> None:
    # Given a page put straight into the site bucket, in a section no `shared/site` publication owns
    # (the directory's own section is served from its live version: test_directory_local.py)
    s3 = boto3.client(
        "s3",
        endpoint_url=local.endpoints["moto"],
        region_name="eu-west-2",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    s3.put_object(
        Bucket=SITE.local_name,
        Key=f"{SITE.public_prefix}about/index.html",
        Body=b"<h1>Directory</h1>",
        ContentType="text/html; charset=utf-8",
    )

    # Then a directory serves its index.html, and a missing page is a 404 page
    page = local.get("/site/about/")
    assert (page.status, page.text) == (200, "<h1>Directory</h1>")
    assert page.content_type.startswith("text/html")
    assert local.get("/site/about").status == 301
    missing = local.get("/site/nothing-here.html")
    assert missing.status == 404
    assert missing.content_type.startswith("text/html")


def test_the_openapi_document_is_served(local: LocalMode) -> None:
    reply = local.get("/openapi.json")

    assert reply.status == 200, reply.text
    assert "/members" in reply.json()["paths"]
