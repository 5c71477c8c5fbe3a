"""Text that people type, made safe to store, show, print in an email and put in a CSV.

Every free-text field of every model (public forms and admin input alike, and the stored records
themselves) uses one of these two types, so no input can store a value that breaks a page, an email,
an export or an erasure:

- `SingleLine`: one line: no line breaks, no control characters (NUL, tab,
  escape, ...), no text-direction controls (bidi overrides that make "gpj.exe" read as "exe.jpg"),
  no unassigned or private-use code points.
- `Paragraphs`: the same, but line breaks are allowed (normalised to `\\n`), for a postal
  address or a group's purpose.

The message says what to do, so a 400 can show it next to the field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

# Unicode categories never allowed: controls, format characters (which include the bidi controls
# and zero-width characters), line/paragraph separators, surrogates, private use, unassigned.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# A zero-width joiner is a format character that real names use (emoji sequences, Indic scripts).
_ALLOWED_FORMAT = frozenset({"\u200d"})

LINE_MESSAGE = "must be one line of text, without line breaks, control characters or text-direction marks"
TEXT_MESSAGE = "must be plain text, without control characters or text-direction marks"


def _bad(char: str) -> bool:
    return unicodedata.category(char) in _FORBIDDEN_CATEGORIES and char not in _ALLOWED_FORMAT


def _normalise(value: Any) -> Any:
    """NFC (so the same name typed on two devices compares equal), and CRLF/CR to LF."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value


# `str.isprintable()` is False for every character of the forbidden categories (and for some
# allowed ones: spaces other than " ", the zero-width joiner), so text it passes needs no other look;
# it runs in C, where looking up each character's category in Python took most of reading an entry.


def check_line(value: str) -> str:
    if value.isprintable():
        return value
    if any(_bad(char) for char in value):
        raise ValueError(LINE_MESSAGE)
    return value


def check_paragraphs(value: str) -> str:
    if value.isprintable() or ("\n" in value and value.replace("\n", "").isprintable()):
        return value
    if any(_bad(char) for char in value if char != "\n"):
        raise ValueError(TEXT_MESSAGE)
    return value


# Use with `Field(min_length=..., max_length=...)`; forms strip surrounding spaces (FormModel).
SingleLine = Annotated[str, BeforeValidator(_normalise), AfterValidator(check_line)]
Paragraphs = Annotated[str, BeforeValidator(_normalise), AfterValidator(check_paragraphs)]


# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA = re.compile(r"(^|[,;\t|])(\s*)(?=[=+\-@\t\r])")


def csv_cell(value: Any) -> str:
    """Spreadsheet-safe: anything that could start a formula is shown as text, not run. That is the
    start of the cell, and also the start of any piece a spreadsheet may split it into on its own
    list separator (`;` in much of Europe, `,`, tab or `|`): `Ann;=1+1` becomes `Ann;'=1+1`. Every CSV
    any capability writes passes each cell through this."""
    text = "" if value is None else str(value)
    return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'", text)


def searchable(value: str) -> str:
    """A name as a search compares it: without case or accents, so "Zoe" finds "Zoë" and "ZOË"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
