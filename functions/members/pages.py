"""Pages shared by the public member routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.members.env import members_env
from shared.groups import WorkingGroup
from shared.members.models import ROLE_LABELS
from shared.privacy.retention import after_erasure, link_lifetimes, retention
from shared.web import page, pages


def page_context() -> dict[str, Any]:
    """What every page's layout shows (`shared.web.pages.page_context`)."""
    return pages.page_context(members_env())


def privacy_page() -> Response[str]:
    """The privacy notice (UK GDPR Article 13), its retention table from `shared.privacy.retention`."""
    env = members_env()
    return page(
        200,
        "privacy",
        **page_context(),
        title="Privacy notice",
        version=env.privacy_notice_version,
        retention=retention(
            log_retention_days=env.log_retention_days,
            unsubscribe_grace_days=env.unsubscribe_grace_days,
            attendance_retention_days=env.attendance_retention_days,
        ),
        link_lifetimes=link_lifetimes(),
        signup_url=f"{env.base_url}/members/signup",
        grace_days=env.unsubscribe_grace_days,
        after_erasure=after_erasure(log_retention_days=env.log_retention_days),
    )


def signup_page(
    status: int, values: dict[str, Any], errors: dict[str, str], working_groups: list[WorkingGroup]
) -> Response[str]:
    """The sign-up form (with what was typed and each error, when it comes back)."""
    env = members_env()
    return page(
        status,
        "signup",
        **page_context(),
        title="Join the partnership",
        action=f"{env.base_url}/members",
        values=values,
        errors=errors,
        roles=[(r.value, label) for r, label in ROLE_LABELS.items()],
        working_groups=working_groups,
        privacy_notice_version=env.privacy_notice_version,
        privacy_url=f"{env.base_url}/members/privacy",
    )


_HELP = {
    "/members/confirm": [
        "Confirmation links work once, for 72 hours.",
        "To get a new link, fill in the sign-up form again with the same email address.",
    ],
    "/members/preferences": [
        "Preferences links work for 30 days.",
        "To get a fresh link, fill in the sign-up form with your email address: as you are "
        "already a member, we will email you a new link to your preferences.",
    ],
    "/members/unsubscribe": [
        "To stop our emails, use the link in a more recent email from us, or reply to any "
        "of our emails and the Secretary will do it for you."
    ],
}
_DATA_HELP = [
    "Links to download or delete your data work once, for 24 hours.",
    "To get a new one, open your preferences page from one of our emails, and ask there.",
    "No email to hand? Fill in the sign-up form with your email address. We will send you a link "
    "to your preferences.",
]


def _to_signup() -> tuple[str, str]:
    return f"{members_env().base_url}/members/signup", "Go to the sign-up form"


def message_page(status: int, title: str, paragraphs: list[str], to_signup: bool = False) -> Response[str]:
    """A short page of text, with a way on to the sign-up form where that is the next step."""
    return pages.message_page(members_env(), status, title, paragraphs, _to_signup() if to_signup else None)


def link_problem(path: str, expired: bool, used: bool = False) -> Response[str]:
    title = (
        "This link has already been used"
        if used
        else "This link has expired"
        if expired
        else "This link does not work"
    )
    paragraphs = next((text for prefix, text in _HELP.items() if path.endswith(prefix)), _DATA_HELP)
    return pages.link_problem(members_env(), title, paragraphs, _to_signup())
