"""The gateway's own behaviour, with fake functions: what API Gateway answers itself, and when."""

from __future__ import annotations

import base64
import json
from typing import Any, cast

import pytest
from werkzeug.test import Client

from infra.declaration import FunctionSpec, Route, Schedule
from infra.local.auth import Authorizer, mint
from infra.local.functions import Console, Invocation
from infra.local.gateway import Gateway

KEY = "k" * 48
PUBLIC = FunctionSpec(
    name="public",
    handler="x.public",
    description="test",
    routes=(Route("GET", "/members/signup"), Route("POST", "/members"), Route("GET", "/things/{id}")),
)
ADMIN_ROUTE = Route("GET", "/admin/members", auth="admin")
ADMIN = FunctionSpec(name="admin", handler="x.admin", description="test", routes=(ADMIN_ROUTE,))
NIGHTLY = Schedule("nightly", "cron(0 2 * * ? *)", "test", {"kind": "nightly"})


class FakeFunctions:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.result: Invocation = Invocation(True, result={"statusCode": 200, "body": "ok"})

    def invoke(self, name: str, event: dict[str, Any], *, request_id: str | None = None) -> Invocation:
        self.events.append((name, event))
        return self.result


class Quiet(Console):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)


@pytest.fixture
def functions() -> FakeFunctions:
    return FakeFunctions()


@pytest.fixture
def console() -> Quiet:
    return Quiet()


@pytest.fixture
def client(functions: FakeFunctions, console: Quiet) -> Client:
    gateway = Gateway(
        routes=[(r, spec) for spec in (PUBLIC, ADMIN) for r in spec.routes],
        functions=cast(Any, functions),
        authorizer=Authorizer(KEY),
        outbox=cast(Any, None),
        site=cast(Any, None),
        schedules={"nightly": (NIGHTLY, PUBLIC)},
        run_schedule=lambda name: Invocation(True, result={"ran": name}),
        port=3000,
        console=console,
    )
    return Client(gateway)


def test_a_route_invokes_its_function_with_a_v2_event(client: Client, functions: FakeFunctions) -> None:
    response = client.get("/things/t-1?x=1&x=2", headers={"X-A": "1"})

    assert response.status_code == 200
    assert response.get_data() == b"ok"
    [(name, event)] = functions.events
    assert name == "public"
    assert event["routeKey"] == "GET /things/{id}"
    assert event["pathParameters"] == {"id": "t-1"}
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["requestContext"]["requestId"] == response.headers["apigw-requestid"]


def test_a_form_post_reaches_the_function_base64_encoded(client: Client, functions: FakeFunctions) -> None:
    body = b"name=Ann&email=ann%40example.org"
    client.post("/members", data=body, content_type="application/x-www-form-urlencoded")

    [(_, event)] = functions.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def one_function_gateway(
    spec: FunctionSpec, functions: FakeFunctions, console: Quiet, catch_all: FunctionSpec | None = None
) -> Client:
    gateway = Gateway(
        routes=[(r, spec) for r in spec.routes],
        functions=cast(Any, functions),
        authorizer=Authorizer(KEY),
        outbox=cast(Any, None),
        site=cast(Any, None),
        schedules={},
        run_schedule=lambda name: Invocation(True),
        port=3000,
        console=console,
        catch_all=catch_all,
    )
    return Client(gateway)


def test_a_declared_root_route_serves_the_root(functions: FakeFunctions, console: Quiet) -> None:
    home = FunctionSpec(name="home", handler="x.home", description="test", routes=(Route("GET", "/"),))
    assert one_function_gateway(home, functions, console).get("/").status_code == 200
    [(name, event)] = functions.events
    assert (name, event["routeKey"], event["rawPath"]) == ("home", "GET /", "/")


def test_what_no_route_matches_goes_to_the_catch_all_function_as_the_default_route(
    functions: FakeFunctions, console: Quiet
) -> None:
    client = one_function_gateway(PUBLIC, functions, console, catch_all=PUBLIC)
    assert client.open("/nope", method="PUT").status_code == 200
    [(name, event)] = functions.events
    assert (name, event["routeKey"], event["rawPath"]) == ("public", "$default", "/nope")
    assert event["requestContext"]["http"]["method"] == "PUT"


def test_unknown_routes_are_api_gateways_404(client: Client, functions: FakeFunctions) -> None:
    # (without a catch-all function: with one, as declared, the function answers instead)
    for method, path in [("GET", "/nope"), ("PUT", "/members"), ("POST", "/")]:
        response = client.open(path, method=method)
        assert response.status_code == 404
        assert response.get_json() == {"message": "Not Found"}
    assert functions.events == []


def test_admin_routes_need_a_valid_token(client: Client, functions: FakeFunctions) -> None:
    assert client.get("/admin/members").status_code == 401
    assert client.get("/admin/members", headers={"Authorization": "Bearer nope"}).get_json() == {
        "message": "Unauthorized"
    }
    assert functions.events == []

    response = client.get("/admin/members", headers={"Authorization": f"Bearer {mint(KEY, sub='a-1')}"})

    assert response.status_code == 200
    [(_, event)] = functions.events
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert (claims["sub"], claims["cognito:groups"]) == ("a-1", "[admins]")


def test_a_failed_invocation_is_a_500_like_api_gateways(client: Client, functions: FakeFunctions) -> None:
    functions.result = Invocation(False, error={"errorType": "KeyError", "errorMessage": "boom"})

    response = client.get("/members/signup")

    assert response.status_code == 500
    assert response.get_json() == {"message": "Internal Server Error"}


def test_a_result_api_gateway_cannot_map_is_a_500(
    client: Client, functions: FakeFunctions, console: Quiet
) -> None:
    functions.result = Invocation(True, result={"statusCode": "teapot"})

    assert client.get("/members/signup").status_code == 500
    assert any("statusCode" in line for line in console.lines)


def test_the_access_log_has_no_query_string_and_no_ids(client: Client, console: Quiet) -> None:
    client.get("/things/secret-reference?token=secret-token")

    [line] = [line for line in console.lines if line.startswith("GET ")]
    assert "secret" not in line
    assert line.startswith("GET /things/{id} 200 ")


def test_schedules_run_on_request_and_unknown_ones_are_named(client: Client) -> None:
    assert client.post("/_local/schedules/nightly/run").get_json() == {"ran": "nightly"}
    assert client.get("/_local/schedules/nightly/run").status_code == 405
    missing = client.post("/_local/schedules/nope/run")
    assert missing.status_code == 404
    assert "nightly" in json.loads(missing.get_data())["message"]
