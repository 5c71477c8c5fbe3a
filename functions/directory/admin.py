"""Administrators' directory API (`/admin/directory/...`): entries, their change log, review,
import, reports, publishing with its preview, versions and rollback.

API Gateway's JWT authorizer guards `/admin/*`; `HttpApi(group=ADMIN_GROUP)` checks the group again
before the request is parsed. Bad input is named field by field (nested fields by their path) by
`HttpApi`; every refusal is a domain error with its own status.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.directory import admin_routes
from shared.api import HttpApi
from shared.observability import logger, metrics
from shared.web import ADMIN_GROUP

# an import carries a whole spreadsheet: up to 5 MB (a Lambda request may hold 6)
app = HttpApi(group=ADMIN_GROUP, max_body_bytes=5 * 1024 * 1024)
app.include_router(admin_routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
