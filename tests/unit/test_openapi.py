"""The committed OpenAPI document is what the code generates; reviewers see every API change."""

import json
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from infra import openapi
from infra.declaration import all_routes


def test_committed_document_matches_the_code():
    committed = openapi.DOCUMENT.read_text(encoding="utf-8")
    assert committed == openapi.render(), "the API changed: run `make openapi` and commit the result"


def test_document_and_declaration_list_the_same_routes():
    document = json.loads(openapi.render())
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    # every documented operation is served by a declared route
    unserved = sorted(f"{m.upper()} {p}" for m, p in documented if openapi.serving_route(m, p) is None)
    assert unserved == []
    # every declared route is documented: a route of one method as itself, a console prefix by the
    # pages under it (its `{proxy+}` may serve none: it answers the console's "page not found")
    for route, _ in all_routes():
        if route.method != "ANY":
            assert (route.method.lower(), route.path) in documented, route.route_key
        elif not route.path.endswith("{proxy+}"):
            assert any(openapi.serving_route(m, p) == route for m, p in documented), route.route_key


def test_admin_routes_and_only_admin_routes_need_a_token():
    document = json.loads(openapi.render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = openapi.serving_route(method, path)
            assert route is not None
            if route.auth == "session" and path not in openapi.CONSOLE_OPEN_PATHS:
                assert operation["security"] == [{"consoleSession": []}], (method, path)
                continue
            assert ("security" in operation) == (route.auth == "admin"), (method, path)


def test_generated_and_committed_documents_are_valid_openapi():
    """openapi-spec-validator checks the structure and that every `$ref` resolves (issue 6, item 9:
    a dangling `#/components/schemas/ValidationError` made the document invalid)."""
    validate(openapi.build_document())
    validate(json.loads(openapi.DOCUMENT.read_text(encoding="utf-8")))


def test_no_schema_is_referenced_but_undefined_or_defined_but_unused():
    document = openapi.build_document()
    defined = set(document["components"]["schemas"])
    referenced = {ref.removeprefix(openapi.SCHEMAS) for ref in openapi._refs(document)}
    assert referenced == defined


def test_a_dangling_reference_fails_the_build():
    paths = {"/x": {"get": {"responses": {"200": {"$ref": f"{openapi.SCHEMAS}Missing"}}}}}
    with pytest.raises(ValueError, match="Missing is referenced but not defined"):
        openapi._referenced_schemas(paths, {})


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    document = openapi.build_document()
    return [(m, p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def _json_schema(operation: dict[str, Any], status: str) -> dict[str, Any]:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_every_correct_refusal_is_documented():
    """Refusals are answers, not faults: the fuzz test checks every response against the document."""
    for method, path, operation in _operations():
        label = f"{method.upper()} {path}"
        route = openapi.serving_route(method, path)
        assert route is not None, label
        responses = operation["responses"]
        assert _json_schema(operation, "429") == openapi.GATEWAY_ERROR, label
        if route.auth == "session":
            if path not in openapi.CONSOLE_OPEN_PATHS:  # sign in first; then admins only, with CSRF
                assert "303" in responses and set(responses["403"]["content"]) == {"text/html"}, label
                # every refusal is a page, whatever the request accepts
                assert set(responses["405"]["content"]) == {"text/html"}, label
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert set(responses["404"]["content"]) == {"text/html"}, label
            continue
        if route.auth == "admin":
            for status in ("401", "403"):
                assert _json_schema(operation, status) == openapi.GATEWAY_ERROR, label
        if "requestBody" in operation:
            assert _json_schema(operation, "413") == openapi.GATEWAY_ERROR, label
            assert _json_schema(operation, "415") == openapi.ERROR_BODY, label
            assert _json_schema(operation, "400") == openapi.ERROR_BODY, label
        if operation.get("parameters"):
            assert "400" in responses, label
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert _json_schema(operation, "404") == openapi.GATEWAY_ERROR, label
        if method in openapi.WRITES:  # another write to the same item in flight
            assert _json_schema(operation, "409") == openapi.ERROR_BODY, label


def test_a_routes_refusals_come_from_the_domain_errors_it_raises():
    from shared.members.repository import MemberNotFound, StaleMember

    document = openapi.build_document()
    patch = document["paths"]["/admin/members/{id}"]["patch"]["responses"]
    assert patch["404"]["description"] == MemberNotFound.message
    assert StaleMember.message in patch["409"]["description"]


def test_html_refusals_stay_declared():
    document = openapi.build_document()
    confirm = document["paths"]["/members/confirm"]["get"]["responses"]["400"]
    assert set(confirm["content"]) == {"text/html"}
    signup = document["paths"]["/members"]["post"]["responses"]["400"]
    assert set(signup["content"]) == {"application/json", "text/html"}


def test_api_gateways_own_401_matches_the_documented_schema():
    """The JWT authorizer answers `{"message": "Unauthorized"}` (no `errors`); the function's own
    admin check adds an empty `errors` list. Both must match the 401 schema; a field error must not
    lose its shape."""
    document = openapi.build_document()
    schema = {"$ref": openapi.GATEWAY_ERROR["$ref"], "components": document["components"]}
    validator = OAS31Validator(schema)
    assert validator.is_valid({"message": "Unauthorized"})
    assert validator.is_valid({"message": "Sign in as an administrator.", "errors": []})
    assert not validator.is_valid({"errors": []})
    assert not validator.is_valid({"message": "x", "errors": [{"field": "a"}]})


def test_every_route_that_reads_a_table_or_secret_documents_the_503_of_throttling():
    """AWS throttling that outlasts botocore's retries is a 503 'try again' (`shared.dynamo.Throttled`)
    on every route of a function that reads a table or a secret; the docs route reads neither."""
    for method, path, operation in _operations():
        found = openapi.serving(method, path)
        assert found is not None
        route, spec = found
        if openapi.calls_aws(spec) and route.auth == "session":
            assert set(operation["responses"]["503"]["content"]) == {"text/html"}, (method, path)
        elif openapi.calls_aws(spec):
            assert _json_schema(operation, "503") == openapi.ERROR_BODY, (method, path)
        else:
            assert "503" not in operation["responses"], (method, path)
