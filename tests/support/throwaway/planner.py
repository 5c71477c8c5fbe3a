"""Throwaway capability: the scheduled planner, which queues one message per note."""

from __future__ import annotations

import json
import os
from typing import Any

from shared.aws import client


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    client("sqs").send_message(QueueUrl=os.environ["NOTE_NOTICES_QUEUE_URL"], MessageBody=json.dumps(event))
    return {"queued": 1}
