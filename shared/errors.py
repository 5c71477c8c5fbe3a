"""Domain errors that say what they mean over HTTP: a status, a message a person can act on, and the
fields they concern.

A capability raises them from its domain code; `shared.api.HttpApi` turns every one into the API's
JSON error shape (or a page, for a browser) in one place, so a new capability adds an error class,
not an exception handler. A resolver may still register its own handler for a subclass when that
error needs a special page (Powertools picks the most specific handler).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    message: ClassVar[str] = "The request cannot be done."
    title: ClassVar[str] = "This could not be done"  # the heading of the page a browser gets
    fields: ClassVar[Mapping[str, str]] = {}

    def __init__(self, *args: object, message: str | None = None, fields: Mapping[str, str] | None = None):
        super().__init__(*args)
        self.detail = message or self.message
        self.field_messages = dict(fields if fields is not None else self.fields)


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Nothing was changed"


class DamagedRecord(Conflict):
    """A stored record that cannot be read, even upgraded from an older shape (written around the
    model, or by code that no longer exists). Nothing is changed; `raw` is what is stored, so a page
    can show what could be read, and export and erasure (which work from the stored items) still
    work. Never logged: it holds personal data."""

    title = "This record cannot be read"
    message = (
        "Something is wrong with the details stored here, so nothing was changed. An administrator "
        "can see what could be read, download it and put it right, or erase it."
    )

    def __init__(self, kind: str, ident: str, raw: Mapping[str, Any]) -> None:
        super().__init__(f"{kind} {ident}")
        self.kind = kind
        self.ident = ident
        self.raw = dict(raw)


class Unavailable(DomainError):
    status = 503
    title = "Please try again"


class BadLink(DomainError):
    """A link that cannot be used: forged, mistyped, expired, or its record is gone. A browser is
    shown how to get a new one (each API's `error_pages`)."""

    status = 400
    title = "This link does not work"
    message = "This link does not work. It may be mistyped, or too old."
