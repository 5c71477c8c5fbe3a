"""The two key secrets: the token-signing one rotates (its previous version still verifies), the
email-lookup one never changes the ids it derives."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from shared import keys as keys_module
from shared import tokens
from shared.keys import Keys, load_keys
from shared.members import links as purposes
from shared.tokens import SigningKey

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SIGNING, NEXT, LOOKUP = "s" * 40, "n" * 40, "l" * 40


def test_lookup_ids_are_those_of_the_old_single_root_secret():
    # Given the lookup secret holds what the one root secret held before the split
    before = Keys.from_root(LOOKUP)
    after = Keys.from_secrets(SIGNING, LOOKUP)
    # Then every stored email-lookup id is still found
    assert after.email_lookup_id("ann@example.org") == before.email_lookup_id("ann@example.org")
    # and rotating the signing secret does not change them either
    assert Keys.from_secrets(NEXT, LOOKUP, previous_signing=SIGNING).lookup == after.lookup


def test_the_signing_and_lookup_keys_are_independent():
    keys = Keys.from_secrets(SIGNING, LOOKUP)
    assert bytes(keys.token) != keys.lookup
    assert Keys.from_secrets(NEXT, LOOKUP).token != keys.token


def test_links_signed_before_a_rotation_verify_after_it_and_new_ones_use_the_new_key():
    before = Keys.from_secrets(SIGNING, LOOKUP)
    after = Keys.from_secrets(NEXT, LOOKUP, previous_signing=SIGNING)
    old_link = tokens.issue(before.token, purposes.UNSUBSCRIBE, "m", "n", NOW)
    # Then a link from before the rotation verifies, for its whole lifetime
    late = NOW + timedelta(days=364)
    assert tokens.verify(old_link, purposes.UNSUBSCRIBE, [after.token], late).subject == "m"
    # And a new link is signed with the new key, which the old key alone would refuse
    new_link = tokens.issue(after.token, purposes.CONFIRM, "m", "n", NOW)
    assert tokens.verify(new_link, purposes.CONFIRM, [after.token], NOW)
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(new_link, purposes.CONFIRM, [bytes(before.token)], NOW)


def test_two_rotations_retire_a_leaked_key():
    leaked = Keys.from_secrets(SIGNING, LOOKUP)
    link = tokens.issue(leaked.token, purposes.CONFIRM, "m", "n", NOW)
    twice = Keys.from_secrets("t" * 40, LOOKUP, previous_signing=NEXT)
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(link, purposes.CONFIRM, [twice.token], NOW)


def test_links_signed_with_the_single_root_before_the_split_still_verify():
    # Given a link signed before the split (one root secret for both keys, now the lookup secret)
    link = tokens.issue(Keys.from_root(LOOKUP).token, purposes.UNSUBSCRIBE, "m", "n", NOW)
    # Then it verifies after the split, while LEGACY_TOKEN_KEY says so
    split = Keys.from_secrets(SIGNING, LOOKUP)
    assert tokens.verify(link, purposes.UNSUBSCRIBE, [split.token], NOW)


def test_key_material_never_appears_in_a_repr():
    keys = Keys.from_secrets(SIGNING, LOOKUP, previous_signing=NEXT)
    shown = repr(keys) + str(keys.token)
    assert "previous=<2 keys>" in shown
    assert repr(bytes(keys.token))[2:12] not in shown
    assert repr(keys.lookup)[2:12] not in shown


def test_a_signing_key_is_the_bytes_it_holds():
    key = SigningKey(b"k" * 32, previous=[b"p" * 32])
    assert key == b"k" * 32
    assert tokens.verifying_keys([key, b"o" * 32]) == [b"k" * 32, b"p" * 32, b"o" * 32]


@pytest.fixture
def secrets(fake_aws):
    with mock_aws():
        keys_module._secrets.cache_clear()
        manager = boto3.client("secretsmanager", region_name="eu-west-2")
        manager.create_secret(Name="signing", SecretString=SIGNING)
        manager.create_secret(Name="lookup", SecretString=LOOKUP)
        yield manager
        keys_module._secrets.cache_clear()


def test_load_keys_reads_the_current_and_previous_signing_versions(secrets):
    # Given a signing secret never rotated: no AWSPREVIOUS yet
    first = load_keys("signing", "lookup")
    assert first == Keys.from_secrets(SIGNING, LOOKUP)
    # When an administrator puts a new value (the manual rotation)
    secrets.put_secret_value(SecretId="signing", SecretString=NEXT)
    keys_module._secrets.cache_clear()  # as five minutes would
    rotated = load_keys("signing", "lookup")
    # Then the new value signs, the old one still verifies, and the lookup key is unchanged
    assert rotated.token == Keys.from_secrets(NEXT, LOOKUP).token
    assert bytes(first.token) in rotated.token.previous
    assert rotated.lookup == first.lookup


def test_load_keys_caches_for_five_minutes(secrets, monkeypatch):
    load_keys("signing", "lookup")
    secrets.put_secret_value(SecretId="signing", SecretString=NEXT)
    assert load_keys("signing", "lookup").token == Keys.from_secrets(SIGNING, LOOKUP).token
    later = time.monotonic() + keys_module.SECRET_CACHE_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert load_keys("signing", "lookup").token == Keys.from_secrets(NEXT, LOOKUP).token


def test_the_lookup_key_alone_finds_the_same_ids_as_both_keys(secrets):
    # the bounce consumer and the nightly run read only the lookup secret: their ids for an address
    # must be the ones sign-up stored, or a bounce would suppress nobody
    from shared.keys import load_lookup_key

    alone, both = load_lookup_key("lookup"), load_keys("signing", "lookup")
    assert alone.email_lookup_id("ann@example.org") == both.email_lookup_id("ann@example.org")
    assert alone.lookup == both.lookup and "lookup=" not in repr(alone)


def test_what_a_cached_service_holds_follows_a_rotation_within_five_minutes(secrets, monkeypatch):
    # Given a service built once per warm function, holding the secrets' ids (never their values)
    from shared.keys import SecretKeys, SecretLookupKey

    held, lookup = SecretKeys("signing", "lookup"), SecretLookupKey("lookup")
    before = held.token
    # When the signing secret is rotated and five minutes pass
    secrets.put_secret_value(SecretId="signing", SecretString=NEXT)
    later = time.monotonic() + keys_module.SECRET_CACHE_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    # Then it signs with the new key, still verifies the old one, and finds the same lookup ids
    assert held.token == Keys.from_secrets(NEXT, LOOKUP).token
    assert bytes(before) in held.token.previous
    address = "ann@example.org"
    assert lookup.email_lookup_id(address) == Keys.from_root(LOOKUP).email_lookup_id(address)
    assert held.email_lookup_id(address) == lookup.email_lookup_id(address)
