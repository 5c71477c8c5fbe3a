"""The console's feedback pages: the triage queue (urgent first, then the oldest), each item with its
history, status, working group, internal notes, public response and the suggested redactions beside
the original, feedback entered on someone's behalf (marked as such), and the "you said, we did"
preview. The same domain service as the JSON admin API, so the coordinators need nothing else."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.feedback.env import feedback_env
from functions.feedback.services import service
from shared import clock
from shared.api import actor, made_once
from shared.console.app import ConsoleRouter
from shared.feedback.models import (
    FFT_QUESTION,
    KINDS,
    ON_BEHALF,
    RATINGS,
    REFERENCE,
    ROLES,
    STATUSES,
    FeedbackPatch,
    OnBehalfForm,
)
from shared.feedback.publication import MINIMUM, published
from shared.feedback.redaction import LABELS, suggest
from shared.feedback.service import FeedbackNotFound, Filters, figures
from shared.web import html_page

router = ConsoleRouter()
NOTICES = {
    "saved": "The change was saved.",
    "unchanged": "Nothing was changed.",
    "entered": "The feedback was entered, marked as given on someone's behalf.",
}
PATCH_FIELDS = ("status", "working_group", "internal_note", "public_response", "anonymised_text")


def _reference(value: str) -> str:
    if not REFERENCE.match(value):
        raise FeedbackNotFound(value[:24])
    return value


@router.get(
    "/console/feedback",
    summary="The triage queue: open feedback, urgent first, then the oldest (filters: status, category, "
    "urgency, dates)",
    responses={200: html_page("The queue")},
)
def queue() -> Response[str]:
    status = router.query("status") or None
    status = status if status in STATUSES or status == "open" else None
    category = router.query("category") or None
    urgent = {"yes": True, "no": False}.get(router.query("urgent") or "")
    items = service().listing(
        Filters(
            None if status == "open" else status, category, urgent, router.query("from"), router.query("to")
        )
    )
    if status in (None, "open"):
        items = [i for i in items if i.status != "closed"]
    return router.page(
        "feedback/queue",
        title="Feedback",
        items=items,
        statuses=STATUSES,
        kinds=KINDS,
        categories=feedback_env().feedback.categories,
        chosen={
            "status": status or "open",
            "category": category or "",
            "urgent": router.query("urgent") or "",
        },
        notice=router.notice(NOTICES),
    )


def _new_page(status: int, values: dict[str, Any], errors: dict[str, str]) -> Response[str]:
    settings = feedback_env().feedback
    return router.page(
        "feedback/new",
        title="Enter feedback for someone",
        status=status,
        values=values,
        errors=errors,
        kinds=KINDS,
        abouts=settings.about,
        category_options=[(name, name) for name in settings.categories],
        roles=ROLES,
        ratings=RATINGS,
        fft_question=FFT_QUESTION,
        how=ON_BEHALF,
    )


@router.get(
    "/console/feedback/new",
    summary="Enter feedback on someone's behalf (the drop-by desk, a phone call, a paper journal)",
    responses={200: html_page("The form")},
)
def new_form() -> Response[str]:
    return _new_page(200, {}, {})


@router.post(
    "/console/feedback/new",
    summary="Enter feedback on someone's behalf: stored marked as such, and routed like any other",
    responses={303: {"description": "Entered"}, 400: html_page("Errors")},
)
def new_entry() -> Response[str]:
    values = router.form()

    def act(form: OnBehalfForm) -> Response[str]:
        done = service().submit(
            form, clock.utc_now(), once=made_once(router), on_behalf=(form.how, actor(router))
        )
        return router.redirect(f"/console/feedback/{done.reference}?done=entered")

    return router.submit(OnBehalfForm, values, lambda status, errors: _new_page(status, values, errors), act)


@router.get(
    "/console/feedback/you-said-we-did",
    summary="'You said, we did' as it will be published: the items and the headline figures",
    responses={200: html_page("The preview")},
)
def preview() -> Response[str]:
    items = service().all_items()
    return router.page(
        "feedback/preview",
        title="You said, we did: preview",
        entries=published(items),
        figures=figures(items, MINIMUM),
        minimum=MINIMUM,
        ratings=RATINGS,
        site_url=f"{feedback_env().base_url}/site/you-said-we-did/",
    )


def _item_page(reference: str, status: int = 200, errors: dict[str, str] | None = None) -> Response[str]:
    item = service().get(reference)
    suggested, findings = suggest(item.text)
    return router.page(
        "feedback/item",
        title=f"Feedback {reference}",
        status=status,
        item=item,
        history=list(reversed(service().history(reference))),
        suggested=suggested,
        findings=findings,
        labels=LABELS,
        statuses=STATUSES,
        kinds=KINDS,
        roles=ROLES,
        ratings=RATINGS,
        errors=errors or {},
        notice=router.notice(NOTICES),
    )


@router.get(
    "/console/feedback/<reference>",
    summary="One item: what was said beside the suggested redactions, its history, and forms to change it",
    responses={200: html_page("The item"), 404: html_page("No such item")},
)
def item_page(reference: str) -> Response[str]:
    return _item_page(_reference(reference))


@router.post(
    "/console/feedback/<reference>",
    summary="Change an item from its page: status, working group, a note, the public response, the "
    "anonymised text",
    responses={303: {"description": "Saved"}, 400: html_page("Errors"), 404: html_page("No such item")},
)
def change(reference: str) -> Response[str]:
    reference = _reference(reference)
    form = router.form()
    data = {name: form[name] for name in PATCH_FIELDS if name in form}
    if "working_group" in data or "anonymised_text" in data:
        data = {k: val for k, val in data.items() if val.strip() or k in FeedbackPatch.clearable}
    else:
        data = {k: val for k, val in data.items() if val.strip()}

    def act(patch: FeedbackPatch) -> Response[str]:
        if not patch.given():
            return router.redirect(f"/console/feedback/{reference}?done=unchanged")
        service().update(reference, patch, actor(router), clock.utc_now())
        return router.redirect(f"/console/feedback/{reference}?done=saved")

    return router.submit(
        FeedbackPatch, data, lambda status, errors: _item_page(reference, status, errors), act
    )
