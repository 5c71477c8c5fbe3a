"""The monthly review reminder: the reviewers get one email listing every entry past its own review
interval (or marked for review by a public report), each with a link to its console page, where
"Mark as checked" is a button (a link in an email only shows a page; the button's POST acts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from shared.directory.models import Review, Service, due_on, review_of
from shared.email.mailer import Mailer, OutgoingEmail
from shared.email.render import render_email
from shared.send_once import SendKey, SendLedger


def overdue(services: list[Service], today: date) -> list[Service]:
    found = [s for s in services if review_of(s, today) is not Review.UP_TO_DATE]
    return sorted(found, key=lambda s: (due_on(s), s.name.casefold()))


def remind(
    services: list[Service],
    today: date,
    now: datetime,
    *,
    mailer: Mailer,
    ledger: SendLedger,
    reviewers: tuple[str, ...],
    console_url: str,
) -> int:
    """Email each reviewer the overdue entries (once a month, whatever reruns). How many were listed."""
    due = overdue(services, today)
    if not due:
        return 0
    content = render_email(
        "directory_review",
        entries=[
            {
                "name": s.name,
                "organization": s.organization.name,
                "last_reviewed": s.last_reviewed.isoformat(),
                "reported": s.needs_review,
                "url": f"{console_url}/console/directory/services/{s.id}",
            }
            for s in due
        ],
        review_url=f"{console_url}/console/directory/review",
    )
    for address in reviewers:
        ledger.send_once(
            SendKey("DIRECTORY#review", "review_reminder", f"{today:%Y-%m}#{address}"),
            partial(mailer.send, OutgoingEmail(address, content, "directory_review", None)),
            now,
            keep=timedelta(days=40),
        )
    return len(due)
