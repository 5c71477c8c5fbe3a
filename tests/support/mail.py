"""Reading sent email back the way a recipient's mail program would."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email import policy


@dataclass(frozen=True)
class Received:
    to: str
    sender: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    # every MIME part's content type, in order (multipart/mixed, multipart/alternative, text/plain, ...)
    parts: tuple[str, ...] = ()
    # the text/calendar alternative, as a calendar app reads it, and its METHOD parameter
    calendar: bytes | None = None
    calendar_method: str | None = None
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (filename, content type, data)

    def link(self, path: str) -> str:
        """The first link in the text part whose path is `path` (e.g. /members/confirm)."""
        found = re.search(rf"https?://[^\s]+{re.escape(path)}\?token=[A-Za-z0-9_.%-]+", self.text)
        assert found, f"no {path} link in: {self.text}"
        return found.group(0)

    def token(self, path: str) -> str:
        return self.link(path).split("token=", 1)[1]


def parse(raw: str | bytes) -> Received:
    message = email.message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    calendar_part = next(
        (p for p in message.walk() if p.get_content_type() == "text/calendar" and not p.get_filename()), None
    )
    attachments = tuple(
        (str(p.get_filename()), p.get_content_type(), bytes(p.get_payload(decode=True) or b""))  # type: ignore[arg-type]
        for p in message.walk()
        if p.get_filename()
    )
    method = calendar_part.get_param("method") if calendar_part else None
    return Received(
        parts=tuple(p.get_content_type() for p in message.walk()),
        calendar=bytes(calendar_part.get_payload(decode=True)) if calendar_part else None,  # type: ignore[arg-type]
        calendar_method=method if isinstance(method, str) else None,
        attachments=attachments,
        to=str(message["To"]),
        sender=str(message["From"]),
        subject=str(message["Subject"]),
        text=text.get_content() if text else "",
        html=html.get_content() if html else "",
        headers={k: str(v) for k, v in message.items()},
    )
