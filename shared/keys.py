"""The keys derived from the token-signing secret in Secrets Manager.

The secret holds one random root key. Two keys are derived from it, so that neither use can be
turned against the other:
- the token key signs links in emails (`shared.tokens`);
- the lookup key turns an email address into an opaque, stable lookup id (`email_lookup_id`), so
  addresses never appear in table keys, and the hash cannot be reversed by guessing addresses
  without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from aws_lambda_powertools.utilities import parameters

SECRET_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Keys:
    token: bytes
    lookup: bytes

    @classmethod
    def from_root(cls, root: str) -> Keys:
        if len(root) < 32:
            raise ValueError("signing secret is too short (need at least 32 characters)")
        raw = root.encode()
        return cls(
            token=hmac.new(raw, b"mkcpp/tokens/v1", hashlib.sha256).digest(),
            lookup=hmac.new(raw, b"mkcpp/email-lookup/v1", hashlib.sha256).digest(),
        )

    def email_lookup_id(self, normalised_email: str) -> str:
        return hmac.new(self.lookup, normalised_email.encode(), hashlib.sha256).hexdigest()


def load_keys(secret_id: str) -> Keys:
    """Read the root key (cached for five minutes across warm invocations)."""
    root = parameters.get_secret(secret_id, max_age=SECRET_CACHE_SECONDS)
    return Keys.from_root(str(root))
