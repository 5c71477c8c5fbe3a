"""The feedback capability's links in emails. The follow-up question's link names the item (its
reference, the token's subject) and is signed; its GET shows a page with three buttons and records
nothing (mail scanners open every link); its POST records the answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from shared import tokens

FOLLOW_UP = tokens.Purpose("feedback_follow_up", timedelta(days=30))
FOLLOW_UP_PATH = "/feedback/follow-up"


def follow_up_url(base_url: str, key: tokens.SigningKey, reference: str, now: datetime) -> str:
    token = tokens.issue(key, FOLLOW_UP, reference, "follow-up", now)
    return f"{base_url.rstrip('/')}{FOLLOW_UP_PATH}?{urlencode({'token': token})}"


def status_url(base_url: str, reference: str) -> str:
    return f"{base_url.rstrip('/')}/feedback/{reference}"
