"""Every page the system renders is plain, accessible HTML that works without JavaScript on a phone.

A structural check of WCAG 2.2 AA basics on each template as the handlers render it: language,
viewport, title, one h1, a label for every control, error messages tied to their fields, no
scripts, and forms that submit with a real button.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from shared.email.render import render_page
from shared.feedback.models import FeedbackForm
from shared.members.models import PreferencesForm, SignupForm
from tests.unit.rendering import BASE, FEEDBACK_FORM, PREFERENCES, SIGNUP
from tests.unit.rendering import PAGES as RENDERED

PAGES = {template: context for _name, template, context in RENDERED}


class Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.label_for: set[str] = set()
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = dict(attrs)
        self.tags.append((tag, data))
        if tag == "label" and data.get("for"):
            self.label_for.add(str(data["for"]))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text[self._open[-1]] = self.text.get(self._open[-1], "") + data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.mark.parametrize(("template", "context"), [pytest.param(t, c, id=n) for n, t, c in RENDERED])
def test_page_structure_meets_the_basics(template, context):
    html = render_page(template, **BASE, **context)
    page = Structure()
    page.feed(html)

    assert page.all("html")[0].get("lang") == "en-GB"
    assert any(m.get("name") == "viewport" for m in page.all("meta"))
    assert page.text.get("title", "").strip()
    assert len(page.all("h1")) == 1
    assert not page.all("script"), "pages must work without JavaScript"
    ids = [a.get("id") for _, a in page.tags if a.get("id")]
    assert len(ids) == len(set(ids)), "ids must be unique"
    for control in page.all("input") + page.all("select") + page.all("textarea"):
        if control.get("type") in ("hidden",) or control.get("name") == "website":
            continue
        assert control.get("id") in page.label_for, f"{control} has no <label for>"
    for described in [a for _, a in page.tags if a.get("aria-describedby")]:
        for ref in str(described["aria-describedby"]).split():
            assert ref in ids, f"aria-describedby points at a missing id {ref}"
    for form in page.all("form"):
        assert form.get("method") == "post" and form.get("action")
    assert len(page.all("form")) == 0 or page.all("button"), "forms submit with a real button"
    assert html.count('class="skip"') >= 1  # skip link to the main content


def test_the_honeypot_is_hidden_from_people_and_assistive_technology():
    html = render_page("signup", **BASE, **PAGES["signup"])
    assert '<div class="hp" aria-hidden="true">' in html
    assert 'id="website" name="website" tabindex="-1" autocomplete="off"' in html


@pytest.mark.parametrize(
    ("template", "context", "form"),
    [
        ("preferences", PREFERENCES, PreferencesForm),
        ("signup", SIGNUP, SignupForm),
        ("feedback", FEEDBACK_FORM, FeedbackForm),
    ],
)
def test_every_error_summary_link_leads_to_something_on_the_page(template, context, form):
    # Given a message for every field the form has, and for the form as a whole
    errors = {name: "Put this right" for name in [*form.model_fields, "body"] if name not in ("website",)}
    html = render_page(template, **BASE, **{**context, "errors": errors, "banner": None})
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    # Then each link in the summary goes to an element the page has (WCAG 2.4.4 / GOV.UK pattern)
    summary = html.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert targets and all(t in ids for t in targets), sorted(set(targets) - ids)
