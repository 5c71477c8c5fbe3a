"""Deployment configuration: read from `cdk.json` context and validated at synth time.

A mistake here (a malformed address, an unknown time zone) must stop `cdk synth` with a message
that names the key, not surface as a broken email weeks later.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parseaddr
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

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


Address = Annotated[str, AfterValidator(_address)]
Mailbox = Annotated[str, AfterValidator(_mailbox)]


class DeploymentConfig(BaseModel):
    """The `mkcpp` object in cdk.json context. Every key is documented in the README."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack_name: str = Field("MkcppBackend", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
    group_name: str = Field(min_length=1, max_length=120)
    sender: Mailbox
    reply_to: Address
    coordinators: list[Address] = Field(min_length=1)
    base_url: str | None = Field(
        None,
        description="Public URL of the API used in email links, e.g. https://api.example.org. "
        "Leave out to use the HTTP API's own endpoint.",
    )
    time_zone: str = "Europe/London"
    reminder_offsets_days: list[int] = Field(default_factory=lambda: [7, 1], min_length=1)
    privacy_notice_version: str = Field(min_length=1, max_length=40)
    log_retention_days: int = 90
    unsubscribe_grace_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Days an unsubscribed member's profile is kept, so a mistaken unsubscribe can be "
        "undone by rejoining; then their name, contact details and role are removed (the record "
        "itself goes a year after unsubscribing).",
    )
    api_throttle_rate: float = Field(10, gt=0, description="steady requests per second, whole API")
    api_throttle_burst: int = Field(20, gt=0)
    admin_throttle_rate: float = Field(
        2, gt=0, description="steady requests per second on each /admin route (its own budget)"
    )
    admin_throttle_burst: int = Field(10, gt=0)
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
    form_post_limit_per_5_minutes: int = Field(
        100, ge=10, le=2_000_000_000, description="WAF: form posts one client address may make in 5 minutes"
    )

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith("https://") or value.endswith("/"):
            raise ValueError("must start with https:// and have no trailing slash")
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
            # for the capabilities to come (meeting reminders, feedback routing): validated here,
            # read by each function's settings model
            "REMINDER_OFFSETS_DAYS": ",".join(str(days) for days in self.reminder_offsets_days),
            "COORDINATORS": ",".join(self.coordinators),
            "UNSUBSCRIBE_GRACE_DAYS": str(self.unsubscribe_grace_days),
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
