"""Deployment configuration: read from `cdk.json` context and validated at synth time.

A mistake here (a malformed address, an unknown time zone) must stop `cdk synth` with a message
that names the key, not surface as a broken email weeks later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.settings import OGL_NAME, OGL_URL

CONTEXT_KEY = "mkcpp"


def _address(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    return value


def _mailbox(value: str) -> str:
    """`Name <address>` or a bare address."""
    _name, address = parseaddr(value)
    if not address:
        raise ValueError("expected an address like 'MKCPP <hello@example.org>'")
    _address(address)
    return value


def _uk_phone(value: str) -> str:
    """A UK number as a person would write it: digits and spaces, 10 or 11 digits from 0 (or +44)."""
    digits = value.replace(" ", "")
    national = "0" + digits[3:] if digits.startswith("+44") else digits
    if not re.fullmatch(r"0\d{9,10}", national) or "  " in value:
        raise ValueError("expected a UK phone number like '01908 123456'")
    return value


def _plain_text(value: str) -> str:
    if any(ch in value for ch in "<>\r\n\t") or value != value.strip():
        raise ValueError("plain text on one line: no <, >, line breaks or surrounding spaces")
    return value


Address = Annotated[str, AfterValidator(_address)]
Mailbox = Annotated[str, AfterValidator(_mailbox)]
UkPhone = Annotated[str, AfterValidator(_uk_phone)]
# Shown to members on every page and in the privacy notice: one line of plain text each.
Text = Annotated[str, AfterValidator(_plain_text)]


class DeploymentConfig(BaseModel):
    """The `mkcpp` object in cdk.json context. Every key is documented in the README."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack_name: str = Field("MkcppBackend", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
    group_name: Text = Field(min_length=1, max_length=120)
    sender: Mailbox = Field(
        description="Who emails come from: the group's name and a no-reply address, "
        "'Milton Keynes Cancer Patient Partnership <no-reply@mkcpp.org.uk>'"
    )
    reply_to: Address
    coordinators: list[Address] = Field(min_length=1)
    base_url: str | None = Field(
        None,
        description="Public URL of the API used in email links, e.g. https://api.example.org. "
        "Leave out to use the HTTP API's own endpoint.",
    )
    time_zone: str = "Europe/London"
    reminder_offsets_days: list[int] = Field(default_factory=lambda: [14, 2], min_length=1)
    # --- meetings
    meeting_update_minutes: int = Field(
        5,
        ge=1,
        le=60,
        description="Quick edits to a meeting within this many minutes of each other go out as one "
        "update email (local mode uses 1)",
    )
    report_back_days: int = Field(
        10,
        ge=1,
        le=60,
        description="Days before a plenary that each working group's lead is asked for its report",
    )
    report_back_chase_days: int = Field(
        4, ge=1, le=30, description="Days after asking that a lead is chased once, if the report is not in"
    )
    attendance_retention_days: int = Field(
        731,
        ge=30,
        le=2200,
        description="Days after a meeting that who was told, who sent apologies and who came are kept",
    )
    email_per_second: float = Field(
        1,
        gt=0,
        le=100,
        description="SES's sending rate for this account (1 in the sandbox; see the SES console's quota)",
    )
    privacy_notice_version: str = Field(min_length=1, max_length=40)
    log_retention_days: int = 90
    # --- who the members deal with: the privacy notice (UK GDPR Article 13) and every page's help line
    controller_name: Text = Field(
        min_length=1,
        max_length=120,
        description="The data controller, as the privacy notice names it (the partnership's own name, "
        "or the body that is legally responsible for it)",
    )
    postal_address: Text = Field(min_length=10, max_length=200, description="The controller's address")
    contact_email: Address = Field(description="Where members write with questions, and to use their rights")
    contact_phone: UkPhone = Field(description="A number members can ring for help")
    hospital: Text = Field(
        min_length=1, max_length=120, description="The hospital the partnership works with"
    )
    about: Text = Field(
        min_length=20, max_length=300, description="What the partnership is, in one or two short sentences"
    )
    members_do: Text = Field(
        min_length=20, max_length=400, description="What members do, in two or three short sentences"
    )
    unsubscribe_grace_days: int = Field(
        30,
        ge=1,
        le=90,
        description="Days an unsubscribed member's profile is kept so they can rejoin; then it is "
        "removed, leaving only the keyed record that stops us emailing them",
    )
    api_throttle_rate: float = Field(10, gt=0, description="steady requests per second, whole API")
    api_throttle_burst: int = Field(20, gt=0)
    admin_throttle_rate: float = Field(
        2, gt=0, description="steady requests per second on each /admin route (its own budget)"
    )
    admin_throttle_burst: int = Field(10, gt=0)
    directory_versions_kept: int = Field(
        10,
        ge=2,
        le=50,
        description="Published versions of the directory kept for rollback; older ones are deleted",
    )
    # the directory's open data (its JSON and pages) may be reused under this licence: the index,
    # every page's footer and the print edition say so
    data_licence_name: Text = Field(
        OGL_NAME,
        min_length=1,
        max_length=120,
        description="The licence others may reuse the directory's data under (default: the Open "
        "Government Licence v3.0)",
    )
    data_licence_url: str = Field(
        OGL_URL,
        max_length=300,
        pattern=r"^https://[^\s<>\"]+$",
        description="Where that licence is published (an https address)",
    )
    region: str = Field(
        "eu-west-2",
        description="The AWS region everything is deployed to: London, so members' health data stays "
        "in the UK.",
    )
    web_acl: bool = Field(
        True,
        description="Put the API behind CloudFront with an AWS WAF web ACL (per-address rate limit on "
        "form posts, AWS managed common and known-bad-inputs rules). Production: true.",
    )
    domain_name: str | None = Field(
        None,
        max_length=253,
        pattern=r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="The partnership's own address for the forms and the console, e.g. join.mkcpp.org.uk "
        "(CloudFront serves it with `certificate_arn`; `/` is the sign-up form). Leave out to use "
        "CloudFront's own address.",
    )
    certificate_arn: str | None = Field(
        None,
        pattern=r"^arn:aws:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]{36}$",
        description="The ACM certificate for `domain_name`, requested in us-east-1 (CloudFront's region).",
    )
    login_domain_prefix: str = Field(
        "mkcpp-console",
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="The administrators' sign-in page is https://<prefix>.auth.<region>.amazoncognito.com: "
        "a prefix unique in the region, in lower-case letters, digits and hyphens.",
    )
    first_administrator: Address | None = Field(
        None,
        description="The email address of the console's first administrator: the deploy creates their "
        "account in the admins group, and Cognito emails them a temporary password. They invite the "
        "others from the console's Administrators page. Keep it here once deployed (taking it out "
        "deletes that account).",
    )
    form_post_limit_per_5_minutes: int = Field(
        100, ge=10, le=2_000_000_000, description="WAF: form posts one client address may make in 5 minutes"
    )

    # --- feedback (the Patient Feedback Project)
    feedback_about: list[Text] = Field(
        default_factory=lambda: [
            "Cancer outpatients clinic",
            "Chemotherapy day unit",
            "Radiotherapy",
            "Oncology ward",
            "Haematology",
            "Breast care",
            "Palliative care team",
            "Hospital pharmacy",
        ],
        min_length=1,
        max_length=40,
        description="The clinics, wards and services the feedback form offers (anyone may also type "
        "their own)",
    )
    feedback_categories: list[Text] = Field(
        default_factory=lambda: [
            "Care and treatment",
            "Talking and listening to you",
            "Waiting and appointments",
            "Buildings, parking and food",
            "Support and information",
            "Other",
        ],
        min_length=2,
        max_length=20,
        description="The feedback form's short, plain-English categories; must include 'Other'",
    )
    safeguarding_phrases: list[Text] = Field(
        default_factory=lambda: [
            "kill myself",
            "end my life",
            "suicide",
            "suicidal",
            "want to die",
            "self harm",
            "self-harm",
            "hurt myself",
            "overdose",
            "abuse",
            "abused",
            "hits me",
            "hit me",
            "not safe at home",
            "neglect",
            "chest pain",
            "can't breathe",
            "cannot breathe",
            "bleeding heavily",
            "collapsed",
        ],
        min_length=1,
        max_length=200,
        description="Words and phrases that mark a submission urgent (risk to life, self-harm, abuse, "
        "a clinical emergency). A match never blocks a submission: it signposts help and tells the "
        "coordinators at once. An aid to people, not a replacement for them.",
    )
    urgent_help: list[Text] = Field(
        default_factory=lambda: [
            "If someone's life is at risk now, ring 999.",
            "For urgent medical help, ring NHS 111 or go to 111.nhs.uk.",
            "Milton Keynes University Hospital switchboard: 01908 660033.",
            "Samaritans: ring 116 123, free, day or night.",
        ],
        min_length=1,
        max_length=10,
        description="The urgent-help signposting every feedback reply page and email shows, one line each",
    )
    feedback_first_response_days: int = Field(
        5, ge=1, le=60, description="Working days a person can expect to wait for a first response"
    )
    feedback_escalation_hours: int = Field(
        24,
        ge=1,
        le=168,
        description="Hours after which an urgent item no coordinator has acknowledged is escalated",
    )
    escalation_contacts: list[Address] = Field(
        default_factory=list,
        description="Who is emailed when an urgent item is not acknowledged in time (default: contact_email)",
    )
    feedback_text_in_email: bool = Field(
        False,
        description="Put the feedback's own words in the coordinators' email (otherwise a link to the "
        "console). Off by default: email leaves our systems.",
    )
    feedback_retention_days: int = Field(
        730, ge=90, le=2200, description="Days feedback (its text and history) is kept, by TTL"
    )
    feedback_follow_up_days: int = Field(
        28,
        ge=7,
        le=90,
        description="Days after an item is closed that the reporter is asked if it was solved",
    )

    @field_validator("feedback_categories")
    @classmethod
    def _other_category(cls, value: list[str]) -> list[str]:
        if "Other" not in value:
            raise ValueError("the categories must include 'Other'")
        if len(set(value)) != len(value):
            raise ValueError("categories must not repeat")
        return value

    @field_validator("sender")
    @classmethod
    def _sender_is_the_group(cls, value: str, info: ValidationInfo) -> str:
        """Members see who an email is from: the group's own name, not an abbreviation."""
        group = info.data.get("group_name")
        name, address = parseaddr(value)
        if group is not None and name != group:
            raise ValueError(f"sender must show the group's name: '{group} <{address}>'")
        return value

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("https://") or value.endswith("/"):
            raise ValueError("must start with https:// and have no trailing slash")
        return value

    @model_validator(mode="after")
    def _custom_domain(self) -> DeploymentConfig:
        if (self.domain_name is None) != (self.certificate_arn is None):
            raise ValueError("domain_name and certificate_arn go together: set both, or neither")
        if self.domain_name and not self.web_acl:
            raise ValueError("domain_name needs web_acl: true (CloudFront serves the custom domain)")
        if self.domain_name and self.base_url and self.base_url != f"https://{self.domain_name}":
            raise ValueError(f"base_url must be https://{self.domain_name} (or left out) with domain_name")
        return self

    @property
    def public_base_url(self) -> str | None:
        """The address in links and redirects, when the configuration fixes it (else CloudFront's)."""
        return self.base_url or (f"https://{self.domain_name}" if self.domain_name else None)

    @field_validator("login_domain_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if any(word in value for word in ("aws", "amazon", "cognito")):
            raise ValueError("Cognito refuses a prefix containing aws, amazon or cognito")
        return value

    @field_validator("region")
    @classmethod
    def _uk(cls, value: str) -> str:
        if value != "eu-west-2":
            raise ValueError("must be eu-west-2 (London): members' health data stays in the UK")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("reminder_offsets_days")
    @classmethod
    def _offsets(cls, value: list[int]) -> list[int]:
        if any(days < 1 or days > 60 for days in value):
            raise ValueError("each offset is a whole number of days between 1 and 60")
        if len(set(value)) != len(value):
            raise ValueError("offsets must not repeat")
        return sorted(value, reverse=True)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        allowed = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731}
        if value not in allowed:
            raise ValueError(f"CloudWatch allows one of {sorted(allowed)}")
        return value

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def sender_domain(self) -> str:
        return self.sender_address.rsplit("@", 1)[1]

    def as_environment(self, base_url: str) -> dict[str, str]:
        """The settings every function receives as environment variables."""
        return {
            "GROUP_NAME": self.group_name,
            "SENDER": self.sender,
            "REPLY_TO": self.reply_to,
            "BASE_URL": base_url,
            "TIME_ZONE": self.time_zone,
            "PRIVACY_NOTICE_VERSION": self.privacy_notice_version,
            "CONTROLLER_NAME": self.controller_name,
            "POSTAL_ADDRESS": self.postal_address,
            "CONTACT_EMAIL": self.contact_email,
            "CONTACT_PHONE": self.contact_phone,
            "HOSPITAL": self.hospital,
            "ABOUT": self.about,
            "MEMBERS_DO": self.members_do,
            # printed by the privacy notice's retention table
            "LOG_RETENTION_DAYS": str(self.log_retention_days),
            "UNSUBSCRIBE_GRACE_DAYS": str(self.unsubscribe_grace_days),
            # for the capabilities to come (meeting reminders, feedback routing): validated here,
            # read by each function's settings model
            "REMINDER_OFFSETS_DAYS": ",".join(str(days) for days in self.reminder_offsets_days),
            "COORDINATORS": ",".join(self.coordinators),
            "MEETING_UPDATE_MINUTES": str(self.meeting_update_minutes),
            "REPORT_BACK_DAYS": str(self.report_back_days),
            "REPORT_BACK_CHASE_DAYS": str(self.report_back_chase_days),
            "ATTENDANCE_RETENTION_DAYS": str(self.attendance_retention_days),
            "EMAIL_PER_SECOND": str(self.email_per_second),
            "DIRECTORY_VERSIONS_KEPT": str(self.directory_versions_kept),
            "DATA_LICENCE_NAME": self.data_licence_name,
            "DATA_LICENCE_URL": self.data_licence_url,
            # the feedback capability's own (only its functions get them: `Capability.settings_prefix`)
            "FEEDBACK_SETTINGS": json.dumps(
                {
                    "about": self.feedback_about,
                    "categories": self.feedback_categories,
                    "phrases": self.safeguarding_phrases,
                    "urgent_help": self.urgent_help,
                    "first_response_days": self.feedback_first_response_days,
                    "escalation_hours": self.feedback_escalation_hours,
                    "escalation_contacts": self.escalation_contacts or [self.contact_email],
                    "text_in_email": self.feedback_text_in_email,
                    "retention_days": self.feedback_retention_days,
                    "follow_up_days": self.feedback_follow_up_days,
                },
                separators=(",", ":"),
                ensure_ascii=False,
            ),
        }


class ConfigError(Exception):
    """Raised with a readable, multi-line explanation of every bad key."""


def load_config(context: Mapping[str, Any] | None) -> DeploymentConfig:
    if not context:
        raise ConfigError(f"cdk.json context has no '{CONTEXT_KEY}' object; see README 'Deploying for real'")
    try:
        return DeploymentConfig.model_validate(context)
    except ValidationError as exc:
        lines = [f"invalid deployment configuration in cdk.json context '{CONTEXT_KEY}':"]
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(whole object)"
            lines.append(f"  - {CONTEXT_KEY}.{where}: {error['msg']}")
        raise ConfigError("\n".join(lines)) from None
