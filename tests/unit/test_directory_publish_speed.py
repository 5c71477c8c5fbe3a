"""The shortcuts that make publishing the directory fast give exactly what the long way gave: reading
items past botocore's parser, the plain values of an item, the text checks, the HSDS UUIDs and the
feed's bytes."""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from shared.directory import hsds
from shared.directory.render import SiteSettings, _encode, prepare, root_files
from shared.dynamo import _plain, from_item, to_item
from shared.text import _bad, check_line, check_paragraphs

ITEM: dict[str, Any] = {
    "pk": "SERVICE",
    "sk": "0b4c3f1e-1111-4222-8333-444455556666",
    "name": "Café Hope ‍👩‍👧",
    "version": 7,
    "negative": -12,
    "big": 10**30,
    "fraction": 0,
    "free": True,
    "tags": {"b", "a"},
    "counts": {3, 1},
    "nested": {"list": [1, "two", {"three": None, "f": False}], "empty": {}},
    "blob": b"\x00\xffbytes",
}
BLOBS = [b"x", b"y"]  # a binary set: botocore decodes it; `from_item` cannot sort its Binary values


def old_from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(TypeDeserializer().deserialize(value)) for key, value in item.items()}


SETTINGS = SiteSettings("Group", "https://example.org", "01908 000000", "a@example.org")


def built(seed: int, count: int, **changes: Any) -> list[Any]:
    """`count` stored entries as the bench makes them (`entry`), built as the admin builds them."""
    from shared.directory.admin import DirectoryAdmin
    from shared.directory.models import ServiceInput, id_for
    from tests.bench.directory_scale import entry

    rng = random.Random(seed)
    services = []
    for n in range(count):
        data = ServiceInput.model_validate(entry(rng, n) | changes)
        services.append(
            DirectoryAdmin.build(
                DirectoryAdmin.__new__(DirectoryAdmin),
                data,
                id_for(data.organization.name, data.name),
                "test",
                datetime(2026, 12, 1, tzinfo=UTC),
                None,
            )
        )
    return services


def test_plain_values_are_those_of_the_deserializer() -> None:
    typed = to_item(ITEM)
    typed["null"] = {"NULL": True}
    typed["decimal"] = {"N": "2.0"}
    typed["exponent"] = {"N": "1E+3"}
    assert from_item(typed) == old_from_item(typed)


def test_printable_text_has_nothing_forbidden_in_it() -> None:
    """The fast path of the text checks: every code point `isprintable` passes is allowed."""
    assert not [c for c in map(chr, range(0x110000)) if c.isprintable() and _bad(c)]
    assert check_line("Zoë 👩‍👧") == "Zoë 👩‍👧"
    assert check_paragraphs("one\ntwo") == "one\ntwo"
    for bad in ("a\u202eb", "a\x00", "a\tb"):
        for check in (check_line, check_paragraphs):
            try:
                check(bad)
            except ValueError:
                continue
            raise AssertionError(f"{bad!r} passed {check.__name__}")


def test_hsds_uuids_are_uuid5() -> None:
    rng = random.Random(3)
    for _ in range(200):
        namespace = uuid.UUID(int=rng.getrandbits(128))
        name = "".join(rng.choice("abc/é0123") for _ in range(rng.randrange(0, 20)))
        assert hsds.uuid5(namespace, name) == str(uuid.uuid5(namespace, name))


def test_the_feed_is_the_whole_feed_encoded() -> None:
    services = built(9, 30)
    settings = SETTINGS
    for chosen in (services, services[:1], []):
        prepared = prepare(chosen, date(2026, 12, 7))
        files = root_files(prepared, settings, date(2026, 12, 7))
        whole = hsds.feed([hsds.service_json(s) for s in sorted(chosen, key=lambda s: str(s.id))])
        assert files["services.json"].body == _encode(whole)


def test_the_data_licence_is_in_the_index_every_footer_and_the_print_edition() -> None:
    from shared.directory.render import site_files

    (service,) = built(1, 1)
    default = SETTINGS
    files = site_files([service], default, date(2026, 12, 7), date(2026, 12, 7))
    assert json.loads(files["index.json"].body)["license"] == {
        "name": "Open Government Licence v3.0",
        "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    }
    chosen = default._replace(
        licence_name="CC BY 4.0", licence_url="https://creativecommons.org/licenses/by/4.0/"
    )
    files = site_files([service], chosen, date(2026, 12, 7), date(2026, 12, 7))
    said = (
        "You may reuse this data under the "
        '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>.'
    )
    for path in (f"services/{service.id}.html", "index.html", "my-list.html"):
        assert said in files[path].body.decode()
    assert (
        "You may reuse this data under the CC BY 4.0: https://creativecommons.org/licenses/by/4.0/"
        in files["print.html"].body.decode()
    )
    assert json.loads(files["index.json"].body)["license"]["name"] == "CC BY 4.0"


def test_every_service_is_read_once_from_the_ranges_read_at_once(monkeypatch: Any) -> None:
    """`ServiceRepository.all` reads id ranges side by side: every item once, in id order, even
    one whose key is a range's boundary (which two ranges both hold); `each` gives the same items as
    their pages arrive, and raises a range's failure."""
    from shared.directory import repository as module

    keys = sorted(["0a", "3f", "4", "8", "8a", "bb", "c", "c0", "ff", "zz"])
    seen: list[str] = []

    class Table:
        def query(self, **kwargs: Any) -> dict[str, Any]:
            values = {k: v["S"] for k, v in kwargs["ExpressionAttributeValues"].items()}
            low, high = values.get(":low", ""), values.get(":high", "\uffff")
            seen.append(kwargs["KeyConditionExpression"])
            return {"Items": [{"pk": {"S": "SERVICE"}, "sk": {"S": k}} for k in keys if low <= k <= high]}

    monkeypatch.setattr(module, "_service", lambda item: SimpleNamespace(id=item["sk"]))
    found = module.ServiceRepository(Table(), "table").all()
    assert [f.id for f in found] == keys and len(seen) == len(module.SEGMENTS) + 1
    assert sorted(f.id for f in module.ServiceRepository(Table(), "table").each()) == keys

    class Failing(Table):
        def query(self, **kwargs: Any) -> dict[str, Any]:
            if ":low" in kwargs["ExpressionAttributeValues"]:
                raise RuntimeError("throttled")
            return super().query(**kwargs)

    with pytest.raises(RuntimeError, match="throttled"):
        list(module.ServiceRepository(Failing(), "table").each())

    class Paged:  # every range has 20 pages of one item
        queries = 0

        def query(self, **kwargs: Any) -> dict[str, Any]:
            Paged.queries += 1
            time.sleep(0.02)  # DynamoDB's answer
            page = int(kwargs.get("ExclusiveStartKey", {}).get("n", {}).get("N", "0"))
            return {
                "Items": [{"pk": {"S": "SERVICE"}, "sk": {"S": f"{Paged.queries}"}}],
                **({"LastEvaluatedKey": {"n": {"N": str(page + 1)}}} if page < 19 else {}),
            }

    # a taker that stops (a publication that failed) stops the reading too
    services = module.ServiceRepository(Paged(), "table").each()
    next(services)
    services.close()
    assert Paged.queries < 20 * (len(module.SEGMENTS) + 1) // 2


def test_the_edition_is_the_last_day_something_changed() -> None:
    """An entry's own files changing makes it today's edition without rendering the lists twice;
    nothing changed keeps the edition (and so every byte) of the day it last changed."""
    from shared.directory.publication import DirectoryPublication
    from shared.directory.render import site_files
    from shared.site.publisher import Manifest, SitePublisher

    services = built(4, 5)
    settings = SETTINGS
    then, today = date(2026, 12, 2), date(2026, 12, 7)
    before = site_files(services, settings, today, then)
    head = Manifest(
        1,
        {"edition": then.isoformat()},
        {
            p: {"type": f.content_type, "size": len(f.body), "history": [[1, 1, f.digest]]}
            for p, f in before.items()
        },
    )

    class Head(SitePublisher):
        def head(self) -> Manifest:
            return head

    class Repository:
        def __init__(self, found: list[Any]) -> None:
            self.found = found

        def all(self) -> list[Any]:
            return self.found

    publisher = Head(s3=None, bucket="b", section="directory", routes=Any, ledger=Any)  # type: ignore[arg-type]
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    same = DirectoryPublication(Repository(services), publisher, settings, "Europe/London", Any)  # type: ignore[arg-type]
    files, edition = same.files(now)
    assert edition == then and {p: f.body for p, f in files.items()} == {p: f.body for p, f in before.items()}
    changed = [services[0].model_copy(update={"alert": "New times"}), *services[1:]]
    moved = DirectoryPublication(Repository(changed), publisher, settings, "Europe/London", Any)  # type: ignore[arg-type]
    files, edition = moved.files(now)
    assert edition == today
    assert files == site_files(changed, settings, today, today)


def test_the_print_edition_refers_to_where_an_entry_is_printed_in_full() -> None:
    """An entry is printed in full under the first of its categories in the edition's order, which
    need not be the first it lists; the others refer to that one, never to themselves."""
    import re

    from shared.directory.render import site_files
    from shared.directory.taxonomy import CATEGORIES

    first, later = CATEGORIES[0], CATEGORIES[2]
    (service,) = built(2, 1, categories=[later.slug, first.slug])
    settings = SETTINGS
    page = site_files([service], settings, date(2026, 12, 7), date(2026, 12, 7))["print.html"].body.decode()
    sections = re.split(r'<section class="category"', page)[1:]
    assert f'id="print-{first.slug}"' in sections[0] and "<article" in sections[0]
    assert f"see the entry under {first.label}." in sections[1]
