from datetime import UTC, datetime, timedelta

import pytest

from shared import tokens
from shared.tokens import Purpose

KEY = b"k" * 32
OTHER = b"o" * 32
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_a_token_verifies_and_carries_no_personal_data():
    token = tokens.issue(KEY, Purpose.CONFIRM, "member-id-123", "nonce-1", NOW)
    claims = tokens.verify(token, Purpose.CONFIRM, [KEY], NOW + timedelta(hours=71))
    assert (claims.subject, claims.nonce, claims.purpose) == ("member-id-123", "nonce-1", Purpose.CONFIRM)
    assert "@" not in token


def test_a_confirmation_link_expires_after_72_hours():
    token = tokens.issue(KEY, Purpose.CONFIRM, "m", "n", NOW)
    with pytest.raises(tokens.TokenExpired):
        tokens.verify(token, Purpose.CONFIRM, [KEY], NOW + timedelta(hours=72))


def test_a_token_signed_with_another_key_is_refused():
    token = tokens.issue(OTHER, Purpose.CONFIRM, "m", "n", NOW)
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(token, Purpose.CONFIRM, [KEY], NOW)


def test_an_old_key_still_verifies_during_rotation():
    token = tokens.issue(OTHER, Purpose.UNSUBSCRIBE, "m", "n", NOW)
    assert tokens.verify(token, Purpose.UNSUBSCRIBE, [KEY, OTHER], NOW).subject == "m"


def test_a_token_for_one_purpose_cannot_be_used_for_another():
    token = tokens.issue(KEY, Purpose.UNSUBSCRIBE, "m", "n", NOW)
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(token, Purpose.CONFIRM, [KEY], NOW)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "!!!.???", "eyJ4IjoxfQ.AAAA", "x" * 600],
)
def test_malformed_tokens_are_refused(token):
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(token, Purpose.CONFIRM, [KEY], NOW)


def test_a_tampered_payload_is_refused():
    token = tokens.issue(KEY, Purpose.CONFIRM, "member-a", "n", NOW)
    payload, signature = token.split(".")
    forged = tokens.issue(OTHER, Purpose.CONFIRM, "member-b", "n", NOW).split(".")[0]
    with pytest.raises(tokens.TokenInvalid):
        tokens.verify(f"{forged}.{signature}", Purpose.CONFIRM, [KEY], NOW)
    assert payload != forged
