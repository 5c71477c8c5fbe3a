"""The mail queue's consumer: one page of a meeting mailing per message (at most 25 emails), sent
exactly once per member, and the next page queued (`shared.meetings.mailing.Mailing`).

Each message is handled on its own, with partial batch failure: a page that fails (SES refused some
emails, whose claims are released) comes back after the queue's visibility timeout and sends only
what was not sent; after its last receive it waits in the dead-letter queue, which alarms.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.meetings.services import mailing
from shared import clock
from shared.observability import logger, metrics

# a failed page is reported as a failed item (it comes back after its timeout), never as a failed
# invocation, even when it is the only message of the batch
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle(record: SQSRecord) -> None:
    job = json.loads(record.body)
    report = mailing().handle(job, clock.utc_now())
    logger.info(
        "mail page sent",
        extra={
            "job": job.get("job"),
            "sent": report.sent,
            "skipped": report.skipped,
            "more": report.next_page,
        },
    )
    metrics.add_metric(name="MeetingEmailsSent", unit="Count", value=report.sent)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
