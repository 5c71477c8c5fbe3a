"""The committed OpenAPI document is what the code generates; reviewers see every API change."""

import json

from infra import openapi
from infra.declaration import all_routes


def test_committed_document_matches_the_code():
    committed = openapi.DOCUMENT.read_text(encoding="utf-8")
    assert committed == openapi.render(), "the API changed: run `make openapi` and commit the result"


def test_document_and_declaration_list_the_same_routes():
    document = json.loads(openapi.render())
    documented = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}
    assert documented == {route.route_key for route, _ in all_routes()}


def test_admin_routes_and_only_admin_routes_need_a_token():
    document = json.loads(openapi.render())
    for route, _ in all_routes():
        operation = document["paths"][route.path][route.method.lower()]
        assert ("security" in operation) == (route.auth == "admin"), route.route_key
