"""The monthly `directory-review` schedule: email the reviewers the entries due to be checked."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.directory.env import directory_env
from functions.directory.services import ledger, mailer, repository
from shared import clock
from shared.directory.review import remind
from shared.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = directory_env()
    now = clock.utc_now()
    listed = remind(
        repository().all(),
        now.astimezone(ZoneInfo(env.time_zone)).date(),
        now,
        mailer=mailer(),
        ledger=ledger(),
        reviewers=tuple(env.coordinators),
        console_url=env.base_url,
    )
    logger.info("directory review reminder", extra={"entries_due": listed})
    return {"entries_due": listed}
