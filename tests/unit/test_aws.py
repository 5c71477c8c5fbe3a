"""`shared.aws`: the boto3 clients every handler uses."""

import boto3.session

from shared.aws import client


def test_every_client_comes_from_one_boto3_session(fake_aws, monkeypatch):
    """A session per client would load botocore's endpoint data and models again for each one, on
    every cold start."""
    made = []
    original = boto3.session.Session

    def counting_session(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(boto3.session, "Session", counting_session)
    clients = [client(name) for name in ("dynamodb", "sesv2", "secretsmanager")]
    assert len({id(c) for c in clients}) == 3
    assert client("dynamodb") is clients[0]
    assert made == [1]
