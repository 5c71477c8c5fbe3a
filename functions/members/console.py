"""The members capability's console pages (`/console/members`, `/console/groups`,
`/console/offline-members`), served by a function of their own with the members capability's grants.

`ConsoleApp` checks the session, the admins group and every form's CSRF token before a route runs
(`shared/console/app.py`); the pages are the routers beside this module.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members import console_groups, console_members
from shared.console.app import ConsoleApp
from shared.observability import logger, metrics

# the import page takes a spreadsheet file (read as text): 200 people fit well inside 1 MB
app = ConsoleApp(max_body_bytes=1024 * 1024, files=True)
app.include_router(console_members.router)
app.include_router(console_groups.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
