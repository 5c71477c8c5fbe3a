"""The local outbox: every email the functions sent through SES (moto), parsed back from MIME.

moto keeps sent mail in memory and shows it at `GET /moto-api/data.json` (`ses` → `RawMessage`
for raw MIME, `Message` for simple sends). Clearing the outbox only remembers which ids were
cleared: resetting moto would also wipe the signing secret and the SES identity.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import threading
import urllib.request
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

SES_SERVICES = ("ses", "sesv2")


def parse_mime(message_id: str, raw: str | bytes, sent_at: str) -> dict[str, Any]:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else str(value)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        content: str
        if part.get_content_maintype() == "text":
            content = str(part.get_content())
        else:
            content = base64.b64encode(payload if isinstance(payload, bytes) else b"").decode()
        attachments.append(
            {"filename": part.get_filename(), "content_type": str(part["Content-Type"]), "content": content}
        )
    calendar = next(
        (p for p in message.walk() if p.get_content_type() == "text/calendar" and not p.get_filename()), None
    )
    return {
        "id": message_id,
        # every MIME part as a mail client sees it: its full content type (with `method=`), and name
        "parts": [
            {
                "content_type": str(part.get("Content-Type", part.get_content_type())),
                "filename": part.get_filename(),
            }
            for part in message.walk()
        ],
        # a meeting's invitation, as a calendar app reads it
        "calendar": str(calendar.get_content()) if calendar is not None else None,
        "to": [address for _, address in getaddresses([str(v) for v in message.get_all("To", [])])],
        "from": str(message.get("From", "")),
        "subject": str(message.get("Subject", "")),
        "text": str(text.get_content()) if text is not None else None,
        "html": str(html.get_content()) if html is not None else None,
        "headers": headers,
        "attachments": attachments,
        "sent_at": sent_at,
    }


def _simple(record: dict[str, Any], sent_at: str) -> dict[str, Any]:
    destinations = record.get("destinations") or {}
    to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)
    body = str(record.get("body", ""))
    html = body if body.lstrip().startswith("<") else None
    return {
        "id": record.get("id"),
        "to": to,
        "from": record.get("source"),
        "subject": record.get("subject"),
        "text": None if html else body,
        "html": html,
        "headers": {},
        "attachments": [],
        "parts": [],
        "calendar": None,
        "sent_at": sent_at,
    }


class Outbox:
    def __init__(self, moto_url: str) -> None:
        self._url = f"{moto_url}/moto-api/data.json"
        self._lock = threading.Lock()
        self._first_seen: dict[str, str] = {}
        self._cleared: set[str] = set()

    def _records(self) -> list[tuple[str, dict[str, Any]]]:
        with urllib.request.urlopen(self._url, timeout=10) as response:  # noqa: S310 - our own moto
            data = json.load(response)
        found: list[tuple[str, dict[str, Any]]] = []
        for service in SES_SERVICES:
            models = data.get(service) or {}
            found.extend(("raw", record) for record in models.get("RawMessage", []))
            found.extend(("simple", record) for record in models.get("Message", []))
        return found

    def refresh(self) -> list[tuple[str, dict[str, Any], str]]:
        """Every sent message not cleared, oldest first, with the time it was first seen."""
        records = self._records()
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        kept = []
        with self._lock:
            for kind, record in records:
                message_id = str(record.get("id"))
                sent_at = self._first_seen.setdefault(message_id, now)
                if message_id not in self._cleared:
                    kept.append((kind, record, sent_at))
        return kept

    def emails(self) -> list[dict[str, Any]]:
        result = []
        for kind, record, sent_at in self.refresh():
            if kind == "raw":
                result.append(parse_mime(str(record.get("id")), record.get("raw_data", ""), sent_at))
            else:
                result.append(_simple(record, sent_at))
        result.sort(key=lambda sent: str(sent["sent_at"]))  # stable: moto's order within a moment
        return result

    def clear(self) -> int:
        records = self.refresh()
        with self._lock:
            self._cleared.update(str(record.get("id")) for _, record, _ in records)
        return len(records)
