"""Directory entries: what administrators enter (the admin API's POST and PUT, the console's form, a
row of an import) and what is stored, shaped after Open Referral's HSDS 3.0.

A service carries its organisation (an HSDS organization, which has a description), its locations
(each with a `location_type`, an address and accessibility notes), its contacts (phone, email,
website), its opening times in HSDS's RRULE-style parts (`freq`, `byday` such as `MO,TU` or `2TU`,
`opens_at`, `closes_at`), its categories and what visitors need it for (two taxonomies), cost and
eligibility, a status (active, inactive, temporarily closed, defunct), a short `alert`, dated
closures (from, to, why: a bank holiday), and its review: `last_reviewed`, `reviewed_by` and its own
interval (1, 3, 6 or 12 months). `shared.directory.hsds` turns a stored service into the HSDS JSON.

Every field says in plain English what is wrong with it, naming nested fields by their path
(`locations.0.postcode`), for the API, the console and each row of an import alike.
"""

import re
import unicodedata
import uuid
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.directory.taxonomy import CATEGORIES, CATEGORY_SLUGS, NEED_SLUGS, NEEDS
from shared.email.address import normalise_email
from shared.forms import OWN_WORDS
from shared.model import Model
from shared.text import Paragraphs, SingleLine

SERVICE_NAMESPACE = uuid.UUID("0c7f4b9e-5d3a-4a61-8f0e-6e2b9c4d1a73")
# The shape a stored service is written in now (`upgrade` reads every older one).
SERVICE_SCHEMA = 1
REVIEW_INTERVALS = (1, 3, 6, 12)


def _own(message: str) -> PydanticCustomError:
    return PydanticCustomError(OWN_WORDS, message)


class Status(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    TEMPORARILY_CLOSED = "temporarily closed"
    DEFUNCT = "defunct"


STATUS_LABELS = {
    Status.ACTIVE: "Open",
    Status.INACTIVE: "Not running at the moment",
    Status.TEMPORARILY_CLOSED: "Temporarily closed",
    Status.DEFUNCT: "Closed for good",
}


def _status(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    return value


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$")


def _postcode(value: str) -> str:
    found = _POSTCODE.match(value.upper().replace(" ", ""))
    if found is None:
        raise _own("Enter a UK postcode, like MK6 5LD")
    return f"{found.group(1)} {found.group(2)}"


_PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 7:
        raise _own("Enter a phone number using digits, spaces and + ( ) - only, like 01908 123456")
    return value


def _website(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or "." not in parts.netloc
        or any(ch.isspace() for ch in value)
        or any(unicodedata.category(ch).startswith("C") for ch in value)
    ):
        raise _own("Enter the full web address, starting with https://")
    return value


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except (ValueError, PydanticCustomError):
        raise _own("Enter an email address, like name@example.org") from None


_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def _time(value: str) -> str:
    value = value.strip()
    if re.fullmatch(r"[0-9]:[0-5][0-9]", value):
        value = "0" + value
    if re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]:00", value):
        value = value[:5]
    if not _TIME.match(value):
        raise _own("Enter a time on the 24-hour clock, like 09:00 or 17:30")
    return value


_DAY = re.compile(r"^(-?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")


def _byday(value: str) -> str:
    parts = [part.strip().upper() for part in value.split(",") if part.strip()]
    if not parts or any(_DAY.match(part) is None for part in parts):
        raise _own(
            "Enter the days as two-letter codes separated by commas, like MO,TU,WE; for a day of the "
            "month put its number first: 2TU is the second Tuesday, -1FR the last Friday"
        )
    return ",".join(parts)


def _whole(value: Any) -> Any:
    """A form or a spreadsheet sends "6"; the choice is the number."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _category(value: str) -> str:
    if value not in CATEGORY_SLUGS:
        raise _own("Choose categories from the list: " + ", ".join(t.slug for t in CATEGORIES))
    return value


def _need(value: str) -> str:
    if value not in NEED_SLUGS:
        raise _own("Choose needs from the list: " + ", ".join(t.slug for t in NEEDS))
    return value


Postcode = Annotated[str, AfterValidator(_postcode)]
Phone = Annotated[str, AfterValidator(_phone)]
Website = Annotated[str, Field(max_length=300), AfterValidator(_website)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
Time = Annotated[str, AfterValidator(_time)]
Category = Annotated[str, AfterValidator(_category)]
Need = Annotated[str, AfterValidator(_need)]


class Input(Model):
    """Unknown fields are refused by name; an empty optional text is "not given"."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_none(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            key: None
            if isinstance(value, str)
            and not value.strip()
            and key in fields
            and not fields[key].is_required()
            else value
            for key, value in data.items()
        }


class OrganizationInput(Input):
    id: uuid.UUID | None = None
    name: SingleLine = Field(min_length=1, max_length=150)
    description: Paragraphs = Field(min_length=1, max_length=1000)
    website: Website | None = None
    email: Email | None = None
    phone: Phone | None = None

    def model_post_init(self, context: Any) -> None:
        if self.id is None:
            self.id = uuid.uuid5(SERVICE_NAMESPACE, "organization/" + natural(self.name))


class LocationInput(Input):
    id: uuid.UUID | None = None
    location_type: Literal["physical", "virtual"] = "physical"
    name: SingleLine | None = Field(None, max_length=150)
    address: SingleLine | None = Field(None, max_length=200, validate_default=True)
    town: SingleLine = Field("Milton Keynes", min_length=1, max_length=80)
    postcode: Postcode | None = Field(None, validate_default=True)
    accessibility: Paragraphs | None = Field(None, max_length=1000)
    transportation: Paragraphs | None = Field(None, max_length=500)
    url: Website | None = None

    @field_validator("address", "postcode")
    @classmethod
    def _where(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("location_type", "physical") == "physical":
            word = "street address" if info.field_name == "address" else "postcode"
            raise _own(f"Enter the {word} of the place (or make it a phone or online service)")
        return value


class ContactInput(Input):
    name: SingleLine | None = Field(None, max_length=100)
    title: SingleLine | None = Field(None, max_length=100)
    phone: Phone | None = None
    email: Email | None = None
    website: Website | None = Field(None, validate_default=True)

    @field_validator("website")
    @classmethod
    def _some_way(cls, value: str | None, info: ValidationInfo) -> str | None:
        # (a phone or an email that was given but is wrong is named by its own message instead)
        ways = ("phone", "email")
        if value is None and all(w in info.data and info.data[w] is None for w in ways):
            raise _own("Give at least one way to get in touch: a phone number, an email or a website")
        return value


class ScheduleInput(Input):
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    byday: Annotated[str, AfterValidator(_byday)] = Field(max_length=60)
    opens_at: Time | None = None
    closes_at: Time | None = Field(None, validate_default=True)
    description: SingleLine | None = Field(None, max_length=200)
    valid_from: date | None = None
    valid_to: date | None = Field(None, validate_default=True)

    @field_validator("closes_at")
    @classmethod
    def _after_opening(cls, value: str | None, info: ValidationInfo) -> str | None:
        opens = info.data.get("opens_at")
        if (value is None) != (opens is None) and "opens_at" in info.data:
            raise _own("Give both the opening and the closing time, or neither")
        if value is not None and opens is not None and value <= opens:
            raise _own("The closing time must be after the opening time")
        return value

    @field_validator("valid_to")
    @classmethod
    def _range(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise _own("The last date must be on or after the first date")
        return value

    def model_post_init(self, context: Any) -> None:
        monthly = any(part[0] in "-123456789" for part in self.byday.split(","))
        if self.freq is None:
            self.freq = "MONTHLY" if monthly else "WEEKLY"
        elif self.freq == "WEEKLY" and monthly:
            # a numbered day (2TU) only means something in a month
            self.freq = "MONTHLY"


class ClosureInput(Input):
    starts_on: date
    ends_on: date = Field(validate_default=True)
    reason: SingleLine = Field(min_length=1, max_length=120)

    @field_validator("ends_on")
    @classmethod
    def _order(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("starts_on")
        if start is not None and value < start:
            raise _own("The closure must end on or after the day it starts")
        if start is not None and value - start > timedelta(days=366):
            raise _own("A closure can last a year at most: for longer, change the status instead")
        return value


class ServiceInput(Input):
    """`POST /admin/directory/services` and `PUT .../{id}`: the whole entry."""

    id: uuid.UUID | None = None
    name: SingleLine = Field(min_length=1, max_length=150)
    alternate_name: SingleLine | None = Field(None, max_length=150)
    description: Paragraphs = Field(min_length=1, max_length=3000)
    organization: OrganizationInput
    status: Annotated[Status, BeforeValidator(_status)] = Status.ACTIVE
    categories: list[Category] = Field(min_length=1, max_length=5)
    needs: list[Need] = Field(default_factory=list, max_length=len(NEEDS))
    locations: list[LocationInput] = Field(default_factory=list, max_length=10)
    contacts: list[ContactInput] = Field(default_factory=list, max_length=10)
    schedules: list[ScheduleInput] = Field(default_factory=list, max_length=14)
    closures: list[ClosureInput] = Field(default_factory=list, max_length=20)
    alert: SingleLine | None = Field(None, max_length=300)
    eligibility_description: Paragraphs | None = Field(None, max_length=1000)
    minimum_age: int | None = Field(None, ge=0, le=120)
    maximum_age: int | None = Field(None, ge=0, le=120, validate_default=True)
    fees_description: Paragraphs | None = Field(None, max_length=500)
    free: bool | None = None
    application_process: Paragraphs | None = Field(None, max_length=1000)
    review_interval_months: Annotated[Literal[1, 3, 6, 12], BeforeValidator(_whole)] = 6
    last_reviewed: date | None = None

    messages: ClassVar[dict[str, str]] = {
        "id": "Give the id as a UUID, like 3f8e2a6c-1b4d-4c2e-9a7f-5d6e7f8a9b0c, or leave it out",
        "name": "Enter the service's name on one line, in 150 characters or fewer",
        "alternate_name": "Enter the other name on one line, in 150 characters or fewer",
        "description": "Describe the service in 3,000 characters or fewer",
        "organization": "Give the organisation that runs the service: its name and a short description",
        "organization.name": "Enter the organisation's name on one line, in 150 characters or fewer",
        "organization.description": "Describe the organisation in 1,000 characters or fewer",
        "status": "Choose the status: active, inactive, temporarily closed or defunct",
        "categories": "Choose between one and five categories from the list",
        "needs": "Choose needs from the list",
        "locations": "Give up to ten places",
        "locations.location_type": "Choose physical (a place people go to) or virtual (by phone or online)",
        "locations.name": "Enter the place's name on one line, in 150 characters or fewer",
        "locations.address": "Enter the street address on one line, in 200 characters or fewer",
        "locations.town": "Enter the town on one line, in 80 characters or fewer",
        "locations.accessibility": "Describe access in 1,000 characters or fewer",
        "contacts": "Give up to ten contacts",
        "schedules": "Give up to fourteen opening times",
        "schedules.freq": "Choose WEEKLY or MONTHLY",
        "schedules.description": "Describe the opening time on one line, in 200 characters or fewer",
        "schedules.valid_from": "Enter the date as YYYY-MM-DD, like 2026-12-24",
        "schedules.valid_to": "Enter the date as YYYY-MM-DD, like 2026-12-24",
        "closures": "Give up to twenty closures",
        "closures.starts_on": "Enter the first day of the closure as YYYY-MM-DD, like 2026-12-24",
        "closures.ends_on": "Enter the last day of the closure as YYYY-MM-DD, like 2026-12-26",
        "closures.reason": "Say why it is closed, on one line, in 120 characters or fewer",
        "alert": "Enter the notice on one line, in 300 characters or fewer",
        "eligibility_description": "Say who the service is for in 1,000 characters or fewer",
        "minimum_age": "Enter the youngest age as a whole number of years, or leave it out",
        "maximum_age": "Enter the oldest age as a whole number of years, or leave it out",
        "fees_description": "Describe the cost in 500 characters or fewer",
        "free": "Say true if the service is free, false if it is not, or leave it out",
        "application_process": "Say how to get the service in 1,000 characters or fewer",
        "review_interval_months": "Choose how often to check this entry: 1, 3, 6 or 12 months",
        "last_reviewed": "Enter the date it was last checked as YYYY-MM-DD, not in the future",
        "body": "Send the service as a JSON object",
    }

    @field_validator("categories", "needs")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("maximum_age")
    @classmethod
    def _ages(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("minimum_age")
        if value is not None and low is not None and value < low:
            raise _own("The oldest age must not be below the youngest age")
        return value

    @field_validator("last_reviewed")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today() + timedelta(days=1):
            raise _own("The date it was last checked cannot be in the future")
        return value


def natural(text: str) -> str:
    """How two names are compared: case, accents' composition and spacing do not matter."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def natural_key(organization: str, name: str) -> str:
    return f"{natural(organization)}|{natural(name)}"


def id_for(organization: str, name: str) -> str:
    """The id an entry gets from its organisation's and its own name, so that importing the same
    spreadsheet twice finds the same entries instead of adding them again."""
    return str(uuid.uuid5(SERVICE_NAMESPACE, natural_key(organization, name)))


class Service(ServiceInput):
    """A stored entry: the input, and what the system keeps about it."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    last_reviewed: date
    reviewed_by: str = Field(max_length=80)
    created_at: str
    updated_at: str
    needs_review: bool = False  # a public report said something is wrong
    version: int = 1
    schema_version: int = SERVICE_SCHEMA

    @property
    def key(self) -> str:
        return natural_key(self.organization.name, self.name)

    def as_input(self) -> dict[str, Any]:
        """The fields an administrator enters, as JSON: the form's values; what the change log compares."""
        return self.model_dump(mode="json", include=set(ServiceInput.model_fields), exclude={"id"})

    def item(self) -> dict[str, Any]:
        return {"pk": "SERVICE", "sk": str(self.id), **self.model_dump(mode="json", exclude_none=True)}


def upgrade(item: dict[str, Any]) -> dict[str, Any]:
    """A stored service of any earlier shape, as the current model reads it (there is one so far)."""
    version = item.get("schema_version", 1)
    if not isinstance(version, int) or version > SERVICE_SCHEMA:
        return item
    return {**item, "schema_version": SERVICE_SCHEMA}


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


class Review(StrEnum):
    UP_TO_DATE = "up to date"
    DUE = "due"  # past its interval: the monthly reminder lists it
    NOT_CHECKED_RECENTLY = "not checked recently"  # past a second interval: shown publicly


def review_of(service: Service, today: date) -> Review:
    interval = service.review_interval_months
    if today > add_months(service.last_reviewed, 2 * interval):
        return Review.NOT_CHECKED_RECENTLY
    if today > add_months(service.last_reviewed, interval) or service.needs_review:
        return Review.DUE
    return Review.UP_TO_DATE


def due_on(service: Service) -> date:
    return add_months(service.last_reviewed, service.review_interval_months)


# A service's single-value fields and its organisation's, as the console form and the CSV import
# both take them (one list, so the two cannot drift apart)
SERVICE_SCALARS = (
    "name",
    "alternate_name",
    "description",
    "status",
    "alert",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "fees_description",
    "application_process",
    "review_interval_months",
    "last_reviewed",
)
ORGANIZATION_FIELDS = ("name", "description", "website", "email", "phone")
