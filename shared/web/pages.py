"""The public pages every capability shows besides its own: the layout's context, a short message,
and a link that does not work (with how to get a new one). Each capability gives its own words
(how to get a new link is the capability's to say); the layout and its help line are the same."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from shared.settings import DeploymentSettings
from shared.web import page


def page_context(settings: DeploymentSettings) -> dict[str, Any]:
    """What every page's layout shows: the group's name, and how to get help (phone and email)."""
    return {"group_name": settings.group_name, "base_url": settings.base_url, "contact": settings.contact}


def message_page(
    settings: DeploymentSettings,
    status: int,
    title: str,
    paragraphs: list[str],
    link: tuple[str, str] | None = None,
) -> Response[str]:
    """A short page of text, with one way on (url, words) where there is a next step."""
    return page(
        status,
        "message",
        **page_context(settings),
        title=title,
        paragraphs=paragraphs,
        link_url=link[0] if link else None,
        link_text=link[1] if link else None,
    )


def link_problem(
    settings: DeploymentSettings,
    title: str,
    how_to_get_a_new_one: list[str],
    link: tuple[str, str] | None = None,
) -> Response[str]:
    """A link from an email that cannot be used (forged, mistyped, expired, used, or its record
    gone): a 400 page that says which, and how to get a new link."""
    return message_page(settings, 400, title, how_to_get_a_new_one, link)
