"""Safeguarding phrase screening: an aid to people, never a replacement for them.

A submission whose text holds one of the configured phrases (risk to life, self-harm, abuse, a
clinical emergency) is flagged urgent: the reply shows the urgent-help signposting and the
coordinators are emailed at once with the flag at the top. A match never blocks anything, and no
match proves nothing: every item is still read by a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def _fold(text: str) -> str:
    """Lower case, curly apostrophes straight, runs of white space and hyphens as one space."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"[\s\-_]+", " ", text)


def matches(text: str, phrases: Iterable[str]) -> list[str]:
    """The configured phrases the text holds, as whole words ("abuse" is in "abused me" only if
    "abused" is listed too; "hit me" is not in "white meat")."""
    folded = f" {_fold(text)} "
    found = []
    for phrase in phrases:
        wanted = _fold(phrase).strip()
        if wanted and re.search(rf"(?<![a-z0-9']){re.escape(wanted)}(?![a-z0-9'])", folded):
            found.append(phrase)
    return found
