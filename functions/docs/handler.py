"""`GET /openapi.json`: the OpenAPI document of the whole API.

`make openapi` generates `openapi.json` beside this file from every function's resolver
(`infra/openapi.py`); a test fails when the committed copy and the code drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger

DOCUMENT = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": "application/json",
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        },
        "body": DOCUMENT,
    }
