"""HTTP helpers shared by the HTTP handlers: content negotiation, pages, errors, admin checks.

A browser's form post (Accept: text/html) gets a readable page; a JSON client gets JSON.
"""

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from shared.email.render import render_page
from shared.errors import DomainError
from shared.model import Model

# Pages carry tokens in their URL: never leak them in a Referer, never cache them, never frame them.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
ADMIN_GROUP = "admins"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def wants_html(headers: Mapping[str, str]) -> bool:
    accept = headers.get("accept") or headers.get("Accept") or ""
    return "text/html" in accept.lower()


def is_form_post(headers: Mapping[str, str]) -> bool:
    content_type = headers.get("content-type") or headers.get("Content-Type") or ""
    return content_type.startswith(FORM_CONTENT_TYPE)


def page(status: int, template: str, **context: Any) -> Response[str]:
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=render_page(template, **context),
        headers=dict(PAGE_HEADERS),
    )


def json_body(status: int, data: BaseModel | Mapping[str, Any]) -> Response[Any]:
    body = data.model_dump_json() if isinstance(data, BaseModel) else json.dumps(data)
    return Response(
        status_code=status, content_type="application/json", body=body, headers=dict(JSON_HEADERS)
    )


class FieldError(Model):
    field: str
    message: str


class ErrorBody(Model):
    """The JSON error shape of the whole API: what went wrong, and each bad field."""

    message: str
    errors: list[FieldError]


def errors_body(status: int, errors: Mapping[str, str], message: str) -> Response[Any]:
    body = ErrorBody(message=message, errors=[FieldError(field=f, message=m) for f, m in errors.items()])
    return json_body(status, body)


# OpenAPI response descriptions for route decorators.
HTML_PAGE: OpenAPIResponse = {
    "description": "An HTML page",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def html_page(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def error_response(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorBody}}}


def refusals(*errors: type[DomainError]) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses for the domain errors a route can raise: by status, in their own words
    (`make openapi` documents what every route shares, such as a 503 when AWS is too busy)."""
    found: dict[int, list[str]] = {}
    for error in errors:
        found.setdefault(error.status, []).append(error.message)
    return {status: error_response(" Or: ".join(messages)) for status, messages in found.items()}


def json_response(description: str, model: type[BaseModel]) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


def admin_groups(claims: Mapping[str, Any] | None) -> set[str]:
    """`cognito:groups` as API Gateway passes it: a list, or a string like "[admins editors]".

    Group names may contain commas and brackets but never white space (Cognito's rule), so the
    string is split on white space only, after removing one pair of enclosing brackets: a group
    named "x,admins" is not "admins"."""
    raw = (claims or {}).get("cognito:groups")
    if raw is None:
        return set()
    if isinstance(raw, list):
        return {str(g) for g in raw}
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return set(text.split())


def admin_refusal(event: Mapping[str, Any], group: str = ADMIN_GROUP) -> tuple[dict[str, Any] | None, str]:
    """Defence in depth behind API Gateway's JWT authorizer, checked before anything else reads the
    request: the token's `cognito:groups` must hold `admins`. Returns (a 401/403 response or None,
    the administrator's id for the audit trail)."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims")
    if not claims:
        return _refuse(401, "Sign in as an administrator."), ""
    if group not in admin_groups(claims):
        return _refuse(403, "This needs an administrator account."), ""
    return None, str(claims.get("sub", "unknown"))


def _refuse(status: int, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **JSON_HEADERS},
        "body": ErrorBody(message=message, errors=[]).model_dump_json(),
        "isBase64Encoded": False,
    }
