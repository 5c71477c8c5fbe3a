"""The published directory, rendered from the stored entries with jinja2 (autoescaped):

- `index.html`: the directory grouped by category, a table of contents, and ways to find a service
  by what a visitor needs (`need/<slug>.html`) and by place (`place/<slug>.html`): plain links, no
  JavaScript;
- `services/<id>.html`: one entry, when it was last checked, its closures and notice, and the link
  to tell us that something is wrong with it;
- `print.html`: the print edition: A4, large print, each category on a new page, the edition's date,
  each entry's last-checked date, and where to check for updates;
- `my-list.html`: the "my list" form: tick the entries that fit one person, and get a dated sheet
  (`GET /directory/my-list`, which stores nothing);
- `services.json`, `services/<id>.json`, `index.json`: HSDS-shaped open data (`shared.directory.hsds`);
- `site.css`: the one stylesheet (the site's CSP allows styles from itself only).

Nothing on a page depends on when it is rendered except through the data and today's date (closures
that have ended, entries not checked recently), so publishing again with nothing changed renders
the same bytes and writes nothing. The edition's date is given: the date of the last publication
that changed something (`shared.directory.publication`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from shared.directory.hsds import feed, index, service_json
from shared.directory.models import STATUS_LABELS, Review, Service, Status, review_of
from shared.directory.taxonomy import CATEGORIES, NEEDS
from shared.email.render import TEMPLATES, render_template
from shared.settings import OGL_NAME, OGL_URL
from shared.site.publisher import SiteFile

HTML = "text/html; charset=utf-8"
JSON = "application/json"
CSS = "text/css; charset=utf-8"
DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
ORDER = list(DAYS)
ORDINALS = {
    "1": "first",
    "2": "second",
    "3": "third",
    "4": "fourth",
    "5": "fifth",
    "-1": "last",
    "-2": "second-last",
}
ONLINE = "phone-or-online"


class SiteSettings(NamedTuple):
    group_name: str
    base_url: str  # the public address: the site is at <base_url>/site/directory/
    contact_phone: str
    contact_email: str
    licence_name: str = OGL_NAME  # the licence the data may be reused under
    licence_url: str = OGL_URL

    @property
    def site_url(self) -> str:
        return f"{self.base_url}/site/directory/"


def long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _time(value: str) -> str:
    hours, minutes = (int(part) for part in value.split(":"))
    if (hours, minutes) == (12, 0):
        return "12 noon"
    suffix = "am" if hours < 12 else "pm"
    shown = hours % 12 or 12
    return f"{shown}{suffix}" if minutes == 0 else f"{shown}:{minutes:02d}{suffix}"


def _days(byday: str) -> str:
    parts = byday.split(",")
    if all(p in DAYS for p in parts):
        indexes = sorted(ORDER.index(p) for p in parts)
        if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
            return f"{DAYS[ORDER[indexes[0]]]} to {DAYS[ORDER[indexes[-1]]]}"
        names = [DAYS[ORDER[i]] + "s" for i in indexes]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    words = []
    for part in parts:
        found = re.match(r"^(-?[1-5])?([A-Z]{2})$", part)
        if found and found.group(1):
            words.append(
                f"the {ORDINALS.get(found.group(1), found.group(1))} {DAYS[found.group(2)]} of the month"
            )
        elif found:
            words.append(f"every {DAYS[found.group(2)]}")
    text = " and ".join(words)
    return text[:1].upper() + text[1:] if text else byday


def opening(schedule: Any) -> str:
    text = _days(schedule.byday)
    if schedule.opens_at and schedule.closes_at:
        text += f", {_time(schedule.opens_at)} to {_time(schedule.closes_at)}"
    if schedule.description:
        text += f" ({schedule.description})"
    return text


def slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "place"


class Entry(NamedTuple):
    """What every page shows of one service, worked out once."""

    service: Service
    review: Review
    status_label: str | None
    closures: list[Any]  # current and coming ones
    openings: list[str]
    places: list[tuple[str, str]]  # (slug, town)
    phones: list[str]
    id: str  # the service's id as text (pages name it many times: formatted once)

    @property
    def listed(self) -> bool:
        return self.service.status is not Status.DEFUNCT


def entry(service: Service, today: date) -> Entry:
    towns = {slug(loc.town): loc.town for loc in service.locations if loc.location_type == "physical"}
    if not towns:
        towns = {ONLINE: "By phone or online"}
    return Entry(
        service,
        review_of(service, today),
        None if service.status is Status.ACTIVE else STATUS_LABELS[service.status],
        [c for c in sorted(service.closures, key=lambda c: c.starts_on) if c.ends_on >= today],
        [opening(s) for s in service.schedules],
        sorted(towns.items(), key=lambda kv: (kv[0] == ONLINE, kv[1])),
        [c.phone for c in service.contacts if c.phone]
        or ([service.organization.phone] if service.organization.phone else []),
        str(service.id),
    )


def _html(template: str, **context: Any) -> SiteFile:
    return SiteFile(render_template(f"directory/{template}.html", **context).encode(), HTML)


def _encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _json(data: Any) -> SiteFile:
    return SiteFile(_encode(data), JSON)


def _sorted(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.service.name.casefold(), e.id))


class Prepared(NamedTuple):
    """What the files are made of, worked out once per publication however many files use it: each
    service's entry (what its pages show), its HSDS JSON and that JSON encoded, in the order read
    (`add`, one service at a time as a publication reads them)."""

    services: list[Service]
    today: date
    entries: list[Entry]
    data: list[dict[str, Any]]  # service_json of each
    encoded: list[bytes]  # the bytes of services/<id>.json, which services.json holds too

    def add(self, service: Service) -> tuple[Entry, bytes]:
        shown, data = entry(service, self.today), service_json(service)
        encoded = _encode(data)
        self.services.append(service)
        self.entries.append(shown)
        self.data.append(data)
        self.encoded.append(encoded)
        return shown, encoded


def prepare(services: Iterable[Service], today: date) -> Prepared:
    prepared = Prepared([], today, [], [], [])
    for service in services:
        prepared.add(service)
    return prepared


def entry_files(shown: Entry, encoded: bytes, settings: SiteSettings) -> list[tuple[str, SiteFile]]:
    """An entry's page and JSON file: these depend only on the entry (and today's date)."""
    page = _html(
        "service",
        entry=shown,
        title=shown.service.name,
        settings=settings,
        root="../",
        long_date=long_date,
        categories=CATEGORIES,
        needs=NEEDS,
    )
    return [(f"services/{shown.id}.html", page), (f"services/{shown.id}.json", SiteFile(encoded, JSON))]


def service_files(prepared: Prepared, settings: SiteSettings) -> dict[str, SiteFile]:
    """Every entry's page and JSON file."""
    return {
        path: file
        for shown, encoded in zip(prepared.entries, prepared.encoded, strict=True)
        for path, file in entry_files(shown, encoded, settings)
    }


def _feed(prepared: Prepared) -> bytes:
    """`services.json`: the feed of every service by id. Its `contents` are the bytes of the
    services' own files, joined: the same bytes as encoding the whole feed (keys sorted, so
    `contents` comes first), without encoding every service a second time."""
    order = sorted(range(len(prepared.entries)), key=lambda i: prepared.entries[i].id)
    whole = feed(prepared.data)
    assert min(whole) == "contents"
    rest = _encode({key: value for key, value in whole.items() if key != "contents"})
    contents = b",".join(prepared.encoded[i] for i in order)
    return b'{"contents":[' + contents + b"]," + rest[1:]


def root_files(prepared: Prepared, settings: SiteSettings, edition: date) -> dict[str, SiteFile]:
    """The pages that list entries, the print edition, the feed and its index: these carry the edition."""
    entries = _sorted(e for e in prepared.entries if e.listed)
    by_category = [(term, [e for e in entries if term.slug in e.service.categories]) for term in CATEGORIES]
    by_category = [(term, found) for term, found in by_category if found]
    # the print edition prints an entry in full under the first of its categories it comes to, and
    # refers to it under the others
    printed_under: dict[str, str] = {}
    for term, found in reversed(by_category):
        printed_under.update((e.id, term.slug) for e in found)
    by_need = [(term, [e for e in entries if term.slug in e.service.needs]) for term in NEEDS]
    by_need = [(term, found) for term, found in by_need if found]
    towns: dict[str, str] = {}
    for e in entries:
        towns.update(e.places)
    by_place = [
        (key, towns[key], [e for e in entries if key in dict(e.places)])
        for key in sorted(towns, key=lambda k: (k == ONLINE, towns[k]))
    ]
    common = {
        "settings": settings,
        "edition": long_date(edition),
        "long_date": long_date,
        "categories": CATEGORIES,
        "needs": NEEDS,
    }
    files = {
        "site.css": SiteFile((TEMPLATES / "directory" / "site.css").read_bytes(), CSS),
        "index.html": _html(
            "index",
            root="",
            title="Local Cancer Resources Directory",
            by_category=by_category,
            by_need=by_need,
            by_place=by_place,
            count=len(entries),
            **common,
        ),
        "print.html": _html(
            "print",
            root="",
            title="Local Cancer Resources Directory: print edition",
            by_category=by_category,
            printed_under=printed_under,
            **common,
        ),
        "my-list.html": _html(
            "my_list", root="", title="Make a list for someone", by_category=by_category, **common
        ),
    }
    for term, found in by_need:
        files[f"need/{term.slug}.html"] = _html(
            "list",
            root="../",
            title=term.label,
            heading=f"{term.label}",
            intro=term.description,
            entries=found,
            **common,
        )
    for key, town, found in by_place:
        files[f"place/{key}.html"] = _html(
            "list",
            root="../",
            title=town,
            heading=f"Services in {town}" if key != ONLINE else "Services by phone or online",
            intro="",
            entries=found,
            **common,
        )
    files["services.json"] = SiteFile(_feed(prepared), JSON)
    files["index.json"] = _json(
        index(prepared.data, edition, settings.site_url, settings.licence_name, settings.licence_url)
    )
    return files


def site_files(
    services: list[Service], settings: SiteSettings, today: date, edition: date
) -> dict[str, SiteFile]:
    prepared = prepare(services, today)
    return {**service_files(prepared, settings), **root_files(prepared, settings, edition)}


def static_path() -> Path:
    return TEMPLATES / "directory"
