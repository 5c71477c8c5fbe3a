from datetime import UTC, datetime, timedelta

import pytest

from shared import tokens
from shared.members import links as purposes

KEY = b"k" * 32
OTHER = b"o" * 32
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_a_token_verifies_and_carries_no_personal_data():
    token = tokens.issue(KEY, purposes.CONFIRM, "member-id-123", "nonce-1", NOW)
    claims = tokens.verify(token, purposes.CONFIRM, [KEY], NOW + timedelta(hours=71))
    assert (claims.subject, claims.nonce, claims.purpose) == (
        "member-id-123",
        "nonce-1",
        purposes.CONFIRM.value,
    )
    assert "@" not in token


def test_a_confirmation_link_expires_after_72_hours():
    token = tokens.issue(KEY, purposes.CONFIRM, "m", "n", NOW)
    with pytest.raises(tokens.TokenExpired):
        tokens.verify(token, purposes.CONFIRM, [KEY], NOW + timedelta(hours=72))


def test_a_token_signed_with_another_key_is_refused():
    token = tokens.issue(OTHER, purposes.CONFIRM, "m", "n", NOW)
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(token, purposes.CONFIRM, [KEY], NOW)


def test_an_old_key_still_verifies_during_rotation():
    token = tokens.issue(OTHER, purposes.UNSUBSCRIBE, "m", "n", NOW)
    assert tokens.verify(token, purposes.UNSUBSCRIBE, [KEY, OTHER], NOW).subject == "m"


def test_a_token_for_one_purpose_cannot_be_used_for_another():
    token = tokens.issue(KEY, purposes.UNSUBSCRIBE, "m", "n", NOW)
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(token, purposes.CONFIRM, [KEY], NOW)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "!!!.???", "eyJ4IjoxfQ.AAAA", "x" * 600],
)
def test_malformed_tokens_are_refused(token):
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(token, purposes.CONFIRM, [KEY], NOW)


def test_a_tampered_payload_is_refused():
    token = tokens.issue(KEY, purposes.CONFIRM, "member-a", "n", NOW)
    payload, signature = token.split(".")
    forged = tokens.issue(OTHER, purposes.CONFIRM, "member-b", "n", NOW).split(".")[0]
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(f"{forged}.{signature}", purposes.CONFIRM, [KEY], NOW)
    assert payload != forged


def test_each_capabilitys_purposes_are_its_own_and_unique():
    # the members capability declares its purposes; the generic module declares none
    from shared.members import links

    declared = [v for v in vars(links).values() if isinstance(v, tokens.Purpose)]
    assert {p.value for p in declared} == {
        "confirm",
        "preferences",
        "email_change",
        "unsubscribe",
        "export",
        "erase",
    }
    assert len({p.value for p in declared}) == len(declared)
    assert not [v for v in vars(tokens).values() if isinstance(v, tokens.Purpose)]
    # a token for one purpose never verifies for another with the same key
    other = tokens.Purpose("feedback-update", timedelta(days=30))
    token = tokens.issue(KEY, other, "ref", "n", NOW)
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(token, purposes.PREFERENCES, [KEY], NOW)
