"""The administrators' member list."""

from __future__ import annotations

import json

import pytest

from tests.handler.conftest import load_event
from tests.handler.test_signup import confirm, json_event, sign_up


def list_event(claims="admin", **query):
    event = load_event("admin/get_members.json")
    event["queryStringParameters"] = {k: str(v) for k, v in query.items()} or None
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if claims is None:
        event["requestContext"].pop("authorizer", None)
    elif claims == "member":
        event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = "[volunteers]"
    return event


def members(aws, claims="admin", **query):
    response = aws.invoke("members_admin", list_event(claims, **query))
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def three_members(aws):
    # Ann confirmed (patient), Bob pending (health professional), Cy pending (observer)
    sign_up(aws, json_event(email="ann@example.org", name="Ann", role="patient", consent_health_data=True))
    confirm(aws, aws.sent()[0].token("/members/confirm"))
    sign_up(aws, json_event(email="bob@example.org", name="Bob", role="health_professional"))
    sign_up(aws, json_event(email="cy@example.org", name="Cy", role="observer"))
    return aws


def test_an_admin_sees_every_member_with_contact_details(three_members):
    status, body = members(three_members)
    assert status == 200
    assert body["next"] is None
    rows = {row["name"]: row for row in body["items"]}
    assert set(rows) == {"Ann", "Bob", "Cy"}
    assert rows["Ann"]["status"] == "active" and rows["Bob"]["status"] == "pending_confirmation"
    assert rows["Ann"]["email"] == "ann@example.org" and rows["Ann"]["role"] == "patient"
    assert {"id", "name", "email", "role", "status"} <= set(rows["Cy"])
    assert "lookup_id" not in rows["Ann"] and "consents" not in rows["Ann"]


def test_filters_by_status_and_role(three_members):
    assert [r["name"] for r in members(three_members, status="active")[1]["items"]] == ["Ann"]
    # Cy has not confirmed yet: her role is nobody's to filter by until she does
    assert members(three_members, role="observer")[1]["items"] == []
    assert members(three_members, role="observer", status="active")[1]["items"] == []
    assert [r["name"] for r in members(three_members, role="patient", status="active")[1]["items"]] == ["Ann"]


def test_pages_walk_every_member_exactly_once(three_members):
    seen, cursor = [], None
    for _ in range(10):
        query = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        status, body = members(three_members, **query)
        assert status == 200 and len(body["items"]) <= 1
        seen += [r["name"] for r in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert sorted(seen) == ["Ann", "Bob", "Cy"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "deleted"}, "status"),
        ({"role": "king"}, "role"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJwYXJ0Ijo5OX0"}, "cursor"),
    ],
)
def test_bad_filters_get_a_400_naming_the_parameter(aws, query, field):
    status, body = members(aws, **query)
    assert status == 400
    assert [e["field"] for e in body["errors"]] == [field]


def test_no_token_is_401_and_a_non_admin_is_403(three_members):
    assert members(three_members, claims=None)[0] == 401
    status, body = members(three_members, claims="member")
    assert status == 403
    assert "Ann" not in json.dumps(body)
