"""What Lambda passes a handler besides the event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class FakeContext:
    function_name: str = "members_public"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/test"
    log_stream_name: str = "test"
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-2:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
