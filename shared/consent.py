"""Consent records, built one way: what a person agreed to, under which notice, when, and how.

Every capability that records consent (sign-up, an administrator adding someone met in person, a
change of role, and the capabilities to come) builds it with `consent()`, so the evidence always has
the same shape: kind, given or withdrawn, the notice version the *server* showed, the time, and the
channel. No IP address.
"""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict

from shared.clock import iso
from shared.model import Model

# how it was said: on our web form, through the API, in person to one of us, or to an administrator
# who recorded it (by phone, email or in person: a change of role made in the console or admin API),
# or told to an administrator who acted on the person's behalf (by phone, in person, by letter or by
# email: `recorded_by` names the administrator) (and, for a withdrawal of contact only, by marking
# one of our emails as spam)
Channel = Literal["web_form", "api", "in_person", "administrator", "phone", "letter", "email", "spam_report"]
# what a person told an administrator through, when the administrator acts on their behalf
Told = Literal["phone", "in_person", "letter", "email"]
ConsentKind = Literal["contact", "health_data"]


class Consent(Model):
    """What a person agreed to, under which privacy notice, when, and how. No IP address."""

    model_config = ConfigDict(frozen=True)

    kind: ConsentKind
    given: bool
    notice_version: str
    at: str
    channel: Channel
    recorded_by: str | None = None  # the administrator who recorded what the person told them


def consent(
    kind: ConsentKind,
    notice_version: str,
    channel: Channel,
    now: datetime,
    *,
    given: bool = True,
    recorded_by: str | None = None,
) -> Consent:
    return Consent(
        kind=kind,
        given=given,
        notice_version=notice_version,
        at=iso(now),
        channel=channel,
        recorded_by=recorded_by,
    )
