"""The meetings capability's links in emails: what each is for, and how long it works.

The apologies link names the member (their opaque id) and the meeting (as the token's nonce); its
GET shows a page with a button and changes nothing (mail scanners open every link), its POST records
the apologies, and the same page undoes them. A private calendar feed's address is not a signed
token but a random secret (stored as a hash), so that revoking it is final.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from shared import tokens

APOLOGIES = tokens.Purpose("apologies", timedelta(days=60))
APOLOGIES_PATH = "/meetings/apologies"
FEEDS_PATH = "/meetings/feeds"


def apologies_url(
    base_url: str, key: tokens.SigningKey, member_id: str, meeting_id: str, now: datetime
) -> str:
    token = tokens.issue(key, APOLOGIES, member_id, meeting_id, now)
    return f"{base_url.rstrip('/')}{APOLOGIES_PATH}?{urlencode({'token': token})}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{FEEDS_PATH}/{token}"
