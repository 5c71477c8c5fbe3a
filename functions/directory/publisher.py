"""The nightly `directory-publish` schedule: publish the directory. Only what changed is written; when
nothing changed, nothing is (and no version is made). A failure leaves the last good version live,
and the next run cleans up after it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.directory.services import publication
from shared import clock
from shared.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    done = publication().publish("schedule", clock.utc_now())
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
