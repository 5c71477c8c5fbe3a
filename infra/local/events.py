"""HTTP request <-> API Gateway HTTP API (payload format 2.0) event, the way AWS builds them.

What AWS does, and so what this does:
- routes are matched most specific first: a literal segment beats `{param}`, which beats `{proxy+}`;
- header names are lower-cased and repeated headers are joined with commas; the `cookie` header
  moves to `cookies`; `x-forwarded-*` and `x-amzn-trace-id` are added;
- `rawPath` and `pathParameters` arrive URL-decoded, `rawQueryString` as sent, and
  `queryStringParameters` decoded with repeated names joined with commas;
- the body is a string for `text/*`, `application/json`, `application/xml` and
  `application/javascript`; anything else, including `application/x-www-form-urlencoded` and a
  body without a content type, arrives base64-encoded with `isBase64Encoded: true`;
- empty parts (`cookies`, `queryStringParameters`, `pathParameters`, `body`) are left out.

The response side follows the 2.0 rules: a result without `statusCode` is a 200 JSON body.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from infra.local import ACCOUNT_ID

API_ID = "local"
STAGE = "$default"
TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"})


# --- routes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutePattern:
    method: str  # GET, POST, ... or ANY
    path: str  # /admin/members/{id}, /files/{proxy+}
    target: Any = field(compare=False, default=None)

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in (method, "ANY"):
            return None
        wanted = self.segments
        given = [s for s in path.split("/")][1:] if path != "/" else []
        if len(given) > 1 and given[-1] == "":
            given.pop()  # as API Gateway does: `/console/` is served by the `/console` route
        params: dict[str, str] = {}
        for index, segment in enumerate(wanted):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = given[index:]
                if not rest or not any(rest):
                    return None
                params[segment[1:-2]] = "/".join(rest)
                return params
            if index >= len(given):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                if not given[index]:
                    return None
                params[segment[1:-1]] = given[index]
            elif segment != given[index]:
                return None
        return params if len(given) == len(wanted) else None

    def specificity(self) -> tuple[int, ...]:
        """Higher sorts first: literal segments, then parameters, then greedy; exact method first."""
        ranks = [2 if not s.startswith("{") else (0 if s.endswith("+}") else 1) for s in self.segments]
        return (*ranks, 1 if self.method != "ANY" else 0)


class RouteTable:
    def __init__(self, routes: Iterable[RoutePattern]) -> None:
        self._routes = sorted(routes, key=lambda r: r.specificity(), reverse=True)

    def match(self, method: str, path: str) -> tuple[RoutePattern, dict[str, str]] | None:
        for route in self._routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None

    def __iter__(self) -> Any:
        return iter(self._routes)


# --- request -> event ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRequest:
    """What the gateway received, independent of any web framework."""

    method: str
    path: str  # URL-decoded, without the query string
    query_string: str  # as sent, without '?'
    headers: Sequence[tuple[str, str]]  # in the order received, repeated names kept
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    port: int = 3000


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_TYPES


def request_id() -> str:
    """API Gateway's request ids look like `JKJaXmPLvHcESHA=`."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def joined_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def query_parameters(raw: str) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def http_event(
    request: HttpRequest,
    route_key: str,
    path_parameters: Mapping[str, str] | None = None,
    *,
    jwt_claims: Mapping[str, str] | None = None,
    jwt_scopes: Sequence[str] | None = None,
    now: float | None = None,
    api_request_id: str | None = None,
) -> dict[str, Any]:
    """The event API Gateway hands a Lambda integration (payload format 2.0)."""
    now = time.time() if now is None else now
    cookies: list[str] = []
    kept: list[tuple[str, str]] = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        elif lower not in HOP_BY_HOP:
            kept.append((lower, value))
    headers = joined_headers(kept)
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers["x-forwarded-port"] = str(request.port)
    headers["x-forwarded-proto"] = "http"
    headers["x-amzn-trace-id"] = trace_id(now)
    if request.body and "content-length" not in headers:
        headers["content-length"] = str(len(request.body))

    host = headers.get("host", f"127.0.0.1:{request.port}")
    domain = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": api_request_id or request_id(),
        "routeKey": route_key,
        "stage": STAGE,
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if jwt_claims is not None:
        context["authorizer"] = {
            "jwt": {"claims": dict(jwt_claims), "scopes": list(jwt_scopes) if jwt_scopes else None}
        }

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = query_parameters(request.query_string)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        if is_text(headers.get("content-type")):
            try:
                event["body"] = request.body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(request.body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


# --- result -> response --------------------------------------------------------------------------


class BadResult(ValueError):
    """A function result API Gateway could not turn into a response (it answers 500)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def http_response(result: Any) -> HttpResponse:
    """A function's result, as API Gateway turns it into an HTTP response (payload format 2.0)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # "If your function returns valid JSON and doesn't return a statusCode, API Gateway
        # assumes 200, application/json, and the whole result as the body."
        return HttpResponse(200, [("content-type", "application/json")], json.dumps(result).encode())
    status = result["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise BadResult(f"statusCode must be an HTTP status, got {result['statusCode']!r}")
    headers: list[tuple[str, str]] = []
    raw_headers = result.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise BadResult("headers must be an object")
    for name, value in raw_headers.items():
        headers.append((str(name), _header_value(value)))
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(multi, dict):
        raise BadResult("multiValueHeaders must be an object")
    for name, values in multi.items():
        if str(name).lower() in {h.lower() for h, _ in headers}:
            continue
        for value in values if isinstance(values, list) else [values]:
            headers.append((str(name), _header_value(value)))
    for cookie in result.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise BadResult(f"body must be a string, got {type(body).__name__}")
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise BadResult("isBase64Encoded is true but body is not base64") from exc
    else:
        data = body.encode("utf-8")
    return HttpResponse(status, headers, data)


def gateway_error(status: int, message: str) -> HttpResponse:
    """An answer API Gateway gives itself: `{"message": "Not Found"}` and the like."""
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("content-type", "application/json")], body)
