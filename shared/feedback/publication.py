""" "You said, we did": the items with an anonymised text, consent to publish and a status of
`change_made` (or closed after a change was made), published under the site as a page and a JSON
feed through the site's versioned publication (`shared.site`), with the headline figures (each one
drawn from fewer than 5 items is not shown).

Every change that affects the page (a submission, which changes the figures; a status, a response,
an anonymised text) marks the publication record (`SITE#you-said-we-did/CHANGED`); the publisher
runs every minute and publishes only when the mark is newer than what it last published.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from shared.email.render import TEMPLATES, render_template
from shared.feedback.models import FFT_QUESTION, RATINGS, Item
from shared.feedback.service import FeedbackService, figures
from shared.site.publisher import Published, SiteFile, SitePublisher

SECTION = "you-said-we-did"
MINIMUM = 5
HTML = "text/html; charset=utf-8"
JSON = "application/json"
CSS = "text/css; charset=utf-8"


class PageSettings(NamedTuple):
    group_name: str
    base_url: str
    hospital: str
    contact_phone: str


def published(items: list[Item]) -> list[Item]:
    return sorted(
        (
            i
            for i in items
            if i.anonymised_text
            and i.consent_publish
            and i.changed_at
            and i.status in ("change_made", "closed")
        ),
        key=lambda i: (i.changed_at or "", i.reference),
        reverse=True,
    )


def files(items: list[Item], settings: PageSettings) -> dict[str, SiteFile]:
    shown = figures(items, MINIMUM)
    entries = [
        {
            "reference": i.reference,
            "about": i.about,
            "category": i.category,
            "said": i.anonymised_text or "",
            "did": i.public_response or "",
            "date": (i.changed_at or "")[:10],
        }
        for i in published(items)
    ]
    page = render_template(
        "you_said_we_did/index.html",
        group_name=settings.group_name,
        base_url=settings.base_url,
        hospital=settings.hospital,
        contact_phone=settings.contact_phone,
        figures=shown,
        hidden=any(value is None for value in shown.values()),
        minimum=MINIMUM,
        ratings=RATINGS,
        fft_question=FFT_QUESTION,
        entries=entries,
    )
    feed = {
        "title": "You said, we did",
        "publisher": settings.group_name,
        "figures": shown,
        "items": [{k: e[k] for k in ("about", "category", "said", "did", "date")} for e in entries],
    }
    return {
        "index.html": SiteFile(page.encode(), HTML),
        "feed.json": SiteFile(json.dumps(feed, ensure_ascii=False, sort_keys=True, indent=1).encode(), JSON),
        "site.css": SiteFile((TEMPLATES / "directory" / "site.css").read_bytes(), CSS),
    }


class YouSaidWeDid:
    def __init__(self, service: FeedbackService, publisher: SitePublisher, settings: PageSettings) -> None:
        self._service = service
        self.publisher = publisher
        self._settings = settings

    def files(self) -> dict[str, SiteFile]:
        return files(self._service.all_items(), self._settings)

    def publish_if_changed(self, now: datetime) -> Published | None:
        """Publish when a change was marked since the last publication; None when nothing was."""
        changed_at, through = self._service.publication_mark()
        if through is not None and through == changed_at:
            return None
        done = self.publisher.publish(self.files(), actor="schedule", now=now)
        self._service.mark_published(changed_at)
        return done
