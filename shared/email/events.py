"""Bounces and complaints that SES publishes for our configuration set, and what they mean for our
suppression list: every capability that emails shares both.

SES publishes events to an SNS topic, which delivers them to an SQS queue that one consumer reads
(with partial batch failure, so nothing is lost). The SQS body is the SNS notification, whose
`Message` is the SES event in the SES event-publishing format (`eventType`), or, for identity
feedback notifications, the older format (`notificationType`). Both are accepted.

`apply_event` suppresses or counts each recipient; what else an event means (members: a complaint
unsubscribes, a hard bounce marks the member) is the consuming capability's
(`shared.members.bounces.record_event`).
"""

import json
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from shared.email.suppression import MAILING_REF, SuppressionList
from shared.model import Model
from shared.observability import logger


class _Lenient(Model):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Recipient(_Lenient):
    email_address: str = Field(alias="emailAddress")


class Bounce(_Lenient):
    bounce_type: Literal["Permanent", "Transient", "Undetermined"] = Field(alias="bounceType")
    bounce_sub_type: str | None = Field(None, alias="bounceSubType")
    bounced_recipients: list[Recipient] = Field(alias="bouncedRecipients")
    timestamp: str


class Complaint(_Lenient):
    complained_recipients: list[Recipient] = Field(alias="complainedRecipients")
    timestamp: str
    complaint_feedback_type: str | None = Field(None, alias="complaintFeedbackType")


class Mail(_Lenient):
    message_id: str = Field(alias="messageId")
    timestamp: str
    tags: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def mailing(self) -> str | None:
        """The `ref` tag our mailer put on the email (`OutgoingEmail.ref`), when it is one."""
        found = next(iter(self.tags.get("ref") or []), "")
        return found if re.match(MAILING_REF, found) else None


class SesEvent(_Lenient):
    event_type: str = Field(alias="eventType")
    mail: Mail
    bounce: Bounce | None = None
    complaint: Complaint | None = None

    @model_validator(mode="before")
    @classmethod
    def _either_format(cls, data: Any) -> Any:
        if isinstance(data, dict) and "eventType" not in data and "notificationType" in data:
            return {**data, "eventType": data["notificationType"]}
        return data


def parse_sqs_body(body: str) -> SesEvent:
    """An SQS message body: an SNS notification wrapping the SES event, or (raw delivery) the event."""
    data = json.loads(body)
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        data = json.loads(data["Message"])
    return SesEvent.model_validate(data)


class SuppressionOutcome(Model):
    newly_suppressed: list[str] = Field(default_factory=list)  # lookup ids
    # every recipient that is suppressed after this event, newly or already: a retried event whose
    # first attempt suppressed the address but failed before marking the member must still mark it
    suppressed: list[str] = Field(default_factory=list)
    # of those, the ones that complained: their member is unsubscribed rather than marked suppressed
    complained: list[str] = Field(default_factory=list)
    counted: int = 0


def apply_event(event: SesEvent, suppressions: SuppressionList, now: datetime) -> SuppressionOutcome:
    """Record what the event says about each recipient. Safe to apply twice (SQS may redeliver)."""
    outcome = SuppressionOutcome()
    if event.event_type == "Bounce" and event.bounce:
        for recipient in event.bounce.bounced_recipients:
            lookup_id = suppressions.lookup_id(recipient.email_address)
            if event.bounce.bounce_type == "Permanent":
                changed = suppressions.suppress(lookup_id, "hard_bounce", now, event.mail.mailing)
                outcome.suppressed.append(lookup_id)
            else:
                changed = suppressions.soft_bounce(lookup_id, event.mail.message_id, now, event.mail.mailing)
                outcome.counted += 1
                entry = suppressions.get(lookup_id)
                if changed or (entry is not None and entry.suppressed):
                    outcome.suppressed.append(lookup_id)
            if changed:
                outcome.newly_suppressed.append(lookup_id)
    elif event.event_type == "Complaint" and event.complaint:
        for recipient in event.complaint.complained_recipients:
            lookup_id = suppressions.lookup_id(recipient.email_address)
            if suppressions.suppress(lookup_id, "complaint", now, event.mail.mailing):
                outcome.newly_suppressed.append(lookup_id)
            outcome.suppressed.append(lookup_id)
            outcome.complained.append(lookup_id)
    else:
        logger.info("SES event ignored", extra={"event_type": event.event_type})
    return outcome
