"""Every page and every email reads at Flesch-Kincaid grade 6 or lower (a reading age of about 11):
many members are elderly or unwell, and some read on a small phone.

Measured with textstat's `flesch_kincaid_grade` on what a person sees: the page's text without the
style sheet, the hidden honeypot or web addresses (nobody reads a URL as prose). Each heading, label,
button, list item and table cell is a unit of its own, as a reader takes it in, so a label without a
full stop does not run on into the next one.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import textstat

from functions.members.pages import _DATA_HELP, _HELP
from shared.api import NOT_FOUND
from shared.email.render import render_email, render_page
from tests.unit.rendering import BASE, EMAIL_BASE, EMAILS, PAGES

GRADE = 6.0
BLOCKS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "label",
    "legend",
    "button",
    "td",
    "th",
    "dt",
    "dd",
    "caption",
    "title",
}
URLS = re.compile(r"https?://\S+|\S+@\S+\.\w+")


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.units: list[str] = []
        self._current: list[str] = []
        self._hidden_depth = 0
        self._stack: list[bool] = []  # per open element: does it hide its content?

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.units.append(text if text[-1] in ".?!" else text + ".")
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = dict(attrs)
        hides = tag in ("style", "script") or data.get("aria-hidden") == "true"
        if tag in ("meta", "input", "br", "hr", "link", "img"):
            if tag == "br":
                self._current.append(" ")
            return
        self._stack.append(hides)
        self._hidden_depth += hides
        if tag in BLOCKS or "hint" in (data.get("class") or "") or tag == "div":
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("meta", "input", "br", "hr", "link", "img") or not self._stack:
            return
        self._hidden_depth -= self._stack.pop()
        if tag in BLOCKS or tag in ("div", "span", "table", "ul", "ol"):
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self._current.append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join(self.units)


def page_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return URLS.sub("", parser.text())


def email_text(text: str) -> str:
    lines = [" ".join(URLS.sub("", line).split()).rstrip(",") for line in text.splitlines()]
    return "\n".join(line if line[-1] in ".?!" else line + "." for line in lines if line.strip(" .:"))


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text))


@pytest.mark.parametrize(("template", "context"), [pytest.param(t, c, id=n) for n, t, c in PAGES])
def test_every_page_reads_at_grade_6_or_lower(template, context):
    text = page_text(render_page(template, **BASE, **context))
    assert grade(text) <= GRADE, text


@pytest.mark.parametrize(
    "paragraphs",
    [pytest.param(text, id=path) for path, text in _HELP.items()]
    + [pytest.param(_DATA_HELP, id="data links"), pytest.param(NOT_FOUND, id="not found")],
)
def test_every_message_a_member_can_be_shown_reads_at_grade_6_or_lower(paragraphs):
    html = render_page("message", **BASE, title="This link has expired", paragraphs=paragraphs, link_url=None)
    text = page_text(html)
    assert grade(text) <= GRADE, text


@pytest.mark.parametrize(("template", "context"), [pytest.param(t, c, id=n) for n, t, c in EMAILS])
def test_every_email_reads_at_grade_6_or_lower(template, context):
    content = render_email(template, **EMAIL_BASE, **context)
    text = email_text(f"{content.subject}\n{content.text}")
    assert grade(text) <= GRADE, text


def test_the_measure_sees_what_a_person_sees():
    # Given a page with a style sheet, a hidden honeypot and labels without full stops
    html = (
        "<html><head><title>Join</title><style>body { color: red }</style></head><body>"
        "<label>Your name</label><div aria-hidden='true'><label>Leave this empty</label></div>"
        "<p>See https://example.org/a?token=x for more.</p></body></html>"
    )
    # Then only the visible words count, each label on its own
    assert page_text(html).split("\n") == ["Join.", "Your name.", "See  for more."]
