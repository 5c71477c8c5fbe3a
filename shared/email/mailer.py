"""Sending email through SES (v2), as MIME with a text and an HTML part.

Every email to a member carries `List-Unsubscribe` and `List-Unsubscribe-Post:
List-Unsubscribe=One-Click` (RFC 8058), pointing at a signed one-click unsubscribe link, and is sent
with the SES configuration set so bounces and complaints come back to us.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from botocore.exceptions import ClientError

from shared.email.render import RenderedEmail
from shared.errors import Unavailable
from shared.observability import logger

if TYPE_CHECKING:  # the email package's header parser loads on the first email built, not at import
    from email.message import EmailMessage
    from email.policy import EmailPolicy


class EmailNotSent(Unavailable):
    """SES refused or failed; nothing was sent."""

    message = "The email could not be sent just now; try again in a few minutes."

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Attachment(NamedTuple):
    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    data: bytes


class CalendarPart(NamedTuple):
    """An invitation or a cancellation, as calendar apps read it: `method` is REQUEST or CANCEL."""

    method: str
    ics: bytes


class OutgoingEmail(NamedTuple):
    to: str
    content: RenderedEmail
    kind: str  # what this email is, for metrics and SES event tags: "confirm", "welcome", ...
    unsubscribe_url: str | None
    attachments: tuple[Attachment, ...] = ()
    # a meeting's invitation: a third alternative (text/calendar; method=...; charset=UTF-8) beside
    # the text and HTML, and the same .ics attached, which is what Outlook, Gmail and Apple Mail read
    calendar: CalendarPart | None = None
    # which mailing this email is one of (an announcement's `announcement-<id>`), sent as the SES tag
    # `ref`: SES hands it back with a bounce or complaint, and the mailing's page counts its bounces
    ref: str | None = None


@cache
def mime_policy() -> EmailPolicy[EmailMessage]:
    """Header lines up to RFC 5322's 998 characters: a List-Unsubscribe URL must stay one plain
    `<url>`, which the default 78-character folding would turn into unreadable encoded words."""
    from email import policy

    return policy.SMTP.clone(max_line_length=998)


def build_mime(email: OutgoingEmail, sender: str, reply_to: str) -> EmailMessage:
    from email.message import EmailMessage
    from email.utils import make_msgid

    message = EmailMessage(policy=mime_policy())
    message["From"] = sender
    message["To"] = email.to
    message["Reply-To"] = reply_to
    message["Subject"] = email.content.subject
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    if email.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.content.text)
    message.add_alternative(email.content.html, subtype="html")
    if email.calendar is not None:
        message.add_alternative(
            email.calendar.ics,
            maintype="text",
            subtype="calendar",
            params={"method": email.calendar.method, "charset": "UTF-8"},
        )
        name = "cancel.ics" if email.calendar.method == "CANCEL" else "invite.ics"
        message.add_attachment(email.calendar.ics, maintype="application", subtype="ics", filename=name)
    for attachment in email.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename, params=extra
        )
    return message


class SuppressionCheck(Protocol):
    def is_suppressed(self, address: str) -> bool: ...


class Mailer:
    """The only way email leaves the system. It refuses suppressed addresses, whatever the email."""

    def __init__(
        self, client: Any, sender: str, reply_to: str, configuration_set: str, suppressions: SuppressionCheck
    ) -> None:
        self._ses = client
        self._sender = sender
        self._reply_to = reply_to
        self._configuration_set = configuration_set
        self._suppressions = suppressions

    def send(self, email: OutgoingEmail, suppression_checked: bool = False) -> str | None:
        """The SES message id, or None when the address is suppressed and nothing was sent.

        `suppression_checked=True` only when the caller read this address's suppression entry in the
        same request and found none (sign-up reads it together with the address pointer)."""
        if not email.to:
            logger.warning("email not sent: no address", extra={"kind": email.kind})
            return None
        if not suppression_checked and self._suppressions.is_suppressed(email.to):
            logger.info("email not sent: address suppressed", extra={"kind": email.kind})
            return None
        message = build_mime(email, self._sender, self._reply_to)
        try:
            response = self._ses.send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": [email.to]},
                Content={"Raw": {"Data": message.as_bytes()}},
                ConfigurationSetName=self._configuration_set,
                EmailTags=[
                    {"Name": "kind", "Value": email.kind},
                    *([{"Name": "ref", "Value": email.ref}] if email.ref else []),
                ],
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            logger.warning("email not sent", extra={"kind": email.kind, "error_code": code})
            raise EmailNotSent(code) from exc
        message_id = str(response["MessageId"])
        logger.info("email sent", extra={"kind": email.kind, "message_id": message_id})
        return message_id
