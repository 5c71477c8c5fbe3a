"""The subject-rights register: what each capability holds about a person, so that a subject-access
export and an erasure cover every table, today's and the next capability's.

Each capability registers a `Holder` in `shared/<capability>/privacy.py` and names it in its
declaration (`PersonalData` in `infra/declaration.py`); the functions that export and erase people
(`subject_rights`) get its tables' grants and the list of holders (`PERSONAL_DATA`) from there. A
holder finds a person's records by their member id or their address's lookup id (never by scanning),
exports them as plain data, erases them, and says what it keeps and for how long (its rows of the
retention table and the lifetimes of its links), which the privacy notice and the README print.

The members capability runs the register: a member's export asks every other holder for what it
holds (`Register.export`), and erasure erases from every other holder before the member's own
records go (`Register.erase`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, ClassVar, NamedTuple, Protocol

from shared.privacy.retention import Figures, Kept, LinkLife


class Person(NamedTuple):
    member_id: str
    lookup_id: str | None  # the address's keyed hash, if the person has an address


class Holder(Protocol):
    """What one capability holds about people."""

    key: ClassVar[str]  # names its part of an export ("meetings")

    def __init__(self, client: Any, tables: Mapping[str, str]) -> None: ...

    @staticmethod
    def retention(figures: Figures) -> list[Kept]: ...

    @staticmethod
    def links() -> list[LinkLife]: ...

    def export(self, person: Person) -> dict[str, Any] | None:
        """What it holds about the person, as plain data (None: nothing)."""

    def erase(self, person: Person) -> int:
        """Erase what it holds about the person; the number of items deleted or emptied."""


def load(path: str) -> type[Holder]:
    module, _, name = path.rpartition(".")
    holder: type[Holder] = getattr(importlib.import_module(module), name)
    return holder


@cache
def _holders(paths: tuple[str, ...]) -> tuple[type[Holder], ...]:
    return tuple(load(path) for path in paths)


def holders_from_environment() -> tuple[type[Holder], ...]:
    """This function's entries of the register (`PERSONAL_DATA`, written by the declaration)."""
    paths = tuple(p for p in os.environ.get("PERSONAL_DATA", "").split(",") if p)
    return _holders(paths)


def table_names(environ: Mapping[str, str]) -> dict[str, str]:
    """Table key -> name, from the `<KEY>_TABLE_NAME` variables a function is given."""
    suffix = "_TABLE_NAME"
    return {name[: -len(suffix)].lower(): value for name, value in environ.items() if name.endswith(suffix)}


class Register:
    """Every holder but the one running it (members: `shared.members.gdpr.Gdpr`)."""

    def __init__(self, holders: Sequence[Holder]) -> None:
        self._holders = list(holders)

    @classmethod
    def build(
        cls, client: Any, tables: Mapping[str, str], classes: Sequence[type[Holder]], without: str
    ) -> Register:
        return cls([holder(client, tables) for holder in classes if holder.key != without])

    def export(self, person: Person) -> dict[str, Any]:
        found = {holder.key: holder.export(person) for holder in self._holders}
        return {key: data for key, data in found.items() if data}

    def erase(self, person: Person) -> int:
        return sum(holder.erase(person) for holder in self._holders)
