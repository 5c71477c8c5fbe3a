"""Rotating the token-signing secret reaches functions that are already warm (README, "Rotating the
token-signing key"): within five minutes new links are signed with the new value, and links signed
with the previous one still work."""

from __future__ import annotations

import boto3

from shared import tokens
from shared.keys import Keys
from shared.members import links as purposes
from tests.handler.conftest import LOOKUP_SECRET, REGION, SECRET_ID, SIGNING_SECRET
from tests.handler.test_lifecycle import join

ROTATED = "r" * 64


def key(secret: str) -> bytes:
    """The token key a secret's value derives, alone (none of the keys it replaced)."""
    return bytes(Keys.from_secrets(secret, LOOKUP_SECRET).token)


def confirmation_token(aws, address: str) -> str:
    body = {
        "name": "New Member",
        "email": address,
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": "2026-11",
    }
    assert aws.request("POST", "/members", json_body=body).status == 202
    (email,) = [m for m in aws.sent() if m.to == address]
    return email.token("/members/confirm")


def signed_with(token: str, secret: str, aws) -> bool:
    try:
        tokens.verify(token, purposes.CONFIRM, [key(secret)], aws.clock.now)
    except tokens.TokenInvalid:
        return False
    return True


def test_a_rotated_key_reaches_a_warm_function_and_old_links_still_work(aws):
    # Given Ann joined, and her welcome email holds a preferences link signed with today's key
    join(aws, email="ann.rotation@example.org")
    welcome = aws.sent()[-1]
    assert welcome.subject.startswith("Welcome")
    preferences = welcome.token("/members/preferences")
    assert tokens.verify(preferences, purposes.PREFERENCES, [key(SIGNING_SECRET)], aws.clock.now)

    # When an administrator rotates the signing secret (Secrets Manager keeps the old value as
    # AWSPREVIOUS), while the function stays warm
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=SECRET_ID, SecretString=ROTATED
    )

    # Then for up to five minutes (the functions' cache) new links are still signed with the old key
    aws.clock.advance(minutes=1)
    soon = confirmation_token(aws, "bob.rotation@example.org")
    assert signed_with(soon, SIGNING_SECRET, aws) and not signed_with(soon, ROTATED, aws)

    # And once five minutes have passed, a new email's link is signed with the new key alone
    aws.clock.advance(minutes=5)
    later = confirmation_token(aws, "cat.rotation@example.org")
    assert signed_with(later, ROTATED, aws)
    assert not signed_with(later, SIGNING_SECRET, aws)

    # And the warm function still opens Ann's link, signed with the previous key
    page = aws.request("GET", "/members/preferences", query={"token": preferences}, accept="text/html")
    assert page.status == 200 and "Your preferences" in page.body
    # And the new link works too: Cat can confirm with it
    from tests.handler.test_signup import confirm

    confirmed = confirm(aws, later)
    assert confirmed["statusCode"] == 200 and "now a member" in confirmed["body"]


def test_a_second_rotation_retires_a_leaked_key_in_a_warm_function(aws):
    # Given a preferences link signed with a key that then leaked
    join(aws, email="ann.leak@example.org")
    leaked = aws.sent()[-1].token("/members/preferences")
    secrets = boto3.client("secretsmanager", region_name=REGION)

    # When the secret is rotated twice (README: run the command twice), and five minutes pass
    secrets.put_secret_value(SecretId=SECRET_ID, SecretString=ROTATED)
    secrets.put_secret_value(SecretId=SECRET_ID, SecretString="t" * 64)
    aws.clock.advance(minutes=6)

    # Then the warm function refuses the leaked link, and says how to get a fresh one
    page = aws.request("GET", "/members/preferences", query={"token": leaked}, accept="text/html")
    assert page.status == 400
    assert "This link does not work" in page.body
