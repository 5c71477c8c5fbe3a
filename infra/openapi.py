"""`make openapi`: the OpenAPI document of the whole API, generated from the resolvers.

Each HTTP function has its own Powertools resolver; this merges their documents into one and
adds what only the declaration knows: which routes need an administrator's token. It also says
what every public POST accepts (a plain HTML form as well as JSON) and that errors are 400s with
the `ErrorBody` shape (Powertools would otherwise advertise its own 422).

Every correct refusal is documented, so a client (or a fuzzer checking responses against this
document) can tell a refusal from a fault: 401 and 403 on admin routes, 400 where there is input,
413 and 415 where there is a body, 409 where a conflicting change can happen, 503 where an email
is sent or a table or secret is read (AWS throttling that outlasted the retries: `shared.dynamo.Throttled`),
404 where a path names a member or group, and 429 (API Gateway's throttling) everywhere.
Refusals API Gateway or Powertools can give themselves (401, 403, 404, 413, 429) carry their
`{"message": ...}` shape, `GatewayError`; the functions' own refusals carry `ErrorBody`.
Schemas nothing refers to are dropped, so no `$ref` dangles (the document must pass
openapi-spec-validator).

The result is committed as `functions/docs/openapi.json` and served at `GET /openapi.json`;
`tests/unit/test_openapi.py` fails when the committed copy and the code drift apart.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.declaration import FunctionSpec, Route, all_routes, functions, reads_signing_key, table_access
from infra.local.events import RoutePattern, RouteTable

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "functions" / "docs" / "openapi.json"
TITLE = "Milton Keynes Cancer Patient Partnership API"
VERSION = "1.0.0"
FORM = "application/x-www-form-urlencoded"

# Resolvers read no configuration at import; these only keep a stray lookup from failing.
_IMPORT_ENV = {"AWS_DEFAULT_REGION": "eu-west-2"}

SCHEMAS = "#/components/schemas/"
ERROR_BODY = {"$ref": f"{SCHEMAS}ErrorBody"}
GATEWAY_ERROR = {"$ref": f"{SCHEMAS}GatewayError"}
# API Gateway answers 401 (JWT authorizer), 403, 413 and 429 itself with `{"message": "..."}`;
# the functions' own 401/403 (`shared.web.admin_refusal`) add an empty `errors` list.
# ... and Powertools answers 404 `{"statusCode": 404, "message": "Not found"}` for a path whose id
# its route pattern cannot match (e.g. `/admin/members/%C2%84`).
GATEWAY_STATUSES = ("401", "403", "404", "413", "429")
GATEWAY_ERROR_SCHEMA: dict[str, Any] = {
    "properties": {
        "message": {"type": "string", "title": "Message"},
        "errors": {"items": {"$ref": f"{SCHEMAS}FieldError"}, "type": "array", "title": "Errors"},
    },
    "type": "object",
    "required": ["message"],
    "title": "GatewayError",
    "description": 'A refusal API Gateway may give itself (`{"message": "Unauthorized"}`), or the '
    "function's: a message, and the bad fields when the function names them.",
}

# What every operation can answer besides the refusals its route declares from the domain errors it
# raises (`shared.web.refusals`): a write can meet another write to the same item in flight (409,
# `shared.dynamo.WriteConflict`), and any request can find AWS too busy after its retries (503,
# `shared.errors.Unavailable`). Nothing here names a route.
WRITE_CONFLICT = "Someone else was changing this at the same moment: reload and try again."
TOO_BUSY = "Too busy just now, or an email could not be sent: nothing was done. Try again in a few minutes."
WRITES = frozenset({"post", "put", "patch", "delete"})


def _json_error(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": dict(schema)}}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def console_refusals(method: str, path: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What a console page answers besides its own result (`shared/console/app.py`)."""
    found: dict[str, dict[str, Any]] = {
        "303": {"description": "No session, or an expired one: to sign in, then back to this page"},
        "403": _html("Signed in but not an administrator, or a form sent without its CSRF token"),
        "429": _json_error("Too many requests (API Gateway throttling): try again later", GATEWAY_ERROR),
    }
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        found["404"] = _html("Nothing has this address (it may have been removed)")
    if method == "post":
        found["400"] = _html("The form again, with each bad field named")
        found["409"] = _html("The record changed meanwhile, or the action does not apply to it")
    found["405"] = _html("The page does not take this method")
    return found


def refusals(
    method: str, path: str, operation: dict[str, Any], admin: bool, busy: bool = True
) -> dict[str, dict[str, Any]]:
    """The refusals an operation can answer with, by status: (description, schema). `busy`: its
    function calls AWS, which may be too busy after its retries."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    has_input = has_body or any(p.get("in") in ("query", "path") for p in parameters)
    found: dict[str, dict[str, Any]] = {}
    if has_input:
        found["400"] = _json_error("Bad input, naming each bad field", ERROR_BODY)
    if any(p.get("in") == "path" for p in parameters):
        found["404"] = _json_error("Not found", GATEWAY_ERROR)
    if admin:
        found["401"] = _json_error("No token, or one API Gateway refuses", GATEWAY_ERROR)
        found["403"] = _json_error("Not an administrator", GATEWAY_ERROR)
    if method in WRITES:
        found["409"] = _json_error(WRITE_CONFLICT, ERROR_BODY)
    if has_body:
        found["413"] = _json_error("Request body too large", GATEWAY_ERROR)
        found["415"] = _json_error("Unsupported content type: send JSON or a form", ERROR_BODY)
    found["429"] = _json_error("Too many requests (API Gateway throttling): try again later", GATEWAY_ERROR)
    if busy:
        found["503"] = _json_error(TOO_BUSY, ERROR_BODY)
    return found


def _document_refusals(method: str, path: str, operation: dict[str, Any], admin: bool, busy: bool) -> None:
    responses = operation.setdefault("responses", {})
    for status, refusal in refusals(method, path, operation, admin, busy).items():
        if status not in responses:
            responses[status] = refusal
        elif status in GATEWAY_STATUSES:
            # API Gateway or Powertools may answer it themselves: their shape, the route's words.
            responses[status] = {**refusal, "description": responses[status].get("description", "")}
    negotiated = any(
        {"application/json", "text/html"} <= set(answer.get("content", {}))
        for status, answer in responses.items()
        if status.startswith("2")
    )
    for status in ("400", "409", "503"):
        content = responses.get(status, {}).get("content")
        if content is None:
            continue
        if "application/json" not in content and "requestBody" in operation:
            # An HTML page for a link's problem, but a JSON client sending a bad body gets JSON.
            content["application/json"] = {"schema": dict(ERROR_BODY)}
        if "text/html" not in content and negotiated:
            # A browser's form post gets the form again, or a page, instead of JSON.
            content["text/html"] = {"schema": {"type": "string"}}
    operation["responses"] = dict(sorted(responses.items()))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _referenced_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The schemas the paths use, directly or through other schemas; the rest are dropped."""
    kept: dict[str, Any] = {}
    todo = [ref for ref in _refs(paths)]
    while todo:
        ref = todo.pop()
        name = ref.removeprefix(SCHEMAS)
        if not ref.startswith(SCHEMAS) or name in kept:
            continue
        if name not in schemas:
            raise ValueError(f"{ref} is referenced but not defined")
        kept[name] = schemas[name]
        todo.extend(_refs(schemas[name]))
    return kept


def _resolver_documents() -> list[dict[str, Any]]:
    for key, value in _IMPORT_ENV.items():
        os.environ.setdefault(key, value)
    documents = []
    for spec in functions():
        if not spec.resolver:
            continue
        module_path, _, attribute = spec.resolver.rpartition(".")
        app = getattr(importlib.import_module(module_path), attribute)
        schema = app.get_openapi_schema(title=TITLE, version=VERSION)
        documents.append(schema.model_dump(mode="json", by_alias=True, exclude_none=True))
    return documents


CONSOLE_OPEN_PATHS = frozenset({"/console/callback", "/console/signed-out"})


def serving(method: str, path: str) -> tuple[Route, FunctionSpec] | None:
    """The declared route that serves an operation, and its function, matched as API Gateway matches
    (most specific first): the console's pages are routed by prefix (`ANY /console/members/{proxy+}`)."""
    routes = RouteTable(RoutePattern(r.method, r.path, target=(r, spec)) for r, spec in all_routes())
    matched = routes.match(method.upper(), path)
    return matched[0].target if matched is not None else None


def serving_route(method: str, path: str) -> Route | None:
    found = serving(method, path)
    return found[0] if found is not None else None


def calls_aws(spec: FunctionSpec) -> bool:
    """Its function reads a table or a secret, or sends email: AWS may be too busy (a 503)."""
    return bool(table_access(spec)) or reads_signing_key(spec) or spec.lookup_key or spec.sends_email


def build_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for document in _resolver_documents():
        for path, operations in document.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(document.get("components", {}).get("schemas", {}))

    paths["/openapi.json"] = {
        "get": {
            "summary": "This document",
            "operationId": "openapi_document",
            "responses": {
                "200": {"description": "The OpenAPI document", "content": {"application/json": {}}}
            },
        }
    }
    auth: dict[tuple[str, str], str] = {}
    busy: set[tuple[str, str]] = set()
    for path, operations in paths.items():
        for method in operations:
            found = serving(method, path)
            if found is not None:
                auth[(method, path)] = found[0].auth
                if calls_aws(found[1]):
                    busy.add((method, path))
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            responses.pop("422", None)  # our exception handlers answer bad input with 400
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body and FORM not in body:
                body[FORM] = body["application/json"]
            admin = auth.get((method, path)) == "admin"
            if admin:
                operation["security"] = [{"cognitoAdmins": []}]
            if auth.get((method, path)) == "session":
                operation.setdefault("responses", {}).setdefault(
                    "429",
                    _json_error("Too many requests (API Gateway throttling): try again later", GATEWAY_ERROR),
                )
                if (method, path) in busy:
                    operation["responses"].setdefault("503", _html(TOO_BUSY))
                if path not in CONSOLE_OPEN_PATHS:
                    operation["security"] = [{"consoleSession": []}]
                    for status, answer in console_refusals(method, path, operation).items():
                        operation.setdefault("responses", {}).setdefault(status, answer)
                operation["responses"] = dict(sorted(operation.get("responses", {}).items()))
                continue
            _document_refusals(method, path, operation, admin, (method, path) in busy)
    schemas["GatewayError"] = GATEWAY_ERROR_SCHEMA
    # Powertools' own HTTPValidationError/ResponseValidationError (and the ValidationError they
    # refer to) are never answered: unreferenced, they go.
    schemas = _referenced_schemas(paths, schemas)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Public forms accept application/x-www-form-urlencoded (a plain HTML form) and "
            "JSON. A browser (Accept: text/html) gets HTML pages; other clients get JSON. Bad input "
            "gets a 400 naming each bad field; a body too large a 413, one of another content type a "
            "415; a conflicting change a 409; too many requests a 429 (API Gateway's throttling), and "
            "a request AWS throttled after its retries a 503 that says to try again. "
            "Admin routes need a Cognito token in the `admins` group (401 without one, 403 "
            "outside the group).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "cognitoAdmins": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Cognito ID or access token whose cognito:groups claim holds 'admins'.",
                },
                "consoleSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "mkcpp_console",
                    "description": "The console's session, set by /console/callback after signing in with "
                    "Cognito's managed login. Without it a page redirects (303) to sign in; a POST also "
                    "needs the session's csrf_token form field (403 without it).",
                },
            },
        },
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=False) + "\n"


def main() -> None:
    DOCUMENT.write_text(render(), encoding="utf-8")
    print(f"openapi: wrote {DOCUMENT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
