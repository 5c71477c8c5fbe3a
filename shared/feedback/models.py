"""What feedback is: the form (`POST /feedback`), a change (`PATCH /admin/feedback/{reference}`), a
stored item and its history, and the deployment's feedback settings.

The contact email is never part of the item: it is stored apart (`FEEDBACK#ref/CONTACT`), read only
to send the reporter an email, and erased when the item's follow-up window is over.
"""

import base64
import json
import re
import secrets
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from shared.email.address import normalise_email
from shared.forms import FormModel, PatchModel
from shared.model import Model
from shared.text import Paragraphs, SingleLine

KINDS = {
    "feedback": "Feedback",
    "concern": "A concern",
    "compliment": "A compliment",
    "journal_entry": "A journal entry",
}
ROLES = {"patient": "A patient", "carer": "A carer", "other": "Someone else"}
# The NHS Friends and Family Test's question and answers, in its own words
FFT_QUESTION = "Overall, how was your experience of our service?"
RATINGS = {
    "very_good": "Very good",
    "good": "Good",
    "neither": "Neither good nor poor",
    "poor": "Poor",
    "very_poor": "Very poor",
    "dont_know": "Don't know",
}
STATUSES = {
    "received": "Received",
    "acknowledged": "Acknowledged",
    "with_working_group": "With a working group",
    "raised_with_hospital": "Raised with the hospital",
    "change_planned": "Change planned",
    "change_made": "Change made",
    "closed": "Closed",
}
Status = Literal[
    "received",
    "acknowledged",
    "with_working_group",
    "raised_with_hospital",
    "change_planned",
    "change_made",
    "closed",
]
ON_BEHALF = {
    "desk": "At the drop-by desk",
    "phone": "On the phone",
    "journal": "From a paper journal",
    "letter": "By letter",
}
ANSWERS = {"yes": "Yes, it was solved", "partly": "Partly", "no": "No, it was not solved"}
OTHER_ABOUT = "other"
TEXT_LIMIT = 5000
# references: "FB-" and 16 letters and digits in four groups, 80 random bits: unguessable, yet
# readable down a phone (base32 has no 0, 1, 8 or 9 to mistake for O, I, B or g)
REFERENCE = re.compile(r"^FB-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")
REFERENCE_PATTERN = REFERENCE.pattern


def new_reference() -> str:
    letters = base64.b32encode(secrets.token_bytes(10)).decode()
    return "FB-" + "-".join(letters[i : i + 4] for i in range(0, 16, 4))


class FeedbackSettings(Model):
    """The deployment's feedback settings (cdk.json, `FEEDBACK_SETTINGS`)."""

    about: list[str]
    categories: list[str]
    phrases: list[str]
    urgent_help: list[str]
    first_response_days: int = 5
    escalation_hours: int = 24
    escalation_contacts: list[str] = Field(default_factory=list)
    text_in_email: bool = False
    retention_days: int = 730
    follow_up_days: int = 28

    @classmethod
    def from_json(cls, text: str) -> "FeedbackSettings":
        return cls.model_validate(json.loads(text))


class FeedbackForm(FormModel):
    """`POST /feedback`, a plain form (or JSON). Anonymous needs no personal data at all."""

    kind: Literal["feedback", "concern", "compliment", "journal_entry"]
    about: SingleLine = Field(min_length=1, max_length=120)
    about_other: SingleLine | None = Field(None, max_length=120, validate_default=True)
    category: SingleLine = Field(min_length=1, max_length=80)
    text: Paragraphs = Field(min_length=1, max_length=TEXT_LIMIT)
    role: Literal["patient", "carer", "other"]
    rating: Literal["very_good", "good", "neither", "poor", "very_poor", "dont_know"] | None = None
    contact_email: str | None = Field(None, max_length=254)
    consent_contact: bool = Field(False, validate_default=True)
    consent_publish: bool = False
    website: str | None = Field(None, max_length=200, description="Honeypot: leave empty.")

    messages: ClassVar[dict[str, str]] = {
        "kind": "Choose what you are telling us: feedback, a concern, a compliment or a journal entry",
        "about": "Choose the clinic, ward or service this is about, or type it in",
        "about_other": "Type the clinic, ward or service in 120 characters or fewer",
        "category": "Choose what it is mainly about",
        "text": "Tell us what happened, in 5,000 characters or fewer",
        "role": "Choose whether you are a patient, a carer or someone else",
        "rating": "Choose one answer, or leave the question unanswered",
        "contact_email": "Enter an email address in the correct format, like name@example.org",
        "consent_contact": "Tick the box to say we may email you, or leave the email address empty",
        "consent_publish": "Tick the box, or leave it unticked",
        "body": "Send the form fields as a form post or a JSON object",
    }

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise_email(value) if value else None

    @field_validator("about_other")
    @classmethod
    def _other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("about") == OTHER_ABOUT and not value:
            raise ValueError("type what it is about")
        return value

    @field_validator("consent_contact")
    @classmethod
    def _consent(cls, value: bool, info: ValidationInfo) -> bool:
        if info.data.get("contact_email") and not value:
            raise ValueError("consent is needed to keep an address")
        return value

    @property
    def subject(self) -> str:
        """What it is about: a listed service, or what the person typed."""
        return (self.about_other or "") if self.about == OTHER_ABOUT else self.about


class OnBehalfForm(FeedbackForm):
    """The console's form for feedback taken at the drop-by desk, on the phone or from a paper
    journal: the same fields, and how it came."""

    how: Literal["desk", "phone", "journal", "letter"]
    messages: ClassVar[dict[str, str]] = {
        **FeedbackForm.messages,
        "how": "Choose how the feedback came to you",
    }


class FeedbackPatch(PatchModel):
    """`PATCH /admin/feedback/{reference}`: any of these; each change is in the item's history."""

    status: Status | None = None
    working_group: SingleLine | None = Field(None, max_length=120)
    internal_note: Paragraphs | None = Field(None, min_length=1, max_length=5000)
    public_response: Paragraphs | None = Field(None, min_length=1, max_length=5000)
    anonymised_text: Paragraphs | None = Field(None, max_length=TEXT_LIMIT)

    clearable: ClassVar[frozenset[str]] = frozenset({"working_group", "anonymised_text"})
    messages: ClassVar[dict[str, str]] = {
        "status": "Choose one of the statuses: " + ", ".join(STATUSES),
        "working_group": "Enter the working group's name in 120 characters or fewer",
        "internal_note": "Write the note in 5,000 characters or fewer",
        "public_response": "Write the public response in 5,000 characters or fewer",
        "anonymised_text": "Write the anonymised text in 5,000 characters or fewer",
    }


class HistoryEntry(Model):
    at: str
    actor: str
    action: str  # received, status, note, public_response, anonymised_text, working_group, ...
    detail: str = ""


class Item(Model):
    """A stored feedback item, as administrators see it (its contact is apart)."""

    reference: str
    kind: str
    about: str
    category: str
    text: str
    role: str
    rating: str | None = None
    urgent: bool = False
    status: str = "received"
    received_at: str
    first_response_at: str | None = None
    closed_at: str | None = None
    changed_at: str | None = None  # when its status became change_made
    working_group: str | None = None
    public_response: str | None = None
    public_response_at: str | None = None
    anonymised_text: str | None = None
    consent_publish: bool = False
    has_contact: bool = False
    on_behalf: str | None = None
    escalated_at: str | None = None
    follow_up_sent_at: str | None = None
    follow_up_answer: str | None = None
    reopened: int = 0
    version: int = 0

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> "Item":
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})


class PublicStatus(Model):
    """`GET /feedback/{reference}`: nothing personal."""

    reference: str
    status: str
    status_label: str
    received_on: str
    public_response: str | None = None


class Accepted(Model):
    reference: str
