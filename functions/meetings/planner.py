"""The `meeting-reminders` schedule, every minute: plans what is due (`shared.meetings.mailing.Planner`)
and puts it on the mail queue. A run is safe to repeat: each reminder offset, settled change,
report-back request and announcement is marked planned by a conditional write, once.

Invoked by EventBridge Scheduler (asynchronously): a failure is retried, then lands in the function's
dead-letter queue, which alarms.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.meetings.services import planner
from shared import clock
from shared.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = planner().run(clock.utc_now())
    metrics.add_metric(name="ReminderPagesQueued", unit="Count", value=report.queued)
    return report._asdict()
