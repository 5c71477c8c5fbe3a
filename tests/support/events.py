"""API Gateway payload-v2 events for tests, built from the sample events in events/."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from infra.declaration import all_routes

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def _route_for(method: str, path: str) -> tuple[str, dict[str, str], str]:
    """(route key, path parameters, function name) of the declared route that serves the path, matched
    as API Gateway matches them (most specific first; the console's pages by prefix)."""
    from infra.local.events import RoutePattern, RouteTable

    table = RouteTable(
        RoutePattern(route.method, route.path, target=(route, spec)) for route, spec in all_routes()
    )
    found = table.match(method, path)
    if found is None:
        raise LookupError(f"no declared route for {method} {path}")
    pattern, params = found
    route, spec = pattern.target
    return route.route_key, params, spec.name


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    json_body: Any = None,
    form: dict[str, Any] | None = None,
    accept: str = "application/json",
    claims: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """(function name, event) for a request, shaped like the samples API Gateway sends."""
    route_key, params, function_name = _route_for(method, path)
    template = load("admin/get_members.json") if claims else load("members/get_signup_form.json")
    event = copy.deepcopy(template)
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"]["accept"] = accept
    event.pop("queryStringParameters", None)
    event.pop("pathParameters", None)
    event["rawQueryString"] = urlencode(query or {})
    if query:
        event["queryStringParameters"] = dict(query)
    if params:
        event["pathParameters"] = params
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    else:
        event["requestContext"].pop("authorizer", None)
        event["headers"].pop("authorization", None)
    event.pop("cookies", None)
    if cookies:
        event["cookies"] = [f"{name}={value}" for name, value in cookies.items()]
    event["headers"].update(headers or {})
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if json_body is not None:
        event["headers"]["content-type"] = "application/json"
        event["body"] = json.dumps(json_body)
    elif form is not None:
        event["headers"]["content-type"] = "application/x-www-form-urlencoded"
        event["body"] = base64.b64encode(urlencode(form, doseq=True).encode()).decode()
        event["isBase64Encoded"] = True
    return function_name, event


ADMIN = load("admin/get_members.json")["requestContext"]["authorizer"]["jwt"]["claims"]
NOT_ADMIN = {**ADMIN, "cognito:groups": "[volunteers]", "sub": "not-an-admin"}


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A message received from SQS, as Lambda's event source mapping hands it to its consumer."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "eu-west-2",
    }
