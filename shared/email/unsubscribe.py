"""The one-click unsubscribe link every email to a member carries, whichever capability sends it.

Every email to a member (a confirmation, a meeting reminder, an announcement, a feedback update)
carries `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058,
`shared.email.mailer`), pointing at `unsubscribe_url`: a signed token naming only the member's
opaque id, which the members capability's `/members/unsubscribe` honours (its GET shows a button,
its one-click POST unsubscribes). A capability that emails members builds the link here, with the
token-signing key it is given, and never needs the members capability's code.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from shared import tokens

# List-Unsubscribe links must keep working long after the email arrived.
UNSUBSCRIBE = tokens.Purpose("unsubscribe", timedelta(days=365))
UNSUBSCRIBE_PATH = "/members/unsubscribe"


def unsubscribe_url(base_url: str, key: tokens.SigningKey, member_id: str, now: datetime) -> str:
    """The member's one-click unsubscribe link (a fresh nonce each time, so each email's differs)."""
    token = tokens.issue(key, UNSUBSCRIBE, member_id, secrets.token_urlsafe(8), now)
    return f"{base_url.rstrip('/')}{UNSUBSCRIBE_PATH}?{urlencode({'token': token})}"
