"""The feedback console pages (`/console/feedback...`), served by a function of their own with the
feedback capability's grants. `ConsoleApp` checks the session, the admins group and every form's
CSRF token before a route runs; the pages are in `console_pages`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.feedback import console_pages
from shared.console.app import ConsoleApp
from shared.observability import logger, metrics

app = ConsoleApp()
app.include_router(console_pages.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
