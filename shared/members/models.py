"""Member domain models: what a sign-up form may contain, and what is stored about a member."""

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from shared.consent import Channel, Consent, consent
from shared.email.address import EMAIL_FORMAT, normalise_email
from shared.forms import FormModel
from shared.groups import GROUP_ID_PATTERN, GroupId
from shared.model import Model
from shared.text import Paragraphs, SingleLine


class Role(StrEnum):
    PATIENT = "patient"
    CARER = "carer"
    PATIENT_AND_CARER = "patient_and_carer"
    HEALTH_PROFESSIONAL = "health_professional"
    HOSPITAL_STAFF = "hospital_staff"
    SERVICE_PROVIDER = "service_provider"
    VOLUNTARY_GROUP = "voluntary_group"
    OBSERVER = "observer"
    # "I'd rather not say", and what a patient or carer role becomes when health consent is withdrawn
    NOT_STATED = "not_stated"


ROLE_LABELS: dict[Role, str] = {
    Role.PATIENT: "Patient (someone who has or has had cancer)",
    Role.CARER: "Carer (someone who looks after a person with cancer)",
    Role.PATIENT_AND_CARER: "Both a patient and a carer",
    Role.HEALTH_PROFESSIONAL: "Health professional",
    Role.HOSPITAL_STAFF: "Hospital staff",
    Role.SERVICE_PROVIDER: "Service provider",
    Role.VOLUNTARY_GROUP: "Voluntary or support group",
    Role.OBSERVER: "Observer",
    Role.NOT_STATED: "I'd rather not say",
}

# Saying that someone is a cancer patient or carer is special category health data (UK GDPR art. 9):
# it is stored only with its own explicit consent.
HEALTH_DATA_ROLES = frozenset({Role.PATIENT, Role.CARER, Role.PATIENT_AND_CARER})


class MemberStatus(StrEnum):
    """One vocabulary everywhere: the sign-up answer, the admin filter, lists, the CSV and the table."""

    PENDING = "pending_confirmation"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"


# What records written before the vocabulary was unified say for PENDING (they expire within 7 days).
LEGACY_PENDING = "pending"

# The shape a member record is written in now. 1 (no `schema_version`): written before the status
# vocabulary was unified, with `pending` for a pending sign-up. 2: `pending_confirmation`.
MEMBER_SCHEMA = 2


def upgrade(item: dict[str, Any]) -> dict[str, Any]:
    """A stored member record of any earlier shape, as the current model reads it. Each step takes
    one version to the next, so a record written by any older version of the code can be read; the
    next write stores the current shape."""
    version = item.get("schema_version", 1)
    if not isinstance(version, int) or version > MEMBER_SCHEMA:
        return item  # written by a newer version, or damaged: the model says what is wrong
    item = dict(item)
    if version < 2 and item.get("status") == LEGACY_PENDING:
        item["status"] = MemberStatus.PENDING.value
    item["schema_version"] = MEMBER_SCHEMA
    return item


PHONE_PATTERN = r"^\+?[0-9 ()-]{7,20}$"
_PHONE = re.compile(PHONE_PATTERN)
_GROUP_ID = re.compile(GROUP_ID_PATTERN)


class SignupForm(FormModel):
    """`POST /members`. Field order is the form's order; error lists follow it."""

    name: SingleLine = Field(min_length=1, max_length=100)
    email: str = Field(max_length=254)
    phone: str | None = Field(None, max_length=20)
    role: Role
    organisation: SingleLine | None = Field(None, max_length=120)
    working_groups: list[str] = Field(default_factory=list, max_length=20)
    consent_contact: bool = Field(False, validate_default=True)
    consent_health_data: bool = Field(False, validate_default=True)
    privacy_notice_version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    website: str | None = Field(None, max_length=200, description="Honeypot: leave empty.")

    messages: ClassVar[dict[str, str]] = {
        "name": "Enter your name on one line, in 100 characters or fewer, without special symbols",
        "email": EMAIL_FORMAT,
        "phone": "Enter a phone number of 7 to 20 digits, spaces and + ( ) - only, like 01908 123456",
        "role": "Choose the option that best describes you",
        "organisation": "Enter your organisation on one line, in 120 characters or fewer",
        "working_groups": "Choose working groups from the list",
        "consent_contact": "Tick the box to agree that we may contact you about the partnership",
        "consent_health_data": "To join as a patient or carer, tick the box to agree that we may store "
        "that you are a patient or carer, or choose another option",
        "privacy_notice_version": "The form was out of date: reload the page and try again",
        "body": "Send the form fields as a form post or a JSON object",
    }

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError("not a phone number")
        return value

    @field_validator("working_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        if any(not _GROUP_ID.match(group) for group in value):
            raise ValueError("unknown working group")
        return sorted(set(value))

    @field_validator("consent_contact")
    @classmethod
    def _contact(cls, value: bool) -> bool:
        if not value:
            raise ValueError("consent to be contacted is required")
        return value

    @field_validator("consent_health_data")
    @classmethod
    def _health(cls, value: bool, info: ValidationInfo) -> bool:
        if info.data.get("role") in HEALTH_DATA_ROLES and not value:
            raise ValueError("explicit consent is required to store a patient or carer role")
        return value

    @property
    def is_bot(self) -> bool:
        return bool(self.website)


def consents_for(role: Role, notice_version: str, channel: Channel, now: datetime) -> list[Consent]:
    """Consent to be contacted and, for a patient or carer role, to hold that health data."""
    kinds = ("contact", "health_data") if role in HEALTH_DATA_ROLES else ("contact",)
    return [consent(kind, notice_version, channel, now) for kind in kinds]  # type: ignore[arg-type]


class SignupAccepted(Model):
    """The one answer to every well-formed sign-up, so nobody can learn who is a member."""

    status: Literal["pending_confirmation"] = "pending_confirmation"


PreferencesAction = Literal["save", "withdraw_health_consent", "remove_profile"]


class PreferencesForm(FormModel):
    """`POST /members/preferences`: an unticked box is simply absent from a form post.

    `action` says which of the page's forms was sent: the preferences and details form (`save`),
    the separate health-consent withdrawal form, or (after unsubscribing) "remove my details now".
    A detail that is not sent stays as it is; an empty phone or organisation box clears it."""

    action: PreferencesAction = "save"
    meeting_reminders: bool = False
    newsletters: bool = False
    working_groups: list[str] = Field(default_factory=list, max_length=50)
    name: SingleLine | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=20)
    organisation: SingleLine | None = Field(None, max_length=120)
    role: Role | None = None
    consent_health_data: bool = False

    clearable: ClassVar[frozenset[str]] = frozenset({"name", "phone", "organisation"})
    messages: ClassVar[dict[str, str]] = {
        "action": "Use the buttons on the page",
        "meeting_reminders": "Tick the box, or leave it unticked",
        "newsletters": "Tick the box, or leave it unticked",
        "working_groups": "Choose working groups from the list",
        "name": SignupForm.messages["name"],
        "phone": SignupForm.messages["phone"],
        "organisation": SignupForm.messages["organisation"],
        "role": SignupForm.messages["role"],
        "consent_health_data": "To say you are a patient or carer, tick the box to agree that we may "
        "store it, or choose another option",
    }

    @model_validator(mode="before")
    @classmethod
    def _something_sent(cls, data: Any) -> Any:
        # Every form on the page sends its `action`: an empty body is not "untick everything"
        if isinstance(data, dict) and not data:
            raise ValueError("the form was empty")
        return data

    @field_validator("phone", "organisation", mode="before")
    @classmethod
    def _empty_clears(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError("not a phone number")
        return value

    def details(self) -> dict[str, object]:
        """The profile details that were sent (None: cleared)."""
        return {k: getattr(self, k) for k in ("name", "phone", "organisation") if k in self.model_fields_set}


class Preferences(Model):
    meeting_reminders: bool = True
    newsletters: bool = False


class Rejoin(Model):
    """What an unsubscribed member sent when signing up again, held until they confirm it."""

    name: SingleLine = Field(min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=20, pattern=PHONE_PATTERN)
    role: Role
    organisation: SingleLine | None = Field(None, max_length=120)
    working_groups: list[GroupId] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)


class EmailChange(Model):
    """A new email address waiting for its owner to confirm it. The member's address stays the old
    one until the button in the email to the new address is pressed."""

    email: str = Field(max_length=254)
    lookup_id: str
    nonce: str
    requested_at: str
    requested_by: str = Field(max_length=64)  # "member", or the administrator's id
    confirmed_at: str | None = None  # pressed: `email` is now the member's address


class Member(Model):
    """A member as stored. `lookup_id` is the keyed hash of the email address; a member who takes
    part by phone or post has no email, no lookup id, and a postal address or phone instead."""

    id: str = Field(min_length=1, max_length=64)
    # None only once the profile is removed (`profile_removed_at`): an unsubscribed member's grace
    # period ended, or they asked for it at once
    name: SingleLine | None = Field(None, min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=20, pattern=PHONE_PATTERN)
    postal_address: Paragraphs | None = Field(None, max_length=300)
    role: Role
    organisation: SingleLine | None = Field(None, max_length=120)
    working_groups: list[GroupId] = Field(default_factory=list)
    status: MemberStatus
    created_at: str
    confirmed_at: str | None = None
    unsubscribed_at: str | None = None
    consents: list[Consent] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)
    lookup_id: str | None = None
    confirm_nonce: str | None = None
    rejoin: Rejoin | None = None
    email_change: EmailChange | None = None
    status_before_suppression: MemberStatus | None = None
    expires_at: int | None = None
    profile_removed_at: str | None = None
    # Bumped by every write; every write is conditional on it (optimistic locking), so two changes
    # that race never silently overwrite each other.
    version: int = 0
    # The shape the record was written in: every read upgrades an older one (`upgrade`), and every
    # write stores the current shape.
    schema_version: int = MEMBER_SCHEMA

    @property
    def by_email(self) -> bool:
        return self.email is not None

    @property
    def taking_part(self) -> bool:
        """Active, or active until emails to them bounced for good: still a member, in their working
        groups and invited to meetings, to be phoned or written to."""
        return self.status is MemberStatus.ACTIVE or (
            self.status is MemberStatus.SUPPRESSED and self.status_before_suppression is MemberStatus.ACTIVE
        )

    @model_validator(mode="after")
    def _named(self) -> "Member":
        if self.name is None and self.profile_removed_at is None:
            raise ValueError("a member has a name until their profile is removed")
        return self

    @property
    def health_consent_given(self) -> bool:
        return health_consent_given(self.consents)

    @property
    def holds_health_data(self) -> bool:
        """Whether anything on the record says, or lets us say, that they are a patient or carer."""
        return (
            self.role in HEALTH_DATA_ROLES
            or self.health_consent_given
            or (self.rejoin is not None and self.rejoin.role in HEALTH_DATA_ROLES)
        )


def health_consent_given(consents: list[Consent]) -> bool:
    """The latest health-data consent record decides: a withdrawal cancels an earlier "given"."""
    latest = [c for c in consents if c.kind == "health_data"]
    return bool(latest) and latest[-1].given


def withdraw_health_consent(
    member: Member, notice_version: str, channel: Channel, now: datetime
) -> dict[str, Any]:
    """The profile changes that withdraw health-data consent: a `given: false` record (the notice the
    server shows now, the time, the channel), and a patient or carer role replaced by `not_stated`,
    on the record and on a rejoin waiting for confirmation. Empty when nothing is held."""
    if not member.holds_health_data:
        return {}
    changes: dict[str, Any] = {
        "consents": [*member.consents, consent("health_data", notice_version, channel, now, given=False)]
    }
    if member.role in HEALTH_DATA_ROLES:
        changes["role"] = Role.NOT_STATED
    if member.rejoin is not None and member.rejoin.role in HEALTH_DATA_ROLES:
        changes["rejoin"] = member.rejoin.model_copy(
            update={
                "role": Role.NOT_STATED,
                "consents": [c for c in member.rejoin.consents if c.kind != "health_data"],
            }
        )
    return changes


class MemberSummary(Model):
    """One row of the administrators' member list."""

    id: str
    name: str | None = Field(description="null once an unsubscribed member's profile is removed")
    email: str | None
    phone: str | None
    postal_address: str | None = None
    role: Role | None = Field(
        description="null until the member confirms their address: an unconfirmed role is anyone's claim "
        "about the address's owner, and a patient or carer role is health data"
    )
    status: MemberStatus
    organisation: str | None
    working_groups: list[str]
    preferences: Preferences
    created_at: str
    confirmed_at: str | None

    @classmethod
    def of(cls, member: Member) -> "MemberSummary":
        data = member.model_dump(include=set(cls.model_fields))
        if member.confirmed_at is None:
            data["role"] = None
        return cls.model_validate(data)


class MemberPage(Model):
    items: list[MemberSummary]
    next: str | None = Field(description="Cursor for the next page, or null on the last page.")


__all__ = ["Channel", "Consent"]
