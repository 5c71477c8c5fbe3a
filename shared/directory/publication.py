"""Publishing the directory: render every entry (`shared.directory.render`) and hand the files to
the site's publisher (`shared.site`), which writes only what changed and switches the live version
in one step. The same for the admin API, the console and the nightly schedule.

The edition's date, on the index and the print edition, is the date of the last publication that
changed something: publishing again with nothing changed renders the same bytes, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from shared.audit import AuditTrail
from shared.directory.models import Service
from shared.directory.render import SiteSettings, entry_files, prepare, root_files
from shared.directory.repository import ServiceRepository
from shared.site.ledger import LedgerState
from shared.site.publisher import Collected, Preview, Published, Sink, SiteFile, SitePublisher

SECTION = "directory"
AUDIT_TARGET = "DIRECTORY#site"


class TooLargeForARequest(Exception):
    """More files to write than a web request has time for (nothing was written): the caller asks
    the publisher to do it instead (`functions.directory.services.publish_now`)."""

    def __init__(self, files: int) -> None:
        super().__init__(files)
        self.files = files


class Versions(NamedTuple):
    live: int | None
    state: LedgerState


class DirectoryPublication:
    def __init__(
        self,
        repository: ServiceRepository,
        publisher: SitePublisher,
        settings: SiteSettings,
        time_zone: str,
        audit: AuditTrail,
    ) -> None:
        self._repository = repository
        self.publisher = publisher
        self._settings = settings
        self._zone = ZoneInfo(time_zone)
        self._audit = audit

    def _render(self, services: Iterable[Service], today: date, into: Sink) -> date:
        """Render every file into `into` (a draft uploads each at once; a preview collects them):
        each entry's own as it is read, then the lists; answer the edition's date."""
        edition_seen = into.head.meta.get("edition")
        edition = date.fromisoformat(edition_seen) if edition_seen else today
        prepared = prepare([], today)
        for service in services:
            for path, file in entry_files(*prepared.add(service), self._settings):
                into.add(path, file)
        if edition != today and into.differs(within=lambda path: path.startswith("services/")):
            edition = today  # an entry's files changed: this is today's edition (known without the lists)
        roots = root_files(prepared, self._settings, edition)
        if edition != today and into.differs(roots):
            edition = today  # something changed: this is today's edition
            roots = root_files(prepared, self._settings, edition)
        for path, file in roots.items():
            into.add(path, file)
        return edition

    def _today(self, now: datetime) -> date:
        return now.astimezone(self._zone).date()

    def files(self, now: datetime) -> tuple[dict[str, SiteFile], date]:
        collected = Collected(self.publisher)
        edition = self._render(self._repository.all(), self._today(now), collected)
        return collected.files, edition

    def preview(self, now: datetime) -> Preview:
        files, _ = self.files(now)
        return self.publisher.preview(files)

    def publish(self, actor: str, now: datetime, at_most: int | None = None) -> Published:
        """Publish, uploading each file as it is rendered; with `at_most`, only if it writes at most
        that many files (else `TooLargeForARequest`, having written nothing)."""
        if at_most is not None:
            files, edition = self.files(now)
            writes = len(self.publisher.preview(files).paths)
            if writes > at_most:
                raise TooLargeForARequest(writes)
            published = self.publisher.publish(
                files, actor=actor, now=now, meta={"edition": edition.isoformat()}
            )
        else:
            with self.publisher.drafting(actor=actor, now=now) as draft:
                edition = self._render(self._repository.each(), self._today(now), draft)
                published = draft.publish({"edition": edition.isoformat()})
        if published.changed:
            self._audit.record(actor=actor, action="directory.publish", target=AUDIT_TARGET, now=now)
        return published

    def rollback(self, version: int, actor: str, now: datetime) -> Published:
        done = self.publisher.rollback(version, actor=actor, now=now)
        self._audit.record(actor=actor, action="directory.rollback", target=AUDIT_TARGET, now=now)
        return done

    def versions(self) -> Versions:
        return Versions(self.publisher.live(), self.publisher.state())


def names_of(paths: list[str], names: dict[str, str]) -> list[dict[str, Any]]:
    """The changed pages of a preview, with the entries' names where a path is an entry's."""
    shown = []
    for path in paths:
        service_id = (
            path.removeprefix("services/").rsplit(".", 1)[0] if path.startswith("services/") else None
        )
        shown.append({"path": path, "name": names.get(service_id or "", "")})
    return shown
