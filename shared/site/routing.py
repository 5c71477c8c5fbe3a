"""How a reader finds a path's bytes: the one resolution rule, which the CloudFront Function
(`infra/edge/site_router.js`) implements again in JavaScript, and tests hold the two to the same cases
(`tests/unit/test_site_routing.py`).

- The pointer of a section is the live version's number: `"44"`.
- A path's entry lists, newest first, the versions from which its bytes changed: `"44 40=38 35-"`
  reads "from version 44 on, at v/44/; from 40, at v/38/ (the bytes version 38 wrote, such as after
  a change was undone); from 35, deleted". A version without `=` keeps its bytes under its own prefix.

The live version of a path is its entry's newest item at or below the pointer. Items above it (a
version being written, or one rolled back from) are never seen, so writing entries before switching
the pointer publishes nothing, and switching the pointer publishes everything at once.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_ITEM = re.compile(r"^([0-9]{1,9})(?:=([0-9]{1,9})|(-))?$")
VERSION_PREFIX = "v"


class Item(NamedTuple):
    version: int  # from this version on ...
    location: int | None  # ... the bytes are under v/<location>/ (None: the path is deleted)


def parse_entry(value: str) -> list[Item]:
    items = []
    for part in value.split():
        found = _ITEM.match(part)
        if found is None:
            continue  # never written by us: ignored, as the CloudFront Function ignores it
        version = int(found.group(1))
        location = None if found.group(3) else int(found.group(2) or version)
        items.append(Item(version, location))
    return items


def format_entry(items: list[Item]) -> str:
    def one(item: Item) -> str:
        if item.location is None:
            return f"{item.version}-"
        return str(item.version) if item.location == item.version else f"{item.version}={item.location}"

    return " ".join(one(item) for item in sorted(items, key=lambda i: -i.version))


def parse_pointer(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def resolve(pointer: int | None, entry: str | None) -> int | None:
    """The version prefix that holds the path's live bytes, or None (not published, or deleted)."""
    if pointer is None or not entry:
        return None
    best: Item | None = None
    for item in parse_entry(entry):
        if item.version <= pointer and (best is None or item.version > best.version):
            best = item
    return best.location if best is not None else None


def object_key(prefix: str, section: str, location: int, path: str) -> str:
    """Where the bytes of `path` that version `location` wrote are kept: `site/directory/v/44/index.html`."""
    return f"{prefix}{section}/{VERSION_PREFIX}/{location}/{path}"


def normalise_path(path: str) -> str | None:
    """A request's path within its section, as the routes name it: `''` and `x/` are their
    `index.html`; anything that could climb out of the section (`..`, `//`, a backslash) is None."""
    if path == "" or path.endswith("/"):
        path += "index.html"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in path:
        return None
    return path


# What every published page is served with, by CloudFront's response headers policy in AWS
# (`infra/constructs/edge.py`) and by local mode's gateway: pages style themselves from the site's
# own stylesheet, run no script, and post forms only to the same origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "access-control-allow-origin": "*",
}
