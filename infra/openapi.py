"""`make openapi`: the OpenAPI document of the whole API, generated from the resolvers.

Each HTTP function has its own Powertools resolver; this merges their documents into one and
adds what only the declaration knows: which routes need an administrator's token. It also says
what every public POST accepts (a plain HTML form as well as JSON) and that errors are 400s with
the `ErrorBody` shape (Powertools would otherwise advertise its own 422).

The result is committed as `functions/docs/openapi.json` and served at `GET /openapi.json`;
`tests/unit/test_openapi.py` fails when the committed copy and the code drift apart.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from infra.declaration import FUNCTIONS, all_routes

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "functions" / "docs" / "openapi.json"
TITLE = "Milton Keynes Cancer Patient Partnership API"
VERSION = "1.0.0"
FORM = "application/x-www-form-urlencoded"

# Resolvers read no configuration at import; these only keep a stray lookup from failing.
_IMPORT_ENV = {"AWS_DEFAULT_REGION": "eu-west-2", "POWERTOOLS_TRACE_DISABLED": "true"}


def _resolver_documents() -> list[dict[str, Any]]:
    for key, value in _IMPORT_ENV.items():
        os.environ.setdefault(key, value)
    documents = []
    for spec in FUNCTIONS:
        if not spec.resolver:
            continue
        module_path, _, attribute = spec.resolver.rpartition(".")
        app = getattr(importlib.import_module(module_path), attribute)
        schema = app.get_openapi_schema(title=TITLE, version=VERSION)
        documents.append(schema.model_dump(mode="json", by_alias=True, exclude_none=True))
    return documents


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
    auth = {(route.method.lower(), route.path): route.auth for route, _ in all_routes()}
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            responses.pop("422", None)  # our exception handlers answer bad input with 400
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body and FORM not in body:
                body[FORM] = body["application/json"]
            if auth.get((method, path)) == "admin":
                operation["security"] = [{"cognitoAdmins": []}]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Public forms accept application/x-www-form-urlencoded (a plain HTML form) and "
            "JSON. A browser (Accept: text/html) gets HTML pages; other clients get JSON. Bad input "
            "gets a 400 naming each bad field. Admin routes need a Cognito token in the `admins` group.",
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
                }
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
