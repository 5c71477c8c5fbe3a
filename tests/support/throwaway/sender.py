"""Throwaway capability: the queue's consumer, which marks each note sent."""

from __future__ import annotations

import os
from typing import Any

from shared.aws import client
from shared.dynamo import value as v


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for _record in event.get("Records", []):
        client("dynamodb").update_item(
            TableName=os.environ["NOTES_TABLE_NAME"],
            Key={"pk": v("NOTE#1")},
            UpdateExpression="SET sent = :yes",
            ExpressionAttributeValues={":yes": v(True)},
        )
    return {"batchItemFailures": []}
