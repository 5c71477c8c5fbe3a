"""`MKCPP_CALL_LOG=<file>`: a worker appends every AWS call its function makes, one JSON line each.

The integration tests set it, then check each call against the calling function's synthesized IAM
policy (`tests/support/permissions.py`): neither DynamoDB Local nor moto enforces IAM, so this is
how local mode proves that every grant the code needs exists. Only names are written (tables,
indexes, secrets, senders), never keys, items or message bodies.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from typing import Any

_KEEP = (
    "TableName",
    "IndexName",
    "SecretId",
    "FromEmailAddress",
    "ConfigurationSetName",
    "QueueUrl",
    "Bucket",
    "UserPoolId",
)


def _projection(request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The attributes a read asks for (what `dynamodb:Attributes` conditions are checked against)."""
    if not request.get("ProjectionExpression"):
        return None
    return {k: request[k] for k in ("ProjectionExpression", "ExpressionAttributeNames") if k in request}


def _slim(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    slim: dict[str, Any] = {k: params[k] for k in _KEEP if k in params}
    if operation == "TransactWriteItems":
        slim["TransactItems"] = [
            {kind: {"TableName": body.get("TableName")} for kind, body in item.items()}
            for item in params.get("TransactItems", [])
        ]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        slim["RequestItems"] = {
            name: _projection(request) if operation == "BatchGetItem" else None
            for name, request in params.get("RequestItems", {}).items()
        }
    if "Key" in params and "Bucket" in params:
        slim["Key"] = params["Key"]
    return slim


def install(path: str, function: str) -> None:
    from botocore.client import BaseClient

    from shared.aws import observe_native_calls

    original = BaseClient._make_api_call

    def write(service: str, operation: str, params: Mapping[str, Any]) -> None:
        line = json.dumps(
            {
                "function": function,
                "service": service,
                "operation": operation,
                "params": _slim(operation, params),
            }
        )
        with open(path, "a", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)
            log.write(line + "\n")

    def recording(self: Any, operation_name: str, api_params: Mapping[str, Any]) -> Any:
        write(self.meta.service_model.service_name, operation_name, api_params)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recording
    observe_native_calls(write)  # the uploads the AWS CRT sends (shared.site.uploads)


def install_from_environment() -> None:
    path = os.environ.get("MKCPP_CALL_LOG")
    if path:
        install(path, os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "?"))
