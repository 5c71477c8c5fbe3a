"""The local HTTP API: API Gateway (HTTP API, payload 2.0, JWT authorizer) in front of the workers.

Routes come from `infra.declaration.all_routes()` (`GET /` is the sign-up form, as in AWS). Besides
them, and only locally:
- `GET /_local/outbox` lists the emails sent, `DELETE /_local/outbox` clears that list;
- `GET /_local/schedules` lists the schedules, `POST /_local/schedules/{name}/run` runs one now;
- `POST /_local/email-events[/bounce|/complaint]` queues an SES event (see `infra.local.queues`);
- `/site/...` serves the published site from its S3 bucket, as CloudFront would;
- `/_local/cognito/...` is the stand-in for Cognito's managed login (`infra.local.cognito`).

The access log shows the method, the route (never the query string, which carries tokens), the
status and the time taken; request bodies are never logged.
"""

from __future__ import annotations

import json
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from infra.declaration import SITE, FunctionSpec, Route, Schedule
from infra.local.auth import Authorizer, Unauthorized
from infra.local.cognito import LocalLogin
from infra.local.environment import LOGIN_PATH
from infra.local.events import (
    BadResult,
    HttpRequest,
    HttpResponse,
    RoutePattern,
    RouteTable,
    gateway_error,
    http_event,
    http_response,
    request_id,
)
from infra.local.functions import Console, Functions
from infra.local.outbox import Outbox
from infra.local.queues import EmailEvents

NOT_FOUND_PAGE = (
    b'<!doctype html><html lang="en-GB"><meta charset="utf-8">'
    b'<meta name="viewport" content="width=device-width, initial-scale=1"><title>Page not found</title>'
    b"<main><h1>Page not found</h1><p>There is nothing published at this address.</p></main></html>"
)


DEFAULT_ROUTE = Route("GET", "$default")  # stands for the `$default` route in the access log and events


def json_response(status: int, data: Any) -> HttpResponse:
    body = json.dumps(data, indent=2, default=str).encode()
    return HttpResponse(status, [("content-type", "application/json")], body)


class Site:
    """The published site: objects of the site bucket, as CloudFront serves them. A section published
    by `shared/site` (it has a live pointer) is served from its live version, resolved as the
    CloudFront Function does (`shared.site.routing.resolve`); anything else is the bucket's own key."""

    def __init__(
        self, s3: Any, bucket: str = SITE.local_name, prefix: str = SITE.public_prefix or ""
    ) -> None:
        """`/site/<path>` is the bucket's `<prefix><path>`, as CloudFront's `/site/*` behaviour maps it."""
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix
        self._entries: dict[str, tuple[str, dict[str, str]]] = {}  # section -> (pointer, its entries)

    def _get(self, key: str) -> tuple[bytes, str] | None:
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=self._prefix + key)
        except self._s3.exceptions.NoSuchKey:
            return None
        return found["Body"].read(), found.get("ContentType") or "application/octet-stream"

    def _published(self, key: str) -> tuple[bytes, str] | bool | None:
        """The live version's bytes of a published section's path; None if it has no such path;
        False if the path is not in a published section."""
        from shared.site.routes import ROUTES_FOLDER
        from shared.site.routing import normalise_path, object_key, parse_pointer, resolve

        section, _, rest = key.partition("/")
        pointer = self._get(f"{section}/{ROUTES_FOLDER}/pointer")
        if pointer is None:
            return False
        live = pointer[0].decode()
        cached = self._entries.get(section)
        if cached is None or cached[0] != live:  # entries only matter once the pointer names them
            found = self._get(f"{section}/{ROUTES_FOLDER}/entries.json")
            cached = (live, json.loads(found[0]) if found else {})
            self._entries[section] = cached
        path = normalise_path(rest)
        location = resolve(parse_pointer(live), cached[1].get(path)) if path else None
        if location is None or path is None:
            return None
        return self._get(object_key("", section, location, path))

    def serve(self, method: str, path: str) -> HttpResponse:
        if method not in ("GET", "HEAD"):
            return gateway_error(405, "Method Not Allowed")
        if path == "/site":
            return HttpResponse(301, [("location", "/site/")], b"")
        key = path[len("/site/") :]
        if "/" not in key and key and self._get(f"{key}/_routes/pointer") is not None:
            return HttpResponse(301, [("location", f"{path}/")], b"")
        published = self._published(key)
        if published is not False:
            if published is None:
                return HttpResponse(404, [("content-type", "text/html; charset=utf-8")], NOT_FOUND_PAGE)
            from shared.site.routing import SECURITY_HEADERS

            body, content_type = published  # type: ignore[misc]
            return HttpResponse(200, [("content-type", content_type), *SECURITY_HEADERS.items()], body)
        if key == "" or key.endswith("/"):
            key += "index.html"
        found = self._get(key)
        if found is None and not key.endswith("index.html") and self._get(f"{key}/index.html") is not None:
            return HttpResponse(301, [("location", f"{path}/")], b"")
        if found is None:
            page = self._get("404.html")
            body, content_type = page if page is not None else (NOT_FOUND_PAGE, "text/html; charset=utf-8")
            return HttpResponse(404, [("content-type", content_type)], body)
        body, content_type = found
        return HttpResponse(200, [("content-type", content_type)], body)


class Gateway:
    def __init__(
        self,
        *,
        routes: Iterable[tuple[Route, FunctionSpec]],
        functions: Functions,
        authorizer: Authorizer,
        outbox: Outbox,
        site: Site,
        schedules: Mapping[str, tuple[Schedule, FunctionSpec]],
        run_schedule: Callable[[str], Any],
        email_events: EmailEvents | None = None,
        port: int,
        console: Console,
        login: LocalLogin | None = None,
        catch_all: FunctionSpec | None = None,
    ) -> None:
        self._routes = RouteTable(RoutePattern(r.method, r.path, target=(r, spec)) for r, spec in routes)
        self._functions = functions
        self._authorizer = authorizer
        self._outbox = outbox
        self._site = site
        self._schedules = schedules
        self._run_schedule = run_schedule
        self._email_events = email_events
        self._port = port
        self._console = console
        self._login = login
        self._catch_all = catch_all  # API Gateway's `$default` route: what no other route matches

    # --- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        label = request.path
        api_request_id = request_id()
        try:
            incoming = self._http_request(request)
        except (OSError, ValueError):  # a body that cannot be read (bad chunking): API Gateway says 400
            incoming = None
        try:
            if incoming is None:
                answer = gateway_error(400, "Bad Request")
            else:
                answer, label = self.handle(incoming, api_request_id)
        except Exception:
            self._console.line("gateway | " + traceback.format_exc().rstrip().replace("\n", "\ngateway | "))
            answer = gateway_error(500, "Internal Server Error")
        response = Response(answer.body, status=answer.status, headers=answer.headers)
        if not any(name.lower() == "content-type" for name, _ in answer.headers):
            del response.headers["Content-Type"]
        response.headers["apigw-requestid"] = api_request_id
        elapsed = (time.perf_counter() - started) * 1000
        self._console.line(f"{request.method} {label} {answer.status} {elapsed:.0f} ms")
        return response(environ, start_response)

    def _http_request(self, request: Request) -> HttpRequest:
        return HttpRequest(
            method=request.method,
            path=request.path,
            query_string=request.query_string.decode("utf-8", "replace"),
            headers=list(request.headers.items()),
            body=request.get_data(cache=True, as_text=False, parse_form_data=False),
            source_ip=request.remote_addr or "127.0.0.1",
            protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            port=self._port,
        )

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, request: HttpRequest, api_request_id: str) -> tuple[HttpResponse, str]:
        """The response, and how to name the request in the access log: the route's path pattern
        (`/admin/members/{id}`), so ids and references in paths stay out of the log."""
        path = request.path
        if self._login is not None and (path == LOGIN_PATH or path.startswith(LOGIN_PATH + "/")):
            return self._login.handle(request), LOGIN_PATH
        if path.startswith("/_local/") or path == "/_local":
            return self._local(request), path
        if path == "/site" or path.startswith("/site/"):
            return self._site.serve(request.method, path), path
        matched = self._routes.match(request.method, path)
        if matched is None and self._catch_all is not None:
            fallback = RoutePattern("ANY", "/{proxy+}", target=(DEFAULT_ROUTE, self._catch_all))
            return self._api(request, fallback, {}, api_request_id, route_key="$default"), "$default"
        if matched is None:
            return gateway_error(404, "Not Found"), path
        route, parameters = matched
        return self._api(request, route, parameters, api_request_id), route.path

    def _api(
        self,
        request: HttpRequest,
        route: RoutePattern,
        parameters: dict[str, str],
        api_request_id: str,
        route_key: str | None = None,
    ) -> HttpResponse:
        declared, spec = route.target
        claims: dict[str, str] | None = None
        scopes: list[str] | None = None
        if declared.auth == "admin":
            authorization = next((v for k, v in request.headers if k.lower() == "authorization"), None)
            try:
                claims, scopes = self._authorizer.authorize(authorization)
            except Unauthorized:
                return gateway_error(401, "Unauthorized")
        event = http_event(
            request,
            route_key or route.route_key,
            parameters,
            jwt_claims=claims,
            jwt_scopes=scopes,
            api_request_id=api_request_id,
        )
        outcome = self._functions.invoke(spec.name, event, request_id=str(uuid.uuid4()))
        if not outcome.ok:
            return gateway_error(500, "Internal Server Error")
        try:
            return http_response(outcome.result)
        except BadResult as exc:
            self._console.line(f"gateway | {spec.name} returned a result API Gateway refuses: {exc}")
            return gateway_error(500, "Internal Server Error")

    # --- /_local ---------------------------------------------------------------------------------

    def _local(self, request: HttpRequest) -> HttpResponse:
        method, parts = request.method, [p for p in request.path.split("/") if p][1:]
        if parts == ["outbox"]:
            if method == "GET":
                return json_response(200, self._outbox.emails())
            if method == "DELETE":
                return json_response(200, {"cleared": self._outbox.clear()})
            return gateway_error(405, "Method Not Allowed")
        if parts == ["schedules"] and method == "GET":
            listed = [
                {"name": name, "function": fn.name, "expression": s.expression, "description": s.description}
                for name, (s, fn) in self._schedules.items()
            ]
            return json_response(200, listed)
        if len(parts) == 3 and parts[0] == "schedules" and parts[2] == "run":
            if method != "POST":
                return gateway_error(405, "Method Not Allowed")
            name = parts[1]
            if name not in self._schedules:
                known = ", ".join(sorted(self._schedules)) or "none are declared"
                return json_response(404, {"message": f"no schedule named {name!r}; known: {known}"})
            outcome = self._run_schedule(name)
            if outcome.ok:
                return json_response(200, outcome.result)
            return json_response(500, outcome.error)
        if parts[:1] == ["email-events"] and len(parts) <= 2:
            return self._email_event(request, parts[1:])
        return gateway_error(404, "Not Found")

    def _email_event(self, request: HttpRequest, kind: list[str]) -> HttpResponse:
        """Queue an SES bounce or complaint event, as SES -> SNS -> SQS would deliver it."""
        if request.method != "POST":
            return gateway_error(405, "Method Not Allowed")
        if self._email_events is None or not self._email_events.pollers:
            return json_response(404, {"message": "no function is declared with ses_events"})
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return json_response(400, {"message": "send a JSON object"})
        if not isinstance(data, dict):
            return json_response(400, {"message": "send a JSON object"})
        if kind == []:
            if "eventType" not in data:
                return json_response(400, {"message": "send an SES event notification (with eventType)"})
            queued = self._email_events.publish(data)
        elif kind in (["bounce"], ["complaint"]) and isinstance(data.get("to"), str):
            bounce_type = str(data.get("type", "Permanent"))
            if kind == ["bounce"] and bounce_type not in ("Permanent", "Transient", "Undetermined"):
                return json_response(400, {"message": "type is Permanent, Transient or Undetermined"})
            ref = data.get("ref") if isinstance(data.get("ref"), str) else None  # the email's mailing
            queued = (
                self._email_events.bounce(data["to"], bounce_type, ref)
                if kind == ["bounce"]
                else self._email_events.complaint(data["to"], ref)
            )
        elif kind in (["bounce"], ["complaint"]):
            return json_response(400, {"message": 'send {"to": "address"}'})
        else:
            return gateway_error(404, "Not Found")
        return json_response(202, {"queued": queued})
