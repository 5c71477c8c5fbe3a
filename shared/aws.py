"""boto3 clients, created lazily and once per process, all from one boto3 session.

Each `boto3.session.Session()` loads its own copy of botocore's endpoint rules, partitions and
service models, so a session per client made every cold start pay for that loading once per client:
measured under Python 3.13, three clients on one session cost about 480 million instructions, on
three sessions about 1,000 million. Sessions are not thread-safe to create clients from
concurrently; the handlers create them from one thread.

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
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    return _session().client(service, config=_CONFIG)


@cache
def pooled_client(service: str, connections: int) -> Any:
    """A client for work done in parallel threads (a publication's uploads): botocore's pool
    holds 10 connections by default, and a thread past that waits for one."""
    return _session().client(service, config=_CONFIG.merge(Config(max_pool_connections=connections)))
