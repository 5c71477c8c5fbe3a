"""Throwaway capability: the admin API (`GET /admin/notes`)."""

from __future__ import annotations

import os
from typing import Any

from shared.api import HttpApi
from shared.aws import client
from shared.dynamo import query_all
from shared.dynamo import value as v
from shared.model import Model
from shared.web import ADMIN_GROUP, error_response, json_response

app = HttpApi(group=ADMIN_GROUP)


class Notes(Model):
    count: int


@app.get(
    "/admin/notes",
    summary="How many notes there are",
    responses={200: json_response("The count", Notes), 401: error_response("No token")},
)
def notes() -> Notes:
    found = query_all(
        client("dynamodb"),
        TableName=os.environ["NOTES_TABLE_NAME"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": v("NOTE#1")},
    )
    return Notes(count=len(found))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
