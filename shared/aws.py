"""boto3 clients, created lazily and once per process.

Endpoints are never set here: boto3 reads `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` from the
environment, which is how local mode points the same code at DynamoDB Local and moto.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
)


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)
