"""Input models that accept a plain HTML form post as well as JSON.

A form post arrives as `field=value` pairs: Powertools hands it over as lists (`{"name": ["Ann"]}`),
an unticked checkbox is simply absent, and an empty text box is `""`. `FormModel` turns that into
what the same JSON request would have looked like, so one pydantic model validates both.
"""

import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.model import Model


def is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(is_list(arg) for arg in typing.get_args(annotation))
    return False


REPEATED = "repeated_field"
REPEATED_MESSAGE = "This was sent more than once, with different values: send it once"
# A validator that can say exactly what is wrong raises `PydanticCustomError(OWN_WORDS, "...")`:
# a person is shown those words instead of the field's general message.
OWN_WORDS = "own_words"


class _Repeated:
    """A single-valued field that a form post sent twice with different values."""


class FormModel(Model):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    # Friendly, actionable messages per field, shown to people (GOV.UK style: say what to do).
    messages: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _from_form(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned: dict[str, Any] = {}
        for key, value in data.items():
            field = cls.model_fields.get(key)
            if field is None:
                if cls.model_config.get("extra") == "forbid":
                    cleaned[key] = value  # reported as an unknown field, by name
                continue
            wants_list = is_list(field.annotation)
            if isinstance(value, list) and not wants_list:
                if len(set(map(str, value))) > 1:
                    # `email=a&email=b`: which one did they mean? Never silently the last one.
                    cleaned[key] = _Repeated()
                    continue
                value = value[-1] if value else None
            if wants_list and isinstance(value, str):
                value = [value]
            if wants_list and isinstance(value, list):
                value = [v for v in value if not (isinstance(v, str) and not v.strip())]
            if isinstance(value, str) and not value.strip() and not field.is_required():
                if key in cls.clearable or not cls.empty_means_not_given:
                    cleaned[key] = ""  # a change: "" clears a clearable field, and is refused elsewhere
                    continue
                continue  # an empty optional text box means "not given"
            cleaned[key] = value
        return cleaned

    @field_validator("*", mode="before")
    @classmethod
    def _once(cls, value: Any) -> Any:
        if isinstance(value, _Repeated):
            raise PydanticCustomError(REPEATED, REPEATED_MESSAGE)
        return value

    # Fields that a change may clear by sending "" (see PatchModel).
    clearable: ClassVar[frozenset[str]] = frozenset()
    empty_means_not_given: ClassVar[bool] = True


class PatchModel(FormModel):
    """A change (`PATCH`): only the fields given change; nothing else can be sent.

    - an unknown field is a 400 naming it (never silently ignored: `{"email": ...}` must not
      answer 200 and change nothing);
    - an explicit `null` is a 400 naming the field: a stored record never loses a field it needs;
    - an optional field listed in `clearable` is cleared by sending `""`.
    """

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")
    empty_means_not_given: ClassVar[bool] = False

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Validators do not run on defaults, so only a value that was sent reaches this.
        if value is None:
            raise ValueError('send a value (null is not allowed; send "" to clear an optional field)')
        if info.field_name in cls.clearable and isinstance(value, str) and not value.strip():
            return None
        return value

    def given(self) -> dict[str, Any]:
        """The fields that were sent, with their (validated) values; None means "clear it"."""
        return {name: getattr(self, name) for name in self.model_fields_set}


# What a person is told when a field has no message of its own: never pydantic's wording
# ("Input should be a valid boolean, unable to interpret input").
PLAIN = {
    "missing": "Fill this in",
    "string_too_short": "Fill this in",
    "string_too_long": "This is too long: shorten it",
    "string_pattern_mismatch": "Check what you entered: it has characters we cannot use",
    "string_type": "Enter this as text",
    "bool_parsing": "Tick the box, or leave it unticked",
    "bool_type": "Tick the box, or leave it unticked",
    "literal_error": "Choose one of the options",
    "enum": "Choose one of the options",
    "too_long": "Too many were chosen: choose fewer",
    "list_type": "Choose from the list",
    "int_parsing": "Enter a whole number",
    "value_error": "Check what you entered",
}


def field_errors(model: type[BaseModel], error: ValidationError | list[dict[str, Any]]) -> dict[str, str]:
    """{field: message} for each bad field, first problem per field, in form order, in the words of
    the model's own `messages` (any model: a `FormModel`'s, a `PatchModel`'s)."""
    messages: Mapping[str, str] = getattr(model, "messages", {})
    raw = error.errors() if isinstance(error, ValidationError) else error
    found: dict[str, str] = {}
    for item in raw:
        loc = [part for part in item.get("loc", ()) if part != "body"]
        name = _field_name(model, loc)
        if name in found:
            continue
        # a nested field's own message, then the same field's in any item of its list
        own = messages.get(name) or messages.get(".".join(p for p in name.split(".") if not p.isdigit()))
        kind = str(item.get("type"))
        limit = (item.get("ctx") or {}).get("max_length")
        if kind in ("missing", "string_too_short", "too_short") and messages.get(f"{name}.empty"):
            found[name] = messages[f"{name}.empty"]  # an empty box: say what to fill in, not the rules
        elif kind in ("too_long", "string_too_long") and isinstance(item.get("input"), str) and limit:
            found[name] = (
                messages.get(f"{name}.long") or own or f"This is too long: use {limit} characters or fewer"
            )
        elif item.get("type") == REPEATED:
            found[name] = REPEATED_MESSAGE
        elif item.get("type") == OWN_WORDS:
            found[name] = str(item.get("msg"))
        elif item.get("type") == "extra_forbidden":
            found[name] = own or "This is not a field you can send here"
        elif name == "body":
            found[name] = "The form was empty or could not be read: fill it in and send it again"
        else:
            found[name] = own or PLAIN.get(str(item.get("type")), "Check what you entered")
    order = list(model.model_fields)

    def position(name: str) -> int:
        top = name.split(".")[0]
        return order.index(top) if top in order else len(order)

    return dict(sorted(found.items(), key=lambda kv: position(kv[0])))


def _nested_models(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_nested_models(arg) for arg in typing.get_args(annotation))


def _field_name(model: type[BaseModel], loc: list[Any]) -> str:
    """The bad field's name: `name`, or for a field of a nested model its path (`locations.0.postcode`,
    `organization.name`), so the message can sit beside the right box and an import row can say which."""
    if not loc or isinstance(loc[0], int):
        return "body"
    field = model.model_fields.get(str(loc[0]))
    if field is None or not _nested_models(field.annotation):
        return str(loc[0])
    strings = [i for i, part in enumerate(loc) if isinstance(part, str)]
    return ".".join(str(part) for part in loc[: strings[-1] + 1])


def on_boxes(errors: Mapping[str, str], boxes: Mapping[str, str]) -> dict[str, str]:
    """Errors named by the model's field paths (`location.name`, `rule.time`), named instead by the
    flat form's boxes they belong beside: `boxes` maps a path, or its first part, to a box's id;
    a name not in it is its own box. The first message for a box wins."""
    shown: dict[str, str] = {}
    for name, message in errors.items():
        plain = ".".join(part for part in name.split(".") if not part.isdigit())
        box = boxes.get(plain) or boxes.get(plain.split(".")[0]) or plain
        shown.setdefault(box, message)
    return shown
