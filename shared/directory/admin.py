"""What administrators do with directory entries, from the admin API and the console alike: each
change validated whole, written on the condition that nobody changed the entry meanwhile, recorded
in the entry's change log (each field's old and new value) and in the audit trail (field names)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shared.audit import AuditTrail
from shared.clock import iso
from shared.directory.models import Service, ServiceInput, id_for, natural_key
from shared.directory.repository import (
    ChangeEntry,
    ServiceExists,
    ServiceNotFound,
    ServiceRepository,
    StaleService,
    differences,
)
from shared.dynamo import retries


def target(service_id: str) -> str:
    return f"SERVICE#{service_id}"


class DirectoryAdmin:
    def __init__(self, repository: ServiceRepository, audit: AuditTrail, time_zone: str) -> None:
        self.repository = repository
        self.audit = audit
        self._time_zone = time_zone

    def today(self, now: datetime) -> Any:
        from zoneinfo import ZoneInfo

        return now.astimezone(ZoneInfo(self._time_zone)).date()

    def services(self) -> list[Service]:
        return sorted(self.repository.all(), key=lambda s: (s.name.casefold(), str(s.id)))

    def get(self, service_id: str) -> Service:
        return self.repository.get(_uuid(service_id))

    def new_id(self, data: ServiceInput) -> str:
        """The entry's id: the one given, else one made from the organisation's and the entry's
        names (an import finds it again), unless an entry renamed since holds that one."""
        if data.id is not None:
            return str(data.id)
        made = id_for(data.organization.name, data.name)
        try:
            existing = self.repository.get(made)
        except ServiceNotFound:
            return made
        if existing.key == natural_key(data.organization.name, data.name):
            raise ServiceExists(made)
        return str(uuid.uuid4())

    def build(
        self, data: ServiceInput, service_id: str, actor: str, now: datetime, before: Service | None
    ) -> Service:
        fields = data.model_dump(mode="json", exclude={"id"})
        reviewed = data.last_reviewed
        return Service.model_validate(
            {
                **fields,
                "id": service_id,
                "last_reviewed": (
                    reviewed.isoformat()
                    if reviewed
                    else (before.last_reviewed.isoformat() if before else self.today(now).isoformat())
                ),
                "reviewed_by": (before.reviewed_by if before and not reviewed else actor)[:80],
                "created_at": before.created_at if before else iso(now),
                "updated_at": iso(now),
                "needs_review": before.needs_review if before else False,
                "version": (before.version + 1) if before else 1,
            }
        )

    def create(self, data: ServiceInput, actor: str, now: datetime) -> Service:
        service = self.build(data, self.new_id(data), actor, now, None)
        self.repository.create(service)
        self._record(service, "created", None, service.as_input(), actor, now)
        return service

    def replace(self, service_id: str, data: ServiceInput, actor: str, now: datetime) -> Service:
        service_id = _uuid(service_id)
        for _ in retries(StaleService(service_id)):
            before = self.repository.get(service_id)
            after = self.build(data, service_id, actor, now, before)
            if after.as_input() == before.as_input():
                return before  # nothing changed: nothing written, nothing logged
            try:
                self.repository.replace(after, before.version)
            except StaleService:
                continue
            self._record(after, "updated", before.as_input(), after.as_input(), actor, now)
            return after
        raise StaleService(service_id)  # pragma: no cover - retries raises

    def delete(self, service_id: str, actor: str, now: datetime) -> None:
        service_id = _uuid(service_id)
        for _ in retries(StaleService(service_id)):
            before = self.repository.get(service_id)
            try:
                self.repository.delete(service_id, before.version)
            except StaleService:
                continue
            self._record(before, "deleted", before.as_input(), None, actor, now)
            return

    def mark_reviewed(self, service_id: str, actor: str, now: datetime) -> Service:
        """Someone checked the entry today: its review is up to date again, any report's flag goes."""
        service_id = _uuid(service_id)
        for _ in retries(StaleService(service_id)):
            before = self.repository.get(service_id)
            after = before.model_copy(
                update={
                    "last_reviewed": self.today(now),
                    "reviewed_by": actor[:80],
                    "needs_review": False,
                    "updated_at": iso(now),
                    "version": before.version + 1,
                }
            )
            try:
                self.repository.replace(after, before.version)
            except StaleService:
                continue
            old = {"last_reviewed": before.last_reviewed.isoformat(), "needs_review": before.needs_review}
            new = {"last_reviewed": after.last_reviewed.isoformat(), "needs_review": False}
            self._record(after, "reviewed", old, new, actor, now)
            return after
        raise StaleService(service_id)  # pragma: no cover

    def changes(self, service_id: str) -> list[ChangeEntry]:
        return self.repository.changes(_uuid(service_id))

    def _record(
        self,
        service: Service,
        action: str,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        actor: str,
        now: datetime,
    ) -> None:
        changed = differences(old, new)
        entry = ChangeEntry(
            service_id=str(service.id),
            name=service.name,
            at=iso(now),
            actor=actor,
            action=action,
            changes=changed,
        )
        self.repository.log(entry, now)
        self.audit.record(
            actor=actor,
            action=f"directory.{action}",
            target=target(str(service.id)),
            now=now,
            fields=sorted({change.field.split(".")[0] for change in changed}),
        )


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ServiceNotFound(value) from None
