"""`SitePublisher`: publish a section's complete set of files as a new version, roll back, preview.

See `shared/site/__init__.py` for the design. The order of the steps is what makes a failure at any
point harmless:

1. take the lease (`drafting`);
2. clean up after a publication that stopped half-way (marked pending in the ledger): put back the
   routes its manifest says it wrote, and delete everything under its version's prefix;
3. as the caller renders each file (`Draft.add`), compare it with the head and upload it at once if
   its bytes are new (the first such file takes a new version number, marked pending), so
   rendering and uploading overlap; then (`Draft.publish`) wait for the uploads, write the
   version's manifest, then the routes of the paths that changed: none of it is seen yet, the
   pointer still names the last version;
4. commit it in the ledger (the head moves; refused if the lease was lost), then switch the pointer:
   the one write that makes it live;
5. delete the bytes only versions no longer kept could reach, and give the lease back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from botocore.exceptions import ClientError

from shared.clock import iso
from shared.errors import Conflict
from shared.observability import logger
from shared.site.ledger import Ledger, LedgerState, VersionInfo, history_entry
from shared.site.routes import Routes
from shared.site.routing import Item, format_entry, object_key, parse_pointer
from shared.site.uploads import Batch, SdkUploads, Upload, Uploads

MANIFEST = "manifest.json"
# The bytes of a path under a version prefix never change, so CloudFront may keep them a year; a
# browser asks again after five minutes, since the address it knows (`/site/directory/x.html`)
# shows the next version once the pointer moves.
CACHE_CONTROL = "public, max-age=300, s-maxage=31536000"


class SiteFile:
    """A file's bytes and type; its sha256, which says whether it changed, is worked out once."""

    __slots__ = ("_digest", "body", "content_type")

    def __init__(self, body: bytes, content_type: str) -> None:
        self.body = body
        self.content_type = content_type
        self._digest: str | None = None

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(self.body).hexdigest()
        return self._digest

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SiteFile):
            return NotImplemented
        return (self.body, self.content_type) == (other.body, other.content_type)

    def __hash__(self) -> int:
        return hash((self.body, self.content_type))

    def __repr__(self) -> str:
        return f"SiteFile({len(self.body)} bytes, {self.content_type!r})"


class VersionGone(Conflict):
    message = "That version is no longer kept, so the site cannot go back to it. Choose a newer one."


class Published(NamedTuple):
    version: int | None  # the live version afterwards
    changed: list[str]  # paths whose content readers see change (added, changed or removed)
    written: int  # files uploaded
    files: int  # files in the version


class Preview(NamedTuple):
    added: list[str]
    changed: list[str]
    removed: list[str]

    @property
    def paths(self) -> list[str]:
        return sorted({*self.added, *self.changed, *self.removed})


# A manifest's history item: [from version, location (None: deleted), sha256 (None: deleted)]
History = list[list[Any]]


def _items(history: History) -> list[Item]:
    return [Item(int(h[0]), None if h[1] is None else int(h[1])) for h in history]


def _at(history: History | None, version: int | None) -> list[Any] | None:
    """The history item that version `version` resolves to (the newest at or below it)."""
    if not history or version is None:
        return None
    found = [h for h in history if int(h[0]) <= version]
    return max(found, key=lambda h: int(h[0])) if found else None


def _digest_at(history: History | None, version: int | None) -> str | None:
    item = _at(history, version)
    return None if item is None else item[2]


def _trim(history: History, oldest_kept: int) -> History:
    """The items any kept version can resolve to: those from `oldest_kept` on, and the newest before."""
    ordered = sorted(history, key=lambda h: -int(h[0]))
    kept = [h for h in ordered if int(h[0]) >= oldest_kept]
    if not any(int(h[0]) == oldest_kept for h in kept):
        older = [h for h in ordered if int(h[0]) < oldest_kept]
        if older:
            kept.append(older[0])
    return kept


def _locations(history: Iterable[list[Any]]) -> set[int]:
    return {int(h[1]) for h in history if h[1] is not None}


class Manifest(NamedTuple):
    version: int
    meta: dict[str, Any]
    files: dict[str, dict[str, Any]]  # path -> {"type", "size", "history"}

    def history(self, path: str) -> History | None:
        found = self.files.get(path)
        return found["history"] if found else None

    def to_json(self, section: str) -> bytes:
        return json.dumps(
            {"section": section, "version": self.version, "meta": self.meta, "files": self.files},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()


EMPTY = Manifest(0, {}, {})


class SitePublisher:
    def __init__(
        self,
        *,
        s3: Any,
        bucket: str,
        section: str,
        routes: Routes,
        ledger: Ledger,
        keep: int = 10,
        prefix: str = "site/",
        uploads: Uploads | None = None,
    ) -> None:
        if keep < 2:
            raise ValueError("keep at least 2 versions, or there is nothing to roll back to")
        self._s3 = s3
        self._bucket = bucket
        self._section = section
        self._routes = routes
        self._ledger = ledger
        self._keep = keep
        self._prefix = prefix
        self._uploads = uploads or SdkUploads(s3)
        self._manifests: dict[int, Manifest] = {}  # a version's manifest never changes once written

    # --- reading ---------------------------------------------------------------------------------

    def live(self) -> int | None:
        return parse_pointer(self._routes.pointer(self._section))

    def state(self) -> LedgerState:
        return self._ledger.state()

    def _key(self, location: int, path: str) -> str:
        return object_key(self._prefix, self._section, location, path)

    def manifest(self, version: int | None) -> Manifest | None:
        if version is None:
            return None
        if version in self._manifests:
            return self._manifests[version]
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=self._key(version, MANIFEST))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        data = json.loads(found["Body"].read())
        manifest = Manifest(int(data["version"]), dict(data.get("meta", {})), dict(data["files"]))
        self._manifests = {v: m for v, m in self._manifests.items() if v > version - 2}  # the last two
        self._manifests[version] = manifest
        return manifest

    def head(self) -> Manifest:
        return self.manifest(self._ledger.state().head) or EMPTY

    def read(self, path: str, version: int | None = None) -> bytes | None:
        """A path's bytes as version `version` (default: the live one) shows them."""
        head = self.head()
        at = self.live() if version is None else version
        item = _at(head.history(path), at)
        if item is None or item[1] is None:
            return None
        body = self._s3.get_object(Bucket=self._bucket, Key=self._key(int(item[1]), path))["Body"].read()
        return bytes(body)

    def preview(self, files: Mapping[str, SiteFile]) -> Preview:
        """What publishing `files` would change for readers, against the live version. Writes nothing."""
        return self._compare(self.head(), self.live(), {p: f.digest for p, f in files.items()})

    def differs(self, files: Mapping[str, SiteFile], within: Callable[[str], bool] | None = None) -> bool:
        """Whether `files` differ from the newest complete version (what publishing would write).
        With `within`, only the paths it accepts are compared: `files` are all of those there are."""
        return _differs(self.head(), {p: f.digest for p, f in files.items()}, within)

    @staticmethod
    def _compare(head: Manifest, live: int | None, wanted: Mapping[str, str | None]) -> Preview:
        added, changed, removed = [], [], []
        for path in sorted(set(wanted) | set(head.files)):
            before = _digest_at(head.history(path), live)
            after = wanted.get(path)
            if before == after:
                continue
            if before is None:
                added.append(path)
            elif after is None:
                removed.append(path)
            else:
                changed.append(path)
        return Preview(added, changed, removed)

    # --- publishing ------------------------------------------------------------------------------

    def publish(
        self,
        files: Mapping[str, SiteFile],
        *,
        actor: str,
        now: datetime,
        meta: Mapping[str, Any] | None = None,
    ) -> Published:
        with self.drafting(actor=actor, now=now) as draft:
            for path, file in files.items():
                draft.add(path, file)
            return draft.publish(meta)

    @contextlib.contextmanager
    def drafting(self, *, actor: str, now: datetime) -> Iterator[Draft]:
        """A new version, written file by file as the caller renders them (`Draft.add`), live once
        `Draft.publish` is called. The lease is held throughout; leaving without publishing (an
        error) stops the uploads under way, and the next publication cleans up after it."""
        owner = uuid.uuid4().hex
        before = self._ledger.acquire(owner, now)
        draft: Draft | None = None
        try:
            if before.pending is not None and before.pending != before.head:
                self._clean_up(before.pending, before.head)
            draft = Draft(self, owner, before, actor, now)
            yield draft
        finally:
            try:
                if draft is not None:
                    draft.abandon()
            finally:
                self._ledger.release(owner)

    def rollback(self, version: int, *, actor: str, now: datetime) -> Published:
        owner = uuid.uuid4().hex
        before = self._ledger.acquire(owner, now)
        try:
            if version not in {i.version for i in before.versions}:
                raise VersionGone()
            head = self.manifest(before.head) or EMPTY
            live = self.live()
            wanted = {path: _digest_at(head.history(path), version) for path in head.files}
            changes = self._compare(head, live, wanted)
            if live != version:
                self._routes.switch(self._section, str(version))
            self._ledger.record(
                owner,
                [history_entry("rollback", version, actor, now, rolled_back_from=live), *before.history],
            )
            return Published(version, changes.paths, 0, sum(1 for d in wanted.values() if d))
        finally:
            self._ledger.release(owner)

    # --- storage ---------------------------------------------------------------------------------

    def _put(self, path: str, location: int, file: SiteFile) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=self._key(location, path),
            Body=file.body,
            ContentType=file.content_type,
            CacheControl=CACHE_CONTROL,
        )

    def _delete(self, keys: list[str]) -> None:
        """Delete the keys; one S3 could not delete is left where no route leads (it costs storage,
        never a reader's view) and logged, without failing a publication that is already live."""
        failed = 0
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            answer = self._s3.delete_objects(
                Bucket=self._bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
            failed += len(answer.get("Errors") or [])
        if failed:
            logger.warning("site objects not deleted", extra={"section": self._section, "count": failed})

    def _clean_up(self, pending: int, head_version: int | None) -> None:
        """A publication stopped half-way: put back the routes it wrote, and delete everything under
        its version's prefix. The prefix is listed first: a publication that stopped before its
        manifest (written after its bytes, before its routes) has none, and it is read only if it
        is there (S3 may answer a missing key with 403, not 404)."""
        listed = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=self._key(pending, "")
        )
        keys = [found["Key"] for page in listed for found in page.get("Contents", [])]
        self._manifests.pop(pending, None)
        stopped = self.manifest(pending) if self._key(pending, MANIFEST) in keys else None
        if stopped is not None:
            head = self.manifest(head_version) or EMPTY
            entries: dict[str, str | None] = {}
            for path, data in stopped.files.items():
                history = data["history"]
                if history and int(history[0][0]) == pending:
                    previous = head.history(path)
                    entries[path] = format_entry(_items(previous)) if previous else None
            self._routes.put_entries(self._section, entries)
        self._delete(keys)


class Sink(Protocol):
    """Where a section's files go as they are rendered: a `Draft` (uploaded at once) or a
    `Collected` (kept, for a preview or a publication that must first know its size). `head` is
    the newest complete version, read once, which `differs` compares with."""

    head: Manifest

    def add(self, path: str, file: SiteFile) -> None: ...

    def differs(
        self, more: Mapping[str, SiteFile] | None = None, within: Callable[[str], bool] | None = None
    ) -> bool: ...


class Collected:
    def __init__(self, site: SitePublisher) -> None:
        self.head = site.head()
        self.files: dict[str, SiteFile] = {}

    def add(self, path: str, file: SiteFile) -> None:
        self.files[path] = file

    def differs(
        self, more: Mapping[str, SiteFile] | None = None, within: Callable[[str], bool] | None = None
    ) -> bool:
        wanted = {p: f.digest for p, f in {**self.files, **(more or {})}.items()}
        return _differs(self.head, wanted, within)


class Draft:
    """A version being written (`SitePublisher.drafting`). Each file added is compared with the
    newest complete version (the head) at once: if its bytes are new, their upload starts while the
    caller renders the next; bytes a path had before (a change undone) are pointed at, not written
    again. Nothing is seen until `publish`, which waits for the uploads, writes the manifest and the
    routes, commits the version and switches the pointer. A version number is taken only once
    something differs, so a publication that changes nothing writes nothing."""

    def __init__(
        self, site: SitePublisher, owner: str, before: LedgerState, actor: str, now: datetime
    ) -> None:
        self._site = site
        self._owner = owner
        self._before = before
        self._actor = actor
        self._now = now
        self.head = site.manifest(before.head) or EMPTY  # what it builds on
        self._wanted: dict[str, str] = {}  # path -> sha256 of every file added
        self._kinds: dict[str, tuple[str, int]] = {}  # path -> (type, size)
        self._new: dict[str, list[Any]] = {}  # path -> its history item in this version, if it differs
        self._version: int | None = None
        self._batch: Batch | None = None
        self.written = 0

    def _current(self, path: str) -> str | None:
        """The path's digest in the head (None: not there)."""
        return _digest_at(self.head.history(path), self.head.version) if self.head.files else None

    def _allocate(self) -> int:
        if self._version is None:
            self._version = self._site._ledger.allocate(self._owner)
        return self._version

    def add(self, path: str, file: SiteFile) -> None:
        if path in self._wanted:
            raise ValueError(f"{path} was added twice")
        digest = file.digest
        self._wanted[path] = digest
        self._kinds[path] = (file.content_type, len(file.body))
        if self._current(path) == digest:
            return
        version = self._allocate()
        history = self.head.history(path) or []
        reuse = next((h[1] for h in history if h[2] == digest and h[1] is not None), None)
        self._new[path] = [version, version if reuse is None else reuse, digest]
        if reuse is None:
            if self._batch is None:
                self._batch = self._site._uploads.start(self._site._bucket, CACHE_CONTROL)
            self._batch.put(Upload(self._site._key(version, path), file.body, file.content_type))
            self.written += 1

    def differs(
        self, more: Mapping[str, SiteFile] | None = None, within: Callable[[str], bool] | None = None
    ) -> bool:
        """Whether the files added, with `more`, differ from the head: among the paths `within`
        accepts (all of which have been added or are in `more`), or all of them."""
        wanted = {**self._wanted, **{p: f.digest for p, f in (more or {}).items()}}
        return _differs(self.head, wanted, within)

    def publish(self, meta: Mapping[str, Any] | None = None) -> Published:
        site, head, before, owner = self._site, self.head, self._before, self._owner
        meta = dict(meta or {})
        live = site.live()
        changes = site._compare(head, live, self._wanted)
        removed = [p for p in head.files if p not in self._wanted and self._current(p) is not None]
        if not self._new and not removed:
            # nothing differs from the head: no new version, nothing written; if a rollback left an
            # older version live, the head (what the data says now) becomes live again
            if live == head.version or not head.files:
                site._ledger.record(owner, before.history, clear_pending=True)
                return Published(live, [], 0, len(head.files))
            site._routes.switch(site._section, str(head.version))
            site._ledger.record(
                owner,
                [
                    history_entry(
                        "publish", head.version, self._actor, self._now, changed=len(changes.paths)
                    ),
                    *before.history,
                ],
                clear_pending=True,
            )
            return Published(head.version, changes.paths, 0, len(head.files))
        version = self._allocate()
        for path in removed:
            self._new[path] = [version, None, None]
        if self._batch is not None:
            self._batch.finish()  # every byte is there before anything names it
        kept_versions = sorted({*(i.version for i in before.versions), version}, reverse=True)[: site._keep]
        oldest_kept = min(kept_versions)
        new_files: dict[str, dict[str, Any]] = {}
        entries: dict[str, str | None] = {}
        prune: list[str] = []
        for path in sorted(set(self._wanted) | set(head.files)):
            history = list(head.history(path) or [])
            if path in self._new:
                history.insert(0, self._new[path])
            trimmed = _trim(history, oldest_kept)
            prune += [site._key(location, path) for location in _locations(history) - _locations(trimmed)]
            if all(h[1] is None for h in trimmed):
                entries[path] = None  # deleted in every version kept: its route goes too
                continue
            if path in self._new:
                entries[path] = format_entry(_items(trimmed))
            kind, size = self._kinds.get(path) or (head.files[path]["type"], 0)
            new_files[path] = {"type": kind, "size": size, "history": trimmed}
        manifest = Manifest(version, meta, new_files)
        site._put(MANIFEST, version, SiteFile(manifest.to_json(site._section), "application/json"))
        site._routes.put_entries(site._section, entries)
        present = sum(1 for data in new_files.values() if data["history"][0][1] is not None)
        info = VersionInfo(version, iso(self._now), self._actor, present, self.written, len(changes.paths))
        kept = [info, *(i for i in before.versions if i.version in kept_versions)]
        dropped = [i.version for i in before.versions if i.version not in kept_versions]
        site._ledger.commit(
            owner,
            info,
            kept,
            meta,
            [
                history_entry("publish", version, self._actor, self._now, changed=len(changes.paths)),
                *before.history,
            ],
        )
        site._routes.switch(site._section, str(version))
        site._delete([*prune, *(site._key(d, MANIFEST) for d in dropped)])
        return Published(version, changes.paths, self.written, present)

    def abandon(self) -> None:
        if self._batch is not None:
            self._batch.abandon()


def _differs(head: Manifest, wanted: Mapping[str, str], within: Callable[[str], bool] | None) -> bool:
    kept = head.files if within is None else [p for p in head.files if within(p)]
    paths = set(kept) | (set(wanted) if within is None else {p for p in wanted if within(p)})
    return any(_digest_at(head.history(path), head.version) != wanted.get(path) for path in paths)


def lease_for(timeout_seconds: int) -> timedelta:
    """Longer than the function may run, so a holder that crashed can never act after another took over."""
    return timedelta(seconds=2 * timeout_seconds + 60)
