"""One resolution rule, twice: `shared/site/routing.py` (local mode) and the CloudFront Function
`infra/edge/site_router.js` (AWS) rewrite the same requests to the same bytes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.site.routing import (
    Item,
    format_entry,
    normalise_path,
    object_key,
    parse_entry,
    parse_pointer,
    resolve,
)

ROUTER = Path(__file__).resolve().parents[2] / "infra" / "edge" / "site_router.js"

# (uri, pointer, entries, expected rewritten uri, or the status the function answers)
CASES = [
    (
        "/site/directory/index.html",
        "44",
        {"directory/index.html": "44 40=38 35-"},
        "/site/directory/v/44/index.html",
    ),
    ("/site/directory/", "44", {"directory/index.html": "44 40=38"}, "/site/directory/v/44/index.html"),
    (
        "/site/directory/index.html",
        "41",
        {"directory/index.html": "44 40=38 35-"},
        "/site/directory/v/38/index.html",
    ),
    ("/site/directory/index.html", "36", {"directory/index.html": "44 40=38 35-"}, 404),
    ("/site/directory/index.html", "30", {"directory/index.html": "44 40=38 35-"}, 404),
    ("/site/directory/a/b.json", "7", {"directory/a/b.json": "9 3"}, "/site/directory/v/3/a/b.json"),
    ("/site/directory/missing.html", "7", {}, 404),
    ("/site/other/index.html", None, {}, 404),
    ("/site/directory/../secret", "7", {"directory/../secret": "1"}, 404),
    ("/site/directory", "7", {}, 301),
    ("/site/directory/x.html", "7", {"directory/x.html": "junk 5"}, "/site/directory/v/5/x.html"),
]


def python_router(uri, pointer, entries):
    section, _, rest = uri.removeprefix("/site/").partition("/")
    if "/" not in uri.removeprefix("/site/"):
        return 301
    path = normalise_path(rest)
    if path is None:
        return 404
    location = resolve(parse_pointer(pointer), entries.get(f"{section}/{path}"))
    return 404 if location is None else "/" + object_key("site/", section, location, path)


@pytest.mark.parametrize(("uri", "pointer", "entries", "expected"), CASES)
def test_the_python_rule(uri, pointer, entries, expected):
    assert python_router(uri, pointer, entries) == expected


def test_entries_read_back_as_written():
    items = [Item(44, 44), Item(40, 38), Item(35, None)]
    assert format_entry(items) == "44 40=38 35-"
    assert parse_entry("44 40=38 35-") == items


HARNESS = """
const source = require('fs').readFileSync(process.argv[1], 'utf8');
const cases = JSON.parse(process.argv[2]);
let store = {};
const get = async (key) => { if (!(key in store)) throw new Error('not found'); return store[key]; };
const cf = { kvs: () => ({ get: get }) };
const body = source.replace(/^import cf from 'cloudfront';$/m, '') + '\\nreturn handler;';
const handler = new Function('cf', body)(cf);
(async () => {
  const out = [];
  for (const [uri, pointer, entries] of cases) {
    store = Object.assign({}, entries);
    if (pointer !== null) store[uri.split('/')[2]] = pointer;
    const result = await handler({ request: { uri: uri } });
    out.push(result.statusCode !== undefined ? result.statusCode : result.uri);
  }
  console.log(JSON.stringify(out));
})();
"""


def test_the_cloudfront_function_agrees():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    found = subprocess.run(
        [node, "-e", HARNESS, str(ROUTER), json.dumps([[u, p, e] for u, p, e, _ in CASES])],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(found.stdout) == [expected for *_, expected in CASES]
