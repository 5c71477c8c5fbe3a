"""Input models that accept a plain HTML form post as well as JSON.

A form post arrives as `field=value` pairs: Powertools hands it over as lists (`{"name": ["Ann"]}`),
an unticked checkbox is simply absent, and an empty text box is `""`. `FormModel` turns that into
what the same JSON request would have looked like, so one pydantic model validates both.
"""

from __future__ import annotations

import types
import typing
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return False


class FormModel(BaseModel):
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
                continue
            wants_list = _is_list(field.annotation)
            if isinstance(value, list) and not wants_list:
                value = value[-1] if value else None
            if wants_list and isinstance(value, str):
                value = [value]
            if wants_list and isinstance(value, list):
                value = [v for v in value if not (isinstance(v, str) and not v.strip())]
            if isinstance(value, str) and not value.strip() and not field.is_required():
                continue  # an empty optional text box means "not given"
            cleaned[key] = value
        return cleaned


def field_errors(model: type[FormModel], error: ValidationError | list[dict[str, Any]]) -> dict[str, str]:
    """{field: message} for each bad field, first problem per field, in form order."""
    raw = error.errors() if isinstance(error, ValidationError) else error
    found: dict[str, str] = {}
    for item in raw:
        loc = [part for part in item.get("loc", ()) if part != "body"]
        name = str(loc[0]) if loc and not isinstance(loc[0], int) else "body"
        if name in found:
            continue
        found[name] = model.messages.get(name) or str(item.get("msg", "is not valid"))
    order = list(model.model_fields)
    return dict(sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
