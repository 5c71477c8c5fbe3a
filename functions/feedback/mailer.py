"""Feedback's scheduled emails, by the schedule's `kind`: the coordinators' daily digest
(`feedback-digest`), the escalation of urgent items nobody acknowledged (`feedback-escalation`), and
the follow-up question four weeks after an item closed, with the erasure of contacts whose window
is over (`feedback-follow-up`). Each email goes exactly once (`shared.send_once`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.feedback.services import service
from shared import clock
from shared.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = str(event.get("kind", ""))
    now = clock.utc_now()
    if kind == "feedback_digest":
        done: dict[str, Any] = {"items": service().digest(now)}
    elif kind == "feedback_escalation":
        done = {"escalated": service().escalate(now)}
        metrics.add_metric(name="FeedbackEscalated", unit="Count", value=done["escalated"])
    elif kind == "feedback_follow_up":
        asked, erased = service().follow_ups(now)
        done = {"asked": asked, "contacts_erased": erased}
    else:
        raise ValueError(f"unknown schedule kind {kind!r}")
    logger.info("feedback schedule ran", extra={"kind": kind, **done})
    return done
