"""Logger and Metrics, configured from the POWERTOOLS_* environment of each function.

Log with keyword context (`logger.info("member confirmed", extra={"member_id": ...})`), never with
f-strings, and never log a name, an email address, a phone number or free text a person wrote.

Tracing is Lambda's own (active tracing, set on every function by `infra/constructs/function.py`):
X-Ray records each invocation and its initialisation, with no SDK in the function. The X-Ray SDK,
which Powertools' Tracer is built on, has been in maintenance mode since 25 February 2026 and loses
support on 25 February 2027 (AWS's X-Ray SDK and daemon timeline); it also added about 60 modules
to every cold start. Calls to AWS are counted and timed by the logs and metrics instead.
"""

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from shared import coldstart


class _Logger(Logger):
    """Powertools' Logger, whose `inject_lambda_context` (on every handler) also starts garbage
    collection again at the first invocation, after initialisation paused it (`shared.coldstart`)."""

    def inject_lambda_context(  # type: ignore[override]
        self, lambda_handler: Any = None, **options: Any
    ) -> Any:
        if lambda_handler is None:  # used as @logger.inject_lambda_context(correlation_id_path=...)
            return functools.partial(self.inject_lambda_context, **options)
        injected = super().inject_lambda_context(lambda_handler, **options)

        @functools.wraps(injected)
        def handler(*args: Any, **kwargs: Any) -> Any:
            coldstart.resume()
            return injected(*args, **kwargs)

        return handler


logger = _Logger()
metrics = Metrics()

DAMAGED_RECORD_METRIC = "InvalidRecordSkipped"


def damaged_record(kind: str, ident: str) -> None:
    """A stored record that no longer validates was met (and skipped, or shown as damaged): logged by
    its kind and id only (never a field's value), and counted as one metric for the whole stack, with
    no dimension, so one alarm emails the coordinators whichever function met it
    (`infra.constructs.platform`: `DamagedRecords`). Printed as CloudWatch's embedded metric format,
    as Powertools prints its own, but without the per-function `service` dimension it always adds."""
    import json
    import os
    import time

    logger.error("damaged record", extra={"record_kind": kind, "record_id": ident[:80]})
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() in ("1", "true"):
        return
    print(  # noqa: T201 - the embedded metric format is read from stdout
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "MKCPP"),
                            "Dimensions": [[]],
                            "Metrics": [{"Name": DAMAGED_RECORD_METRIC, "Unit": "Count"}],
                        }
                    ],
                },
                DAMAGED_RECORD_METRIC: 1,
            }
        ),
        flush=True,
    )
