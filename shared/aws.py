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

from collections.abc import Callable, Mapping
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


def credentials() -> Any:
    """The session's credentials (botocore's, refreshed as it refreshes them), for clients outside
    botocore: the AWS CRT's S3 client (`shared.site.uploads`)."""
    return _session().get_credentials()


# A call sent outside botocore (an upload sent by the AWS CRT) is told here, so whatever watches
# botocore's calls sees it too: the permission check (`tests/support/permissions.py`) and local
# mode's call log (`infra/local/calls.py`) register with `observe_native_calls`.
_native_observers: list[Callable[[str, str, Mapping[str, Any]], None]] = []


def observe_native_calls(observer: Callable[[str, str, Mapping[str, Any]], None]) -> None:
    if observer not in _native_observers:
        _native_observers.append(observer)


def native_call(service: str, operation: str, params: Mapping[str, Any]) -> None:
    for observer in _native_observers:
        observer(service, operation, params)
