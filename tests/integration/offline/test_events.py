"""The API Gateway HTTP API event (payload 2.0) and response mapping, as AWS builds them."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import pytest

from infra.declaration import all_routes
from infra.local.events import (
    BadResult,
    HttpRequest,
    RoutePattern,
    RouteTable,
    http_event,
    http_response,
    is_text,
)

NOW = 1795860930.123  # 2026-11-28 10:15:30.123 UTC


def request(**changes: object) -> HttpRequest:
    fields: dict[str, object] = {
        "method": "GET",
        "path": "/members/confirm",
        "query_string": "token=abc%2Bdef&lang=en&lang=cy",
        "headers": [
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "Mozilla/5.0"),
            ("Accept", "text/html"),
            ("X-Custom", "one"),
            ("x-custom", "two"),
            ("Cookie", "a=1; b=2"),
            ("Connection", "keep-alive"),
        ],
        "source_ip": "127.0.0.1",
        "port": 3000,
    }
    fields.update(changes)
    return HttpRequest(**fields)  # type: ignore[arg-type]


def test_the_event_has_the_payload_2_0_shape() -> None:
    event = http_event(request(), "GET /members/confirm", now=NOW, api_request_id="req=")

    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /members/confirm"
    assert event["rawPath"] == "/members/confirm"
    assert event["rawQueryString"] == "token=abc%2Bdef&lang=en&lang=cy"
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    assert "pathParameters" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/members/confirm",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "Mozilla/5.0",
    }
    assert context["routeKey"] == "GET /members/confirm"
    assert context["stage"] == "$default"
    assert context["requestId"] == "req="
    assert context["time"] == "28/Nov/2026:10:15:30 +0000"
    assert context["timeEpoch"] == 1795860930123
    assert context["domainName"] == "127.0.0.1"
    assert {"accountId", "apiId", "domainPrefix"} <= set(context)
    assert "authorizer" not in context


def test_headers_are_lower_case_and_repeats_are_comma_joined() -> None:
    headers = http_event(request(), "GET /members/confirm", now=NOW)["headers"]

    assert headers["x-custom"] == "one,two"
    assert headers["host"] == "127.0.0.1:3000"
    assert all(name == name.lower() for name in headers)
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-port"] == "3000"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert "connection" not in headers


def test_cookies_move_out_of_the_headers() -> None:
    event = http_event(request(), "GET /members/confirm", now=NOW)

    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert "cookies" not in http_event(request(headers=[("Host", "x")]), "GET /x", now=NOW)


def test_query_parameters_are_decoded_and_repeats_comma_joined() -> None:
    event = http_event(request(), "GET /members/confirm", now=NOW)

    assert event["queryStringParameters"] == {"token": "abc+def", "lang": "en,cy"}
    assert "queryStringParameters" not in http_event(request(query_string=""), "GET /x", now=NOW)


def test_a_form_post_body_arrives_base64_encoded_as_api_gateway_sends_it() -> None:
    body = b"name=Ann+Example&email=ann%40example.org"
    post = request(
        method="POST",
        path="/members",
        query_string="",
        headers=[("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", str(len(body)))],
        body=body,
    )

    event = http_event(post, "POST /members", now=NOW)

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
    assert parse_qs(base64.b64decode(event["body"]).decode())["email"] == ["ann@example.org"]


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/json", False),
        ("application/json; charset=utf-8", False),
        ("text/plain", False),
        ("text/html; charset=utf-8", False),
        ("application/xml", False),
        ("application/javascript", False),
        ("application/x-www-form-urlencoded", True),
        ("multipart/form-data; boundary=x", True),
        ("application/octet-stream", True),
        (None, True),
    ],
)
def test_which_bodies_are_base64_encoded(content_type: str | None, encoded: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    event = http_event(request(method="POST", headers=headers, body=b'{"a": 1}'), "POST /x", now=NOW)

    assert event["isBase64Encoded"] is encoded
    assert (base64.b64decode(event["body"]) if encoded else event["body"].encode()) == b'{"a": 1}'
    assert is_text(content_type) is not encoded


def test_jwt_claims_go_to_the_authorizer_context() -> None:
    claims = {"sub": "u1", "cognito:groups": "[admins]"}

    event = http_event(request(), "GET /admin/members", jwt_claims=claims, now=NOW)

    assert event["requestContext"]["authorizer"] == {"jwt": {"claims": claims, "scopes": None}}


def test_path_parameters_come_from_the_matched_route() -> None:
    table = RouteTable(
        [
            RoutePattern("GET", "/admin/members/{id}"),
            RoutePattern("GET", "/admin/members/export"),
            RoutePattern("ANY", "/files/{proxy+}"),
            RoutePattern("DELETE", "/admin/members/{id}"),
        ]
    )

    route, params = table.match("GET", "/admin/members/m-1") or (None, None)
    assert (route and route.route_key, params) == ("GET /admin/members/{id}", {"id": "m-1"})
    route, params = table.match("GET", "/admin/members/export") or (None, None)
    assert (route and route.route_key, params) == ("GET /admin/members/export", {})
    route, params = table.match("POST", "/files/a/b.txt") or (None, None)
    assert (route and route.route_key, params) == ("ANY /files/{proxy+}", {"proxy": "a/b.txt"})
    assert table.match("PATCH", "/admin/members/m-1") is None
    # a trailing slash is ignored, as API Gateway does; an empty parameter never matches
    route, params = table.match("GET", "/admin/members/m-1/") or (None, None)
    assert (route and route.route_key, params) == ("GET /admin/members/{id}", {"id": "m-1"})
    assert table.match("GET", "/admin/members/") is None
    assert table.match("GET", "/admin/members//") is None


def test_every_declared_route_matches_itself() -> None:
    table = RouteTable(RoutePattern(r.method, r.path) for r, _ in all_routes())
    for route, _spec in all_routes():
        path = route.path.replace("{", "").replace("}", "")
        matched = table.match(route.method, path)
        assert matched is not None
        assert matched[0].route_key == route.route_key


def test_a_result_with_status_headers_cookies_and_body() -> None:
    response = http_response(
        {
            "statusCode": 202,
            "headers": {"Content-Type": "text/html; charset=utf-8", "X-Count": 3},
            "cookies": ["a=1; Secure", "b=2"],
            "body": "<p>ok</p>",
            "isBase64Encoded": False,
        }
    )

    assert response.status == 202
    assert ("Content-Type", "text/html; charset=utf-8") in response.headers
    assert ("X-Count", "3") in response.headers
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1; Secure", "b=2"]
    assert response.body == b"<p>ok</p>"


def test_a_base64_result_body_is_decoded() -> None:
    response = http_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )

    assert response.body == b"\x00\x01"


def test_a_result_without_status_code_is_a_200_json_answer() -> None:
    response = http_response({"hello": "world"})

    assert response.status == 200
    assert response.headers == [("content-type", "application/json")]
    assert json.loads(response.body) == {"hello": "world"}


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "abc"},
        {"statusCode": 42},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
    ],
)
def test_results_api_gateway_refuses(result: dict[str, object]) -> None:
    with pytest.raises(BadResult):
        http_response(result)
