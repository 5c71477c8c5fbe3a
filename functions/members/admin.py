"""Administrators' member routes. API Gateway's JWT authorizer guards `/admin/*`; the handler
checks the `admins` group again (defence in depth)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members.env import admin_env
from shared.aws import client
from shared.dynamo import BadCursor
from shared.members.models import MemberPage, MemberStatus, Role
from shared.members.repository import MemberRepository
from shared.members.service import member_page
from shared.observability import logger, metrics, tracer
from shared.web import error_response, errors_body, json_response, require_admin

app = APIGatewayHttpResolver(enable_validation=True)
app.use(middlewares=[require_admin])


@cache
def repository() -> MemberRepository:
    return MemberRepository(client("dynamodb"), admin_env().members_table)


@app.get(
    "/admin/members",
    summary="List members, newest first (admins only)",
    responses={
        200: json_response("One page of members", MemberPage),
        400: error_response("Bad filter or cursor"),
        401: error_response("No token"),
        403: error_response("Not an administrator"),
    },
)
def list_members(
    status: Annotated[MemberStatus | None, Query()] = None,
    role: Annotated[Role | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> MemberPage:
    page = member_page(repository(), status, role, limit, cursor)
    logger.info("members listed", extra={"admin_id": app.context.get("admin_id"), "count": len(page.items)})
    return page


@app.exception_handler(BadCursor)
def _bad_cursor(_: BadCursor) -> Response[Any]:
    return errors_body(400, {"cursor": "Use the `next` value from the previous page"}, "Bad cursor.")


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[Any]:
    errors: dict[str, str] = {}
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ()) if p not in ("query", "body")]
        errors.setdefault(loc[0] if loc else "request", str(item.get("msg")))
    return errors_body(400, errors, "Some parameters need correcting.")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
