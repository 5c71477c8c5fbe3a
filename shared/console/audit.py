"""The audit trail in words: what each entry's action means and which console page its target is.

Each capability declares its words (`AuditWords` in `infra/declaration.py`): a module of its own with
`ACTIONS` (action -> words) and, optionally, `FIELDS` (field name -> words), and the console page of
each kind of target (`MEMBER` -> `/console/members/{id}`). The declaration gives them to the
functions that show the audit trail (`AUDIT_WORDS`); nothing here knows a capability.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import NamedTuple

from shared.audit import AuditEntry


class Target(NamedTuple):
    label: str  # "Member f9d5612c"
    link: str | None  # its console page, if it has one


class Vocabulary(NamedTuple):
    actions: Mapping[str, str]
    fields: Mapping[str, str]
    pages: Mapping[str, str]  # target prefix -> console path with {id}

    def action(self, entry: AuditEntry) -> str:
        return self.actions.get(entry.action, entry.action)

    def field_words(self, entry: AuditEntry) -> list[str]:
        return [self.fields.get(name, name.replace("_", " ")) for name in entry.fields]

    def target(self, entry: AuditEntry) -> Target:
        prefix, _, ident = entry.target.partition("#")
        page = self.pages.get(prefix)
        shown = ident[:8] if len(ident) == 36 else ident  # a random id's first characters; a slug whole
        label = f"{prefix.replace('_', ' ').capitalize()} {shown}" if ident else entry.target.lower()
        return Target(label, page.replace("{id}", ident) if page and ident else None)


@cache
def _module_words(module: str) -> tuple[Mapping[str, str], Mapping[str, str]]:
    words = importlib.import_module(module)
    return dict(getattr(words, "ACTIONS", {})), dict(getattr(words, "FIELDS", {}))


def vocabulary(declared: Mapping[str, Mapping[str, str]]) -> Vocabulary:
    """The words of every declared module, and every declared target page."""
    actions: dict[str, str] = {}
    fields: dict[str, str] = {}
    pages: dict[str, str] = {}
    for module, targets in declared.items():
        more_actions, more_fields = _module_words(module)
        actions.update(more_actions)
        fields.update(more_fields)
        pages.update(targets)
    return Vocabulary(actions, fields, pages)
