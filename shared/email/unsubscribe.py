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
from typing import Protocol
from urllib.parse import urlencode

from shared import tokens

# List-Unsubscribe links must keep working long after the email arrived.
UNSUBSCRIBE = tokens.Purpose("unsubscribe", timedelta(days=365))
UNSUBSCRIBE_PATH = "/members/unsubscribe"


# How much of the address's lookup id a link's nonce carries: enough that a link sent to an old
# address (a mistyped one that reached a stranger) stops working once the member's address changes.
ADDRESS_TAG = 12


class Addressee(Protocol):
    """Whom a link is for: the member, and the address the email goes to (its lookup id)."""

    @property
    def id(self) -> str: ...
    @property
    def lookup_id(self) -> str | None: ...


def address_nonce(lookup_id: str | None) -> str:
    """A link's nonce bound to the address it is emailed to: the start of that address's lookup id
    (a keyed hash: no address in it), then randomness, so each email's link differs."""
    tag = (lookup_id or "")[:ADDRESS_TAG]
    return f"{tag}.{secrets.token_urlsafe(8)}" if tag else secrets.token_urlsafe(8)


def sent_to_current_address(nonce: str, lookup_id: str | None) -> bool:
    """Whether a link was emailed to the address the member has now. A link made before links were
    bound to addresses (no tag) is accepted until it expires."""
    tag, bound, _ = nonce.partition(".")
    return not bound or (lookup_id or "")[:ADDRESS_TAG] == tag


def unsubscribe_url(base_url: str, key: tokens.SigningKey, member: Addressee, now: datetime) -> str:
    """The member's one-click unsubscribe link, bound to the address it is sent to (a fresh nonce
    each time, so each email's differs)."""
    token = tokens.issue(key, UNSUBSCRIBE, member.id, address_nonce(member.lookup_id), now)
    return f"{base_url.rstrip('/')}{UNSUBSCRIBE_PATH}?{urlencode({'token': token})}"
