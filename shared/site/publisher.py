"""`SitePublisher`: publish a section's complete set of files as a new version, roll back, preview.

See `shared/site/__init__.py` for the design. The order of the steps is what makes a failure at any
point harmless:

1. take the lease and a new version number (marked pending);
2. clean up after a publication that stopped half-way (its manifest says what it wrote);
3. write the new version's manifest (what it will be), then the bytes that changed, then the routes
   of the paths that changed: none of it is seen yet, the pointer still names the last version;
4. commit it in the ledger (the head moves; refused if the lease was lost), then switch the pointer:
   the one write that makes it live;
5. delete the bytes only versions no longer kept could reach, and give the lease back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from shared.clock import iso
from shared.errors import Conflict
from shared.site.ledger import Ledger, LedgerState, VersionInfo, history_entry
from shared.site.routes import Routes
from shared.site.routing import Item, format_entry, object_key, parse_pointer
from shared.site.uploads import SdkUploads, Upload, Uploads

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
        head = self.head()
        wanted = {p: f.digest for p, f in files.items()}
        kept = head.files if within is None else [p for p in head.files if within(p)]
        return any(
            _digest_at(head.history(path), head.version) != wanted.get(path)
            for path in set(wanted) | set(kept)
        )

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
        owner = uuid.uuid4().hex
        before = self._ledger.acquire(owner, now)
        try:
            if before.pending is not None and before.pending != before.head:
                self._clean_up(before.pending, before.head)
            return self._publish(owner, before, files, actor, now, dict(meta or {}))
        finally:
            self._ledger.release(owner)

    def _publish(
        self,
        owner: str,
        before: LedgerState,
        files: Mapping[str, SiteFile],
        actor: str,
        now: datetime,
        meta: dict[str, Any],
    ) -> Published:
        head = self.manifest(before.head) or EMPTY
        live = self.live()
        wanted = {path: f.digest for path, f in files.items()}
        changes = self._compare(head, live, wanted)
        histories: dict[str, History] = {}
        touched: list[str] = []
        for path in sorted(set(files) | set(head.files)):
            histories[path] = list(head.history(path) or [])
            current = _at(histories[path], head.version) if head.files else None
            if (current[2] if current else None) != wanted.get(path):
                touched.append(path)
        if not touched:
            # nothing differs from the head: no new version, nothing written; if a rollback left an
            # older version live, the head (what the data says now) becomes live again
            if live == head.version or not head.files:
                self._ledger.record(owner, before.history, clear_pending=True)
                return Published(live, [], 0, len(head.files))
            self._routes.switch(self._section, str(head.version))
            self._ledger.record(
                owner,
                [
                    history_entry("publish", head.version, actor, now, changed=len(changes.paths)),
                    *before.history,
                ],
                clear_pending=True,
            )
            return Published(head.version, changes.paths, 0, len(head.files))
        version = self._ledger.allocate(owner)
        uploads: list[str] = []
        for path in touched:
            history = histories[path]
            digest = wanted.get(path)
            if digest is None:
                history.insert(0, [version, None, None])
                continue
            # bytes this path had before (a change undone) are still there: point at them
            reuse = next((h[1] for h in history if h[2] == digest and h[1] is not None), None)
            history.insert(0, [version, version if reuse is None else reuse, digest])
            if reuse is None:
                uploads.append(path)
        kept_versions = sorted({*(i.version for i in before.versions), version}, reverse=True)[: self._keep]
        oldest_kept = min(kept_versions)
        new_files: dict[str, dict[str, Any]] = {}
        entries: dict[str, str | None] = {}
        prune: list[str] = []
        for path, history in histories.items():
            trimmed = _trim(history, oldest_kept)
            prune += [self._key(location, path) for location in _locations(history) - _locations(trimmed)]
            if all(h[1] is None for h in trimmed):
                entries[path] = None  # deleted in every version kept: its route goes too
                continue
            if path in touched:
                entries[path] = format_entry(_items(trimmed))
            found = files.get(path)
            new_files[path] = {
                "type": found.content_type if found else head.files[path]["type"],
                "size": len(found.body) if found else 0,
                "history": trimmed,
            }
        manifest = Manifest(version, meta, new_files)
        self._put(MANIFEST, version, SiteFile(manifest.to_json(self._section), "application/json"))
        self._upload({path: files[path] for path in uploads}, version)
        self._routes.put_entries(self._section, entries)
        present = sum(1 for data in new_files.values() if data["history"][0][1] is not None)
        info = VersionInfo(version, iso(now), actor, present, len(uploads), len(changes.paths))
        kept = [info, *(i for i in before.versions if i.version in kept_versions)]
        dropped = [i.version for i in before.versions if i.version not in kept_versions]
        self._ledger.commit(
            owner,
            info,
            kept,
            meta,
            [history_entry("publish", version, actor, now, changed=len(changes.paths)), *before.history],
        )
        self._routes.switch(self._section, str(version))
        self._delete([*prune, *(self._key(d, MANIFEST) for d in dropped)])
        return Published(version, changes.paths, len(uploads), present)

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

    def _upload(self, files: Mapping[str, SiteFile], version: int) -> None:
        self._uploads.put_all(
            self._bucket,
            [Upload(self._key(version, path), file.body, file.content_type) for path, file in files.items()],
            CACHE_CONTROL,
        )

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            self._s3.delete_objects(
                Bucket=self._bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )

    def _clean_up(self, pending: int, head_version: int | None) -> None:
        """A publication stopped half-way: put back the routes it wrote, delete the bytes it wrote.
        Its manifest is written before anything else, so it lists all of it."""
        stopped = self.manifest(pending)
        if stopped is None:
            return
        head = self.manifest(head_version) or EMPTY
        entries: dict[str, str | None] = {}
        objects = [self._key(pending, MANIFEST)]
        for path, data in stopped.files.items():
            history = data["history"]
            if history and int(history[0][0]) == pending:
                previous = head.history(path)
                entries[path] = format_entry(_items(previous)) if previous else None
                if history[0][1] == pending:
                    objects.append(self._key(pending, path))
        self._routes.put_entries(self._section, entries)
        self._delete(objects)


def lease_for(timeout_seconds: int) -> timedelta:
    """Longer than the function may run, so a holder that crashed can never act after another took over."""
    return timedelta(seconds=2 * timeout_seconds + 60)
