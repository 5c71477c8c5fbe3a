"""One thing made per form, however often it is submitted.

A double-clicked console button, or a script that retries a POST after a timeout, must not make two
meetings, two announcements or two members. Each console form carries its own random `once` token
(the `csrf` macro adds it, fresh each time the form is shown); a JSON client may send an
`Idempotency-Key` header. `once_id` turns the token, with who sent it and where, into the id of the
record the request makes, so the second submission finds the record the first made (a conditional
write fails) and shows it instead of making another. Without a token, each request makes its own.
"""

from __future__ import annotations

import re
import secrets
import uuid

FIELD = "once"
HEADER = "idempotency-key"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_NAMESPACE = uuid.UUID("5b0c6d0e-7a51-4c55-9d0b-6f1f3c1a2e77")


def fresh_token() -> str:
    return secrets.token_urlsafe(16)


def well_formed(token: str) -> bool:
    return bool(_TOKEN.match(token))


def once_id(token: str | None, *scope: str) -> str:
    """The id of what this submission makes: the same for the same token from the same sender to
    the same place; a new random id when there is no (well-formed) token."""
    if not token or not _TOKEN.match(token):
        return str(uuid.uuid4())
    return str(uuid.uuid5(_NAMESPACE, "|".join((*scope, token))))
