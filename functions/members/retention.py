"""The daily retention run: removes unsubscribed members' profiles once their grace period is over
(`unsubscribe_grace_days`), then takes off SES's suppression list every address no member we hold has
(a sign-up that bounced and expired unconfirmed). The rules live in `shared.members.unsubscribed`;
this only wires them up.

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
from shared.keys import SecretLookupKey
from shared.members.repository import MemberRepository
from shared.members.unsubscribed import Retention
from shared.observability import logger, metrics


def retention() -> Retention:
    env = retention_env()
    return Retention(
        members=MemberRepository(client("dynamodb"), env.members_table),
        audit=AuditTrail(client("dynamodb"), env.audit_table),
        account_suppressions=AccountSuppressionList(client("sesv2")),
        lookup=SecretLookupKey(env.lookup_key_secret),
        grace=timedelta(days=env.unsubscribe_grace_days),
    )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run, now = retention(), clock.utc_now()
    removed = run.run(now)
    released = run.release_unheld_addresses(now, lambda: context.get_remaining_time_in_millis() / 1000)
    return {"profiles_removed": removed, "ses_addresses_released": released}
