"""The meetings capability's console pages (`/console/meetings`, `/console/announcements`), served by
a function of their own with the meetings capability's grants (`ConsoleApp` checks the session, the
admins group and CSRF before any route)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.meetings import console_announcements, console_meetings
from shared.console.app import ConsoleApp
from shared.observability import logger, metrics

app = ConsoleApp()
app.include_router(console_meetings.router)
app.include_router(console_announcements.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
