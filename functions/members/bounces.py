"""SES bounce and complaint events, from the configuration set's SNS topic via an SQS queue.

Each message is handled on its own: one that fails is reported back (partial batch failure), so SQS
retries only it and, after its retries, parks it in the dead-letter queue. Nothing is lost.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members.env import bounces_env
from shared import clock
from shared.aws import client
from shared.email.events import parse_sqs_body
from shared.email.suppression import SuppressionList
from shared.keys import SecretLookupKey
from shared.members.bounces import record_event
from shared.members.repository import MemberRepository
from shared.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def suppressions() -> SuppressionList:
    env = bounces_env()
    return SuppressionList(client("dynamodb"), env.members_table, SecretLookupKey(env.lookup_key_secret))


@cache
def members() -> MemberRepository:
    return MemberRepository(client("dynamodb"), bounces_env().members_table)


def handle(record: SQSRecord) -> None:
    event = parse_sqs_body(record.body)
    now = clock.utc_now()
    outcome = record_event(event, suppressions(), members(), now, bounces_env().privacy_notice_version)
    logger.info(
        "SES event applied",
        extra={
            "event_type": event.event_type,
            "suppressed": len(outcome.newly_suppressed),
            "counted": outcome.counted,
        },
    )
    metrics.add_metric(name="AddressesSuppressed", unit="Count", value=len(outcome.newly_suppressed))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
