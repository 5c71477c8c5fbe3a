"""Administrators' routes for members, working groups and the audit trail.

API Gateway's JWT authorizer guards `/admin/*`; the resolver (`HttpApi(group=ADMIN_GROUP)`) checks
the `admins` group again before the request is even parsed (defence in depth), and keeps the
administrator's id for the audit trail (`shared.api.actor`). Domain errors carry their own status
and message (`shared.errors`); only bad input needs a handler here, to name each field.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members import admin_group_routes, admin_member_routes
from shared.api import HttpApi
from shared.groups import GroupPatch
from shared.members.admin import MemberPatch
from shared.observability import logger, metrics
from shared.web import ADMIN_GROUP, errors_body

app = HttpApi(group=ADMIN_GROUP)
app.include_router(admin_member_routes.router)
app.include_router(admin_group_routes.router)


# Fields a change may not send, and what to do instead (every other unknown field is named too).
REFUSED_FIELDS = {"/admin/groups": GroupPatch.messages, "/admin/members": MemberPatch.messages}


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[Any]:
    errors: dict[str, str] = {}
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ()) if p not in ("query", "body", "path")]
        name = loc[0] if loc else "body"
        if item.get("type") == "extra_forbidden":
            path = app.current_event.path
            refused = next((m for prefix, m in REFUSED_FIELDS.items() if path.startswith(prefix)), {})
            message = refused.get(name, "This is not a field you can send here")
        else:
            message = str(item.get("msg")).removeprefix("Value error, ")
        errors.setdefault(name, message)
    return errors_body(400, errors, "Some fields need correcting.")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
