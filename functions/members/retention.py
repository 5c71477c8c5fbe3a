"""The daily retention run: removes unsubscribed members' profiles once their grace period is over
(`unsubscribe_grace_days`). The rule lives in `shared.members.unsubscribed`; this only wires it up.

Invoked by EventBridge Scheduler (asynchronously): a failure is retried, then lands in the function's
dead-letter queue, which alarms. A run is safe to repeat: a removed profile is not removed again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members.env import retention_env
from shared import clock
from shared.audit import AuditTrail
from shared.aws import client
from shared.email.account_suppression import AccountSuppressionList
from shared.members.repository import MemberRepository
from shared.members.unsubscribed import Retention
from shared.observability import logger, metrics


def retention() -> Retention:
    env = retention_env()
    return Retention(
        members=MemberRepository(client("dynamodb"), env.members_table),
        audit=AuditTrail(client("dynamodb"), env.audit_table),
        account_suppressions=AccountSuppressionList(client("sesv2")),
        grace=timedelta(days=env.unsubscribe_grace_days),
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    removed = retention().run(clock.utc_now())
    return {"profiles_removed": removed}
