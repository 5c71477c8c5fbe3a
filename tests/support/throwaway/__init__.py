"""A throwaway capability, `notes`, declared by tests only: a table, an admin route, a console page,
a schedule, and a queue its planner fills and its sender consumes.

It proves that a capability is its declaration entry and its own folders: `declaring(NOTES)` adds it
to `infra.declaration.CAPABILITIES` and nothing else, and the stack, local mode, OpenAPI, the
console's navigation and the permission check all pick it up (tests/infra/test_capability.py).
Its handlers live here, beside the declaration, as a capability's live in `functions/<name>/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from infra import declaration
from infra.declaration import (
    SITE,
    Access,
    AuditWords,
    BucketSpec,
    Capability,
    FunctionSpec,
    NavItem,
    QueueSpec,
    Route,
    Schedule,
    TableSpec,
)

NOTES_TABLE = TableSpec(
    key="notes",
    description="Throwaway capability: notes, one per partition.",
    partition_key="pk",
    ttl_attribute="expires_at",
)
NOTICES = QueueSpec(
    key="note_notices",
    description="Throwaway capability: one message per note to send.",
    producers=("notes_planner",),
    batch_size=10,
    max_receive_count=3,
    max_concurrency=3,
)
NOTES_ADMIN = FunctionSpec(
    name="notes_admin",
    handler="tests.support.throwaway.admin.lambda_handler",
    resolver="tests.support.throwaway.admin.app",
    description="Throwaway capability: administrators list notes.",
    routes=(Route("GET", "/admin/notes", auth="admin"),),
    tables={"notes": Access.QUERY},
)
NOTES_CONSOLE = FunctionSpec(
    name="notes_console",
    handler="tests.support.throwaway.console.lambda_handler",
    resolver="tests.support.throwaway.console.app",
    description="Throwaway capability: the notes page of the console.",
    console=("notes",),
    tables={"notes": Access.QUERY},
)
NOTES_PLANNER = FunctionSpec(
    name="notes_planner",
    handler="tests.support.throwaway.planner.lambda_handler",
    description="Throwaway capability: finds the notes to send, each onto the queue.",
    schedules=(
        Schedule(
            "notes-daily", "cron(0 9 * * ? *)", "Every day at 09:00: queue the notes", {"kind": "notes"}
        ),
    ),
    tables={"notes": Access.QUERY},
)
NOTES_SENDER = FunctionSpec(
    name="notes_sender",
    handler="tests.support.throwaway.sender.lambda_handler",
    description="Throwaway capability: sends each queued note.",
    consumes=("note_notices",),
    tables={"notes": Access.UPDATE},
    timeout_seconds=20,
)
NOTES = Capability(
    name="notes",
    summary="A throwaway capability for tests.",
    tables=(NOTES_TABLE,),
    functions=(NOTES_ADMIN, NOTES_CONSOLE, NOTES_PLANNER, NOTES_SENDER),
    queues=(NOTICES,),
    nav=(NavItem("Notes", "/console/notes", "Notes kept by the throwaway capability."),),
    audit=AuditWords("tests.support.throwaway.words", {"NOTE": "/console/notes/{id}"}),
)
# the directory's publisher, sketched: a function that writes one prefix of the site bucket
PUBLISHER = FunctionSpec(
    name="notes_publisher",
    handler="tests.support.throwaway.planner.lambda_handler",
    description="Throwaway capability: writes its pages under the site bucket's notes/ prefix.",
)
SITE_WITH_WRITERS = replace(
    SITE, writers={"notes_publisher": ("site/notes/",)}, readers=("notes_admin",), publishers={}
)


def with_site_writers(capabilities: tuple[Capability, ...]) -> tuple[Capability, ...]:
    """The capabilities with `PUBLISHER` declared, and the site bucket naming its writer and reader."""
    changed: list[Capability] = []
    for capability in capabilities:
        buckets: tuple[BucketSpec, ...] = tuple(
            SITE_WITH_WRITERS if b.key == SITE.key else b for b in capability.buckets
        )
        changed.append(replace(capability, buckets=buckets))
    return (*changed, replace(NOTES, name="publishing", functions=(PUBLISHER,), tables=(), queues=(), nav=()))


@contextmanager
def declaring(*capabilities: Capability, replace_all: bool = False) -> Iterator[None]:
    """`infra.declaration.CAPABILITIES` with these capabilities too (or these alone)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            declaration,
            "CAPABILITIES",
            capabilities if replace_all else (*declaration.CAPABILITIES, *capabilities),
        )
        yield
