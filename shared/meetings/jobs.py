"""What the meetings' admin functions need of the mail side without loading it: the settings the
planner and sender share, and the mail queue a change or a cancellation is put on. Apart from
`shared.meetings.mailing` so that the admin API and the console, which only queue work, do not
import the sender's email rendering, suppression list and calendar code on their cold start."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from shared.settings import Contact


class MeetingSettings(NamedTuple):
    group_name: str
    base_url: str
    time_zone: str
    offsets: list[int]  # days before, largest first
    update_minutes: int
    report_back_days: int
    chase_days: int
    retention_days: int
    email_per_second: float
    senders: int  # how many pages may be sent at once (the queue's maximum concurrency)
    organiser: str  # the address invitations come from (ORGANIZER)
    contact: Contact


class Jobs:
    """The mail queue, as the planner and the sender fill it."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def put(self, jobs: Iterable[dict[str, Any]]) -> int:
        batch = list(jobs)
        for start in range(0, len(batch), 10):
            entries = [
                {"Id": str(n), "MessageBody": json.dumps(job, separators=(",", ":"))}
                for n, job in enumerate(batch[start : start + 10])
            ]
            answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"{len(answer['Failed'])} mail jobs could not be queued")
        return len(batch)
