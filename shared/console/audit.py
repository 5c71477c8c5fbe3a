"""The audit trail in words: what each entry's action means and which console page its target is.

Each capability declares its words (`AuditWords` in `infra/declaration.py`): a module of its own with
`ACTIONS` (action -> words) and, optionally, `FIELDS` (field name -> words), and the console page of
each kind of target (`MEMBER` -> `/console/members/{id}`). The declaration gives them to the
functions that show the audit trail (`AUDIT_WORDS`); nothing here knows a capability.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

from shared.audit import AuditEntry
from shared.dynamo import batch_get, value


class Target(NamedTuple):
    label: str  # "Jane Smith", or "Member f9d5612c" where no name is known
    link: str | None  # its console page, if it has one (not for one that is gone)


class Row(NamedTuple):
    """A line of the audit trail as shown: an entry, or several views of one record by one
    administrator on one day folded into one (`times`)."""

    entry: AuditEntry
    times: int


class Vocabulary(NamedTuple):
    actions: Mapping[str, str]
    fields: Mapping[str, str]
    pages: Mapping[str, str]  # target prefix -> console path with {id}
    names: Mapping[str, str] = {}  # target -> its name now ("" for one that is gone: see `gone`)
    gone: Mapping[str, str] = {}  # target prefix -> words for one whose record no longer exists

    def action(self, entry: AuditEntry) -> str:
        return self.actions.get(entry.action, entry.action)

    def field_words(self, entry: AuditEntry) -> list[str]:
        return [self.fields.get(name, name.replace("_", " ")) for name in entry.fields]

    def target(self, entry: AuditEntry) -> Target:
        prefix, _, ident = entry.target.partition("#")
        page = self.pages.get(prefix)
        name = self.names.get(entry.target)
        if name == "" and prefix in self.gone:
            return Target(self.gone[prefix], None)
        shown = ident[:8] if len(ident) == 36 else ident  # a random id's first characters; a slug whole
        label = name or (
            f"{prefix.replace('_', ' ').capitalize()} {shown}" if ident else entry.target.lower()
        )
        return Target(label, page.replace("{id}", ident) if page and ident else None)


def folded(entries: Sequence[AuditEntry]) -> list[Row]:
    """Newest first, as given; each record's views by one administrator on one day become one row
    (at the newest), so that opening a record ten times does not swamp what was changed."""
    rows: list[Row] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for entry in entries:
        if entry.action.endswith(".view"):
            key = (entry.target, entry.actor, entry.at[:10], entry.action)
            if key in seen:
                index = seen[key]
                rows[index] = Row(rows[index].entry, rows[index].times + 1)
                continue
            seen[key] = len(rows)
        rows.append(Row(entry, 1))
    return rows


def target_names(db: Any, sources: Mapping[str, Sequence[str]], targets: Iterable[str]) -> dict[str, str]:
    """The name of each target that has a declared source (`AUDIT_NAMES`), read with the name
    attribute alone; "" for a target whose record no longer exists."""
    wanted: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    for target in dict.fromkeys(targets):
        prefix, _, ident = target.partition("#")
        source = sources.get(prefix)
        if not source or not ident:
            continue
        env_var, pk, sk, attribute, _gone = source
        table = os.environ.get(env_var)
        if not table:
            continue
        key = {"pk": value(pk.replace("{id}", ident)), "sk": value(sk.replace("{id}", ident))}
        wanted.setdefault((table, attribute), []).append((target, key))
    names: dict[str, str] = {}
    for (table, attribute), asked in wanted.items():
        found = batch_get(db, table, [k for _, k in asked], attributes=("pk", "sk", attribute))
        by_key = {(str(i["pk"]), str(i["sk"])): str(i.get(attribute) or "") for i in found}
        for target, key in asked:
            names[target] = by_key.get((key["pk"]["S"], key["sk"]["S"]), "")
    return names


@cache
def _module_words(module: str) -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str]]:
    words = importlib.import_module(module)
    return (
        dict(getattr(words, "ACTIONS", {})),
        dict(getattr(words, "FIELDS", {})),
        dict(getattr(words, "TARGETS", {})),  # targets without an id, such as the whole members list
    )


def vocabulary(declared: Mapping[str, Mapping[str, str]]) -> Vocabulary:
    """The words of every declared module, and every declared target page."""
    actions: dict[str, str] = {}
    fields: dict[str, str] = {}
    pages: dict[str, str] = {}
    names: dict[str, str] = {}
    for module, targets in declared.items():
        more_actions, more_fields, more_names = _module_words(module)
        actions.update(more_actions)
        fields.update(more_fields)
        names.update(more_names)
        pages.update(targets)
    return Vocabulary(actions, fields, pages, names)
