"""Every page the system renders is plain, accessible HTML that works without JavaScript on a phone.

A structural check of WCAG 2.2 AA basics on each template as the handlers render it: language,
viewport, title, one h1, a label for every control, error messages tied to their fields, no
scripts, and forms that submit with a real button.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from shared.email.render import render_page
from shared.members.groups import WorkingGroup
from shared.members.models import ROLE_LABELS, Member, MemberStatus, Role
from shared.members.readable import Section

MEMBER = Member(
    id="m1",
    name="Ann",
    email="ann@example.org",
    role=Role.CARER,
    status=MemberStatus.ACTIVE,
    created_at="2026-11-28T10:00:00Z",
    working_groups=["journal"],
)
GROUPS = [
    WorkingGroup(id="journal", name="Patient Journal", purpose="Feedback", created_at="x", updated_at="x")
]
BASE = {"group_name": "MKCPP", "base_url": "https://api.example.org"}
PAGES: dict[str, dict[str, Any]] = {
    "signup": {
        "title": "Join",
        "action": "/members",
        "values": {},
        "errors": {"email": "Enter an email address"},
        "roles": [(r.value, label) for r, label in ROLE_LABELS.items()],
        "working_groups": GROUPS,
        "privacy_notice_version": "2026-11",
        "privacy_url": "/members/privacy",
    },
    "signup_sent": {"title": "Check your email", "hours": 72, "signup_url": "/members/signup"},
    "confirmed": {"title": "You are now a member", "outcome": "confirmed"},
    "privacy": {"title": "Privacy notice", "version": "2026-11"},
    "message": {
        "title": "This link has expired",
        "paragraphs": ["One.", "Two."],
        "link_url": "/x",
        "link_text": "Go",
    },
    "preferences": {
        "title": "Your preferences",
        "member": MEMBER,
        "active": True,
        "groups": GROUPS,
        "action": "/p",
        "data_action": "/d",
        "unsubscribe_url": "/u",
        "signup_url": "/s",
        "banner": "Your preferences are saved",
        "health_held": True,
        "removable": False,
        "roles": [(r.value, label) for r, label in ROLE_LABELS.items()],
        "health_roles": ["carer", "patient", "patient_and_carer"],
        "errors": {"phone": "Enter a phone number"},
        "values": {"phone": "ring me"},
    },
    "unsubscribe": {"title": "Stop emails", "done": False, "action": "/u", "signup_url": "/s"},
    "unsubscribe_done": {
        "title": "You have unsubscribed",
        "done": True,
        "action": None,
        "signup_url": "/s",
        "removal_action": "/p",
        "grace_days": 30,
    },
    "export": {
        "title": "The information we hold about you",
        "sections": [
            Section("About you", [("Name", "Ann"), ("Phone number", "01908 660033")]),
            Section("Working groups", [], "You are not in any working group."),
        ],
        "exported_at": "2026-11-28T10:00:00Z",
        "action": "/x",
    },
    "erase": {"title": "Delete your details", "done": False, "action": "/e"},
}


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


@pytest.mark.parametrize("template", sorted(PAGES))
def test_page_structure_meets_the_basics(template):
    html = render_page(template.removesuffix("_done"), **BASE, **PAGES[template])
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
