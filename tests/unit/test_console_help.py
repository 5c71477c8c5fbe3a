"""The console's help pages: one for each declared topic, each link to one leads somewhere, and each
reads at Flesch-Kincaid grade 6 or lower, like every page a member sees (volunteers read these on a
phone between clinics)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.declaration import help_topics
from shared.email.render import render_template
from tests.unit.test_reading_age import GRADE, grade, page_text

TEMPLATES = Path(__file__).parents[2] / "shared" / "templates"
HELP = TEMPLATES / "console" / "help"
TOPICS = {t.slug: t for t in help_topics()}
CONSOLE: dict[str, object] = {
    "group_name": "MKCPP",
    "base_url": "https://example.org",
    "admin": None,
    "csrf_field": "csrf",
    "nav": [],
    "current": "/console/help",
    "login_url": "https://login.example.org",
    "people": {},
}


def test_every_declared_topic_has_its_page_and_every_page_is_declared():
    pages = {p.stem for p in HELP.glob("*.html") if not p.stem.startswith("_") and p.stem != "index"}
    assert pages == set(TOPICS)


def test_every_link_to_a_help_page_in_the_console_leads_to_one():
    linked = {
        slug
        for template in (TEMPLATES / "console").rglob("*.html")
        for slug in re.findall(r'href="/console/help/([a-z-]+)"', template.read_text())
    }
    assert linked and linked <= set(TOPICS), sorted(linked - set(TOPICS))


@pytest.mark.parametrize("slug", sorted(TOPICS))
def test_every_help_page_reads_at_grade_6_or_lower(slug):
    html = render_template(f"console/help/{slug}.html", **CONSOLE, title=TOPICS[slug].title)
    text = page_text(html.split("<main", 1)[-1].split(">", 1)[-1])
    assert len(text) > 300
    assert grade(text) <= GRADE, text


def test_the_index_lists_every_topic_in_plain_words():
    topics = [(t.slug, t.title, t.summary) for t in help_topics()]
    html = render_template("console/help/index.html", **CONSOLE, title="Help", topics=topics)
    for slug, title, _ in topics:
        assert f'<a href="/console/help/{slug}">{title}</a>' in html
    assert grade(page_text(html.split("<main", 1)[-1].split(">", 1)[-1])) <= GRADE
