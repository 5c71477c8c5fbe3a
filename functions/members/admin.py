"""Administrators' routes for members, working groups and the audit trail.

API Gateway's JWT authorizer guards `/admin/*`; the resolver (`HttpApi(group=ADMIN_GROUP)`) checks
the `admins` group again before the request is even parsed (defence in depth), and keeps the
administrator's id for the audit trail (`shared.api.actor`). Domain errors carry their own status
and message (`shared.errors`), and bad input is named field by field in the words of each body's own
model, by `HttpApi` itself: nothing here maps an error.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members import admin_group_routes, admin_member_routes
from shared.api import HttpApi
from shared.observability import logger, metrics
from shared.web import ADMIN_GROUP

app = HttpApi(group=ADMIN_GROUP)
app.include_router(admin_member_routes.router)
app.include_router(admin_group_routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
