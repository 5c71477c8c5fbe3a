"""`make bench` holds each handler against a floor of `import boto3` plus the clients that handler
creates; that list is read from the declaration, and must be what the function's role may call."""

from tests.bench.__main__ import HANDLERS

# IAM's service prefix -> the boto3 client our code makes for it (KMS, X-Ray, logs and SQS grants
# are used by Lambda and by the services themselves, not by a client in our code)
CLIENT_FOR = {"dynamodb": "dynamodb", "ses": "sesv2", "secretsmanager": "secretsmanager"}


def test_each_handlers_floor_creates_the_clients_its_role_lets_it_call(policy_check):
    assert HANDLERS  # a check over nothing would pass
    for name, (_module, clients) in HANDLERS.items():
        prefixes = {a.split(":")[0] for s in policy_check.statements[name] for a in s.actions}
        assert set(clients) == {CLIENT_FOR[p] for p in prefixes if p in CLIENT_FOR}, name
    # retention takes addresses off SES's list, found by their keyed hash: SES and the keys' secrets
    assert HANDLERS["member_retention"][1] == ("dynamodb", "sesv2", "secretsmanager")
