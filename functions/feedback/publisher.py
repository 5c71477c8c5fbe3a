"""The `you-said-we-did-publish` schedule, every minute: publish "you said, we did" (page, JSON feed,
headline figures) when feedback changed since its last publication; nothing otherwise. Only what
changed is written (`shared.site`); a failure leaves the last good version live."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.feedback.services import you_said_we_did
from shared import clock
from shared.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    done = you_said_we_did().publish_if_changed(clock.utc_now())
    if done is None:
        return {"published": False}
    logger.info("you said, we did published", extra={"version": done.version, "written": done.written})
    return {"published": True, "version": done.version, "written": done.written}
