"""Unit tests run without a network: any socket connection fails the test."""

import socket

import pytest

from tests.support.env import FAKE_CREDENTIALS


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise RuntimeError("unit tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def fake_aws(monkeypatch):
    """Fake credentials in eu-west-2, no endpoint override, and `shared.aws`'s session and clients
    made afresh for the test (and dropped after it)."""
    from shared.aws import _session, client

    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client.cache_clear()
    _session.cache_clear()
    yield
    client.cache_clear()
    _session.cache_clear()
