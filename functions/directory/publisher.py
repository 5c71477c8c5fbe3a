"""Publishes the directory: nightly (the `directory-publish` schedule), and when the admin API or the
console asks for a publication too large to write inside a web request (the `directory_publish`
queue, one request per message). Only what changed is written; when nothing changed, nothing is (and
no version is made). A failure leaves the last good version live, and the next run cleans up after
it. A request that finds another publication under way comes back after the queue's visibility
timeout, and publishes whatever has changed since."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.directory.services import publication
from shared import clock
from shared.observability import logger, metrics

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def publish(actor: str) -> dict[str, Any]:
    done = publication().publish(actor, clock.utc_now())
    logger.info(
        "directory published",
        extra={
            "version": done.version,
            "changed": len(done.changed),
            "written": done.written,
            "files": done.files,
        },
    )
    metrics.add_metric(name="DirectoryFilesWritten", unit="Count", value=done.written)
    return {"version": done.version, "changed": len(done.changed), "written": done.written}


def asked(record: SQSRecord) -> None:
    try:
        actor = str(json.loads(record.body).get("actor") or "console")[:200]
    except (ValueError, AttributeError):
        actor = "console"
    publish(actor)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        return dict(
            process_partial_response(event=event, record_handler=asked, processor=processor, context=context)
        )
    return publish("schedule")
