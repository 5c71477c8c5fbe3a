"""The keys derived from the two secrets in Secrets Manager.

- The **token-signing secret** (`SIGNING_KEY_SECRET_ID`) signs links in emails (`shared.tokens`). It
  can be rotated: the current version (`AWSCURRENT`) signs, and the version it replaced
  (`AWSPREVIOUS`, kept by Secrets Manager until the next rotation) still verifies, so links already
  sent keep working for their lifetime (README.md, "Rotating the token-signing key").
- The **email-lookup secret** (`LOOKUP_KEY_SECRET_ID`) turns an email address into an opaque, stable
  lookup id (`email_lookup_id`), so addresses never appear in table keys and the hash cannot be
  reversed by guessing addresses without the secret. The ids are stored as table keys, so this
  secret never rotates: a new value would orphan every member's address pointer and suppression.

Each key is derived from its secret with its own label, so neither use can be turned against the
other. Before the split there was one secret for both (the lookup secret is that secret, unchanged):
tokens signed before the split are signed with the token key derived from it, which therefore
still verifies (`LEGACY_TOKEN_KEY`) until the longest-lived of those links has expired.

Key material is never kept beyond the cache below: a service built once per warm function (and
cached there) holds a `SecretKeys` or `SecretLookupKey`, which asks this module at each use, so a
rotated signing secret reaches a warm function within `SECRET_CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from shared import clock
from shared.tokens import SigningKey

SECRET_CACHE_SECONDS = 300
TOKEN_LABEL = b"mkcpp/tokens/v1"
LOOKUP_LABEL = b"mkcpp/email-lookup/v1"
CURRENT, PREVIOUS = "AWSCURRENT", "AWSPREVIOUS"
# Links sent before the split (one secret for both keys) are signed with the token key derived from
# the lookup secret. Set to False once a year (the unsubscribe link lifetime) has passed since the
# split was deployed; from then on the lookup secret cannot sign or verify anything.
LEGACY_TOKEN_KEY = True


def _derive(secret: str, label: bytes) -> bytes:
    if len(secret) < 32:
        raise ValueError("key secret is too short (need at least 32 characters)")
    return hmac.new(secret.encode(), label, hashlib.sha256).digest()


@dataclass(frozen=True)
class LookupKey:
    """The email-lookup key alone: for functions that find records by address but sign nothing."""

    lookup: bytes = field(repr=False)

    def email_lookup_id(self, normalised_email: str) -> str:
        return hmac.new(self.lookup, normalised_email.encode(), hashlib.sha256).hexdigest()


class AddressLookup(Protocol):
    def email_lookup_id(self, normalised_email: str) -> str: ...


class TokenKeys(AddressLookup, Protocol):
    """What a service that signs links needs: the signing key now (which also verifies with the
    keys it replaced) and lookup ids. `Keys` is one; `SecretKeys` reads them afresh at each use."""

    @property
    def token(self) -> SigningKey: ...


@dataclass(frozen=True)
class Keys:
    token: SigningKey  # signs new tokens; verifies with `token.previous` too
    lookup: bytes = field(repr=False)

    @classmethod
    def from_secrets(cls, signing: str, lookup: str, previous_signing: str | None = None) -> Keys:
        """The keys from the token-signing secret (and the version it replaced) and the lookup secret."""
        previous = [_derive(previous_signing, TOKEN_LABEL)] if previous_signing else []
        if LEGACY_TOKEN_KEY and lookup != signing:
            previous.append(_derive(lookup, TOKEN_LABEL))
        return cls(
            token=SigningKey(_derive(signing, TOKEN_LABEL), previous=previous),
            lookup=_derive(lookup, LOOKUP_LABEL),
        )

    @classmethod
    def from_root(cls, root: str) -> Keys:
        """Both keys from one secret, as before the split (tests, benchmarks)."""
        return cls.from_secrets(signing=root, lookup=root)

    def email_lookup_id(self, normalised_email: str) -> str:
        return hmac.new(self.lookup, normalised_email.encode(), hashlib.sha256).hexdigest()


class _SecretCache:
    """Secret values by secret id and stages, read together and kept `SECRET_CACHE_SECONDS` (on
    `shared.clock.monotonic`, which tests move) across warm invocations, so a rotation reaches every
    running function within five minutes. A secret's current and previous versions are one entry,
    so a function never holds a new current value with a stale previous one (which would refuse the
    links signed just before the rotation). One store per process, like every other cache of a warm
    Lambda (so `cache_clear` works on the class as on the instance)."""

    _values: ClassVar[dict[tuple[str, tuple[str, ...]], tuple[float, tuple[str | None, ...]]]] = {}

    def versions(self, secret_id: str, stages: tuple[str, ...]) -> tuple[str | None, ...]:
        now = clock.monotonic()
        hit = self._values.get((secret_id, stages))
        if hit is not None and 0 <= now - hit[0] < SECRET_CACHE_SECONDS:
            return hit[1]
        # in the order given, current first: a rotation between the two reads leaves the old value
        # as both, so this function still verifies every link already sent
        values = tuple(_fetch(secret_id, stage) for stage in stages)
        self._values[(secret_id, stages)] = (now, values)
        return values

    def get(self, secret_id: str, stage: str) -> str | None:
        return self.versions(secret_id, (stage,))[0]

    @classmethod
    def cache_clear(cls) -> None:
        cls._values.clear()


def _fetch(secret_id: str, stage: str) -> str | None:
    """The secret's value at `stage`; None if no version has that stage (AWSPREVIOUS before the
    first rotation)."""
    from botocore.exceptions import ClientError

    from shared.aws import client

    secrets: Any = client("secretsmanager")
    try:
        return str(secrets.get_secret_value(SecretId=secret_id, VersionStage=stage)["SecretString"])
    except ClientError as exc:
        if stage != CURRENT and exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


_secrets = _SecretCache()


def load_lookup_key(lookup_secret_id: str) -> LookupKey:
    """The email-lookup key alone, from the lookup secret's current version (cached as above)."""
    lookup = _secrets.get(lookup_secret_id, CURRENT)
    assert lookup is not None  # AWSCURRENT always exists, or _fetch raised
    return LookupKey(_derive(lookup, LOOKUP_LABEL))


def load_keys(signing_secret_id: str, lookup_secret_id: str) -> Keys:
    """The keys from both secrets: the signing secret's current and previous versions, the lookup
    secret's current one (each cached for five minutes across warm invocations)."""
    signing, previous = _secrets.versions(signing_secret_id, (CURRENT, PREVIOUS))
    lookup = _secrets.get(lookup_secret_id, CURRENT)
    assert signing is not None and lookup is not None  # AWSCURRENT always exists, or _fetch raised
    return Keys.from_secrets(signing, lookup, previous_signing=previous)


class SecretKeys:
    """Both keys as the secrets hold them now: what a cached service keeps instead of a `Keys`.
    It holds the secrets' ids only; each use asks `load_keys` (and its five-minute cache)."""

    __slots__ = ("_lookup", "_signing")

    def __init__(self, signing_secret_id: str, lookup_secret_id: str) -> None:
        self._signing = signing_secret_id
        self._lookup = lookup_secret_id

    def current(self) -> Keys:
        return load_keys(self._signing, self._lookup)

    @property
    def token(self) -> SigningKey:
        return self.current().token

    def email_lookup_id(self, normalised_email: str) -> str:
        return load_lookup_key(self._lookup).email_lookup_id(normalised_email)


class SecretLookupKey:
    """The email-lookup key as its secret holds it now, for functions that sign nothing (the
    bounce consumer, the retention run): it holds the secret's id only."""

    __slots__ = ("_lookup",)

    def __init__(self, lookup_secret_id: str) -> None:
        self._lookup = lookup_secret_id

    def email_lookup_id(self, normalised_email: str) -> str:
        return load_lookup_key(self._lookup).email_lookup_id(normalised_email)
