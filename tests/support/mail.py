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
    return Received(
        to=str(message["To"]),
        sender=str(message["From"]),
        subject=str(message["Subject"]),
        text=text.get_content() if text else "",
        html=html.get_content() if html else "",
        headers={k: str(v) for k, v in message.items()},
    )
