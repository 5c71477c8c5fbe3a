"""The deployment settings every function receives as environment variables, validated once.

`infra.config.DeploymentConfig.as_environment` writes them (at synth, and for local mode); a
function's own settings model extends `DeploymentSettings` with the resources it declares (tables,
secrets), so no handler reads `os.environ` itself and a missing or malformed value fails the cold
start with the variable's name.
"""

from typing import Annotated, Any, NamedTuple

from pydantic import BeforeValidator, ConfigDict, Field

from shared.model import Model

# The directory's data licence until a deployment names another (`data_licence_*` in cdk.json)
OGL_NAME = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class FunctionSettings(Model):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DeploymentSettings(FunctionSettings):
    group_name: str = Field(alias="GROUP_NAME")
    base_url: str = Field(alias="BASE_URL")
    time_zone: str = Field(alias="TIME_ZONE")
    privacy_notice_version: str = Field(alias="PRIVACY_NOTICE_VERSION")
    reminder_offsets_days: Annotated[list[int], BeforeValidator(_comma_list)] = Field(
        alias="REMINDER_OFFSETS_DAYS", min_length=1
    )
    coordinators: Annotated[list[str], BeforeValidator(_comma_list)] = Field(
        alias="COORDINATORS", min_length=1
    )
    # who members deal with: every page's help line, every email's contact line, the privacy notice
    controller_name: str = Field(alias="CONTROLLER_NAME")
    postal_address: str = Field(alias="POSTAL_ADDRESS")
    contact_email: str = Field(alias="CONTACT_EMAIL")
    contact_phone: str = Field(alias="CONTACT_PHONE")
    hospital: str = Field(alias="HOSPITAL")
    about: str = Field(alias="ABOUT")
    members_do: str = Field(alias="MEMBERS_DO")
    log_retention_days: int = Field(alias="LOG_RETENTION_DAYS")
    unsubscribe_grace_days: int = Field(alias="UNSUBSCRIBE_GRACE_DAYS", ge=1, le=90)
    # meetings (`infra.config.DeploymentConfig`); defaults for functions started before they existed
    meeting_update_minutes: int = Field(5, alias="MEETING_UPDATE_MINUTES")
    report_back_days: int = Field(10, alias="REPORT_BACK_DAYS")
    report_back_chase_days: int = Field(4, alias="REPORT_BACK_CHASE_DAYS")
    attendance_retention_days: int = Field(731, alias="ATTENDANCE_RETENTION_DAYS")
    email_per_second: float = Field(1, alias="EMAIL_PER_SECOND")

    @property
    def contact(self) -> "Contact":
        return Contact(
            group_name=self.group_name,
            controller_name=self.controller_name,
            postal_address=self.postal_address,
            email=self.contact_email,
            phone=self.contact_phone,
            hospital=self.hospital,
            about=self.about,
            members_do=self.members_do,
        )


class Contact(NamedTuple):
    """Who the partnership is and how to reach it, as pages and emails show it (from cdk.json)."""

    group_name: str
    controller_name: str
    postal_address: str
    email: str
    phone: str
    hospital: str
    about: str
    members_do: str

    @property
    def phone_href(self) -> str:
        """The number for a `tel:` link: digits only (and a leading +)."""
        return "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")
