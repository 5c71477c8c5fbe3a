"""The console's directory pages: the entries by category with their review status (and what needs
attention), an entry's form with every field, its change log, "mark as checked" (the button the
monthly email's links lead to), import with its per-row report, publishing with a preview of what
will change, the versions with rollback, the review list and the public reports."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from functions.directory.env import directory_env
from functions.directory.services import Queued, admin, publication, publish_now, reports
from shared import clock
from shared.api import actor
from shared.console.app import ConsoleRouter
from shared.directory.importer import ImportUnreadable, import_rows, rows_from_csv, rows_from_json
from shared.directory.models import (
    ORGANIZATION_FIELDS,
    REVIEW_INTERVALS,
    SERVICE_SCALARS,
    STATUS_LABELS,
    Review,
    Service,
    ServiceInput,
    Status,
    due_on,
    review_of,
)
from shared.directory.publication import names_of
from shared.directory.reports import PROBLEMS, ReportNotFound
from shared.directory.repository import ServiceNotFound
from shared.directory.taxonomy import CATEGORIES, NEEDS
from shared.web import html_page

router = ConsoleRouter()
SERVICE_ID = re.compile(r"^[0-9a-f-]{36}$")
BLANK_SLOTS = {"locations": 1, "contacts": 1, "schedules": 2, "closures": 1}
LISTS = {
    "locations": (
        "location_type",
        "name",
        "address",
        "town",
        "postcode",
        "accessibility",
        "transportation",
        "url",
    ),
    "contacts": ("name", "title", "phone", "email", "website"),
    "schedules": ("byday", "opens_at", "closes_at", "description", "valid_from", "valid_to"),
    "closures": ("starts_on", "ends_on", "reason"),
}
SCALARS = SERVICE_SCALARS
ORGANIZATION = ORGANIZATION_FIELDS
NOTICES = {
    "created": "The entry was added. It shows on the public site after the next publication.",
    "saved": "The changes were saved. They show on the public site after the next publication.",
    "unchanged": "Nothing was changed.",
    "reviewed": "The entry is marked as checked today.",
    "deleted": "The entry was deleted. The next publication takes it off the public site.",
    "published": "The directory was published.",
    "queued": "This publication writes many files, so it carries on in the background. It takes a "
    "few minutes: open this page again to see the new version here when it is live.",
    "nothing": "Nothing had changed, so nothing was published.",
    "rolled-back": "The public site shows the version you chose.",
    "resolved": "The report is marked as dealt with, and the contact it held was deleted.",
}


def _today() -> date:
    return clock.utc_now().astimezone(ZoneInfo(directory_env().time_zone)).date()


def _service_id(value: str) -> str:
    if not SERVICE_ID.match(value):
        raise ServiceNotFound(value)
    return value


# --- the landing page: what needs attention, and every entry by category ------------------------------


@router.get(
    "/console/directory",
    summary="The directory: what needs attention, and every entry by category with its review status",
    responses={200: html_page("The entries")},
)
def directory_home() -> Response[str]:
    today = _today()
    services = admin().services()
    rows = [(s, review_of(s, today)) for s in services]
    by_category = [(term, [(s, r) for s, r in rows if term.slug in s.categories]) for term in CATEGORIES]
    live, state = publication().versions()
    return router.page(
        "directory",
        title="Directory",
        notice=router.notice(NOTICES),
        by_category=[(term, found) for term, found in by_category if found],
        total=len(services),
        due=sum(1 for _, r in rows if r is not Review.UP_TO_DATE),
        reports=len(reports().listing()),
        live=live,
        last=state.versions[0] if state.versions else None,
        status_labels=STATUS_LABELS,
    )


# --- an entry ------------------------------------------------------------------------------------------


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def form_data(form: dict[str, list[str]]) -> dict[str, Any]:
    """The entry form's fields as the admin API's JSON; a slot left empty is left out."""

    def one(name: str) -> str | None:
        values = form.get(name)
        return values[-1] if values else None

    data: dict[str, Any] = {key: one(key) for key in SCALARS if not _blank(one(key))}
    data["organization"] = {
        k: one(f"organization.{k}") for k in ORGANIZATION if not _blank(one(f"organization.{k}"))
    }
    data["categories"] = [v for v in form.get("categories", []) if v]
    data["needs"] = [v for v in form.get("needs", []) if v]
    data["free"] = one("free") == "yes" if one("free") in ("yes", "no") else None
    for key, fields in LISTS.items():
        slots = sorted({int(m.group(1)) for name in form if (m := re.match(rf"^{key}\.(\d+)\.", name))})
        items = []
        for slot in slots:
            item = {f: one(f"{key}.{slot}.{f}") for f in fields if not _blank(one(f"{key}.{slot}.{f}"))}
            if key == "locations" and set(item) == {"location_type"}:
                continue  # only the kind of place was left as it was: an empty slot
            if item:
                items.append(item)
        data[key] = items
    if data["free"] is None:
        del data["free"]
    return data


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values (flat names, as the inputs are named) from an entry's JSON."""
    values: dict[str, Any] = {key: "" if data.get(key) is None else str(data[key]) for key in SCALARS}
    for key in ORGANIZATION:
        values[f"organization.{key}"] = str((data.get("organization") or {}).get(key) or "")
    values["categories"] = list(data.get("categories") or [])
    values["needs"] = list(data.get("needs") or [])
    values["free"] = "yes" if data.get("free") is True else ("no" if data.get("free") is False else "")
    for key, fields in LISTS.items():
        items = list(data.get(key) or [])
        values[f"{key}.count"] = len(items) + BLANK_SLOTS[key]
        for index, item in enumerate(items):
            for f in fields:
                values[f"{key}.{index}.{f}"] = "" if item.get(f) is None else str(item[f])
    return values


def _entry_page(
    status: int, service: Service | None, values: dict[str, Any], errors: dict[str, str]
) -> Response[str]:
    today = _today()
    return router.page(
        "directory_entry",
        title=service.name if service else "Add a directory entry",
        status=status,
        service=service,
        review=review_of(service, today).value if service else None,
        due=due_on(service) if service else None,
        values=values,
        errors=errors,
        notice=router.notice(NOTICES),
        categories=CATEGORIES,
        needs=NEEDS,
        statuses=[(s.value, STATUS_LABELS[s]) for s in Status],
        intervals=REVIEW_INTERVALS,
        lists=LISTS,
    )


@router.get(
    "/console/directory/services/new",
    summary="The form to add a directory entry",
    responses={200: html_page("The form")},
)
def new_entry() -> Response[str]:
    return _entry_page(200, None, form_values({"status": "active", "review_interval_months": 6}), {})


@router.post(
    "/console/directory/services",
    summary="Add a directory entry",
    responses={303: {"description": "Added"}, 400: html_page("The form, with errors")},
)
def create_entry() -> Response[str]:
    data = form_data(router.form_lists())

    def create(valid: ServiceInput) -> Response[str]:
        created = admin().create(valid, actor(router), clock.utc_now())
        return router.redirect(f"/console/directory/services/{created.id}?done=created")

    return router.submit(
        ServiceInput,
        data,
        lambda status, errors: _entry_page(status, None, form_values(data), errors),
        create,
    )


@router.get(
    "/console/directory/services/<id>",
    summary="A directory entry: its review, the form with every field, and what can be done with it",
    responses={200: html_page("The entry"), 404: html_page("No such entry")},
)
def entry_page(id: str) -> Response[str]:
    service = admin().get(_service_id(id))
    return _entry_page(200, service, form_values(service.as_input()), {})


@router.post(
    "/console/directory/services/<id>",
    summary="Save a directory entry",
    responses={303: {"description": "Saved"}, 400: html_page("The form, with errors")},
)
def save_entry(id: str) -> Response[str]:
    service_id = _service_id(id)
    before = admin().get(service_id)
    data = form_data(router.form_lists())

    def save(valid: ServiceInput) -> Response[str]:
        after = admin().replace(service_id, valid, actor(router), clock.utc_now())
        done = "unchanged" if after.version == before.version else "saved"
        return router.redirect(f"/console/directory/services/{service_id}?done={done}")

    return router.submit(
        ServiceInput,
        data,
        lambda status, errors: _entry_page(status, before, form_values(data), errors),
        save,
    )


@router.post(
    "/console/directory/services/<id>/review",
    summary="Mark a directory entry as checked today (the button the review email's links lead to)",
    responses={303: {"description": "Marked"}},
)
def review_entry(id: str) -> Response[str]:
    service_id = _service_id(id)
    admin().mark_reviewed(service_id, actor(router), clock.utc_now())
    back = router.form().get("back", "")
    if back == "review":
        return router.redirect("/console/directory/review?done=reviewed")
    return router.redirect(f"/console/directory/services/{service_id}?done=reviewed")


@router.post(
    "/console/directory/services/<id>/delete",
    summary="Delete a directory entry",
    responses={303: {"description": "Deleted"}},
)
def delete_entry(id: str) -> Response[str]:
    admin().delete(_service_id(id), actor(router), clock.utc_now())
    return router.redirect("/console/directory?done=deleted")


@router.get(
    "/console/directory/services/<id>/changes",
    summary="A directory entry's change log: each field's old and new value, who and when",
    responses={200: html_page("The change log")},
)
def entry_changes(id: str) -> Response[str]:
    service_id = _service_id(id)
    service = admin().get(service_id)
    return router.page(
        "directory_changes",
        title=f"Changes to {service.name}",
        service=service,
        changes=admin().changes(service_id),
    )


# --- import ----------------------------------------------------------------------------------------------


@router.get(
    "/console/directory/import",
    summary="Import entries from a spreadsheet (CSV) or JSON",
    responses={200: html_page("The import form")},
)
def import_form() -> Response[str]:
    return router.page(
        "directory_import", title="Import directory entries", report=None, errors={}, done=False
    )


@router.post(
    "/console/directory/import",
    summary="Check or load an import: every row is checked first, and nothing is loaded if one is bad",
    responses={200: html_page("The per-row report"), 400: html_page("The per-row report, with the bad rows")},
)
def run_import() -> Response[str]:
    form = router.form()
    text = form.get("file") or form.get("text") or ""
    load = form.get("action") == "load"
    try:
        stripped = text.lstrip("\ufeff \n\r\t")
        rows = rows_from_json(text) if stripped[:1] in ("[", "{") else rows_from_csv(text)
        report = import_rows(admin(), rows, actor(router), clock.utc_now(), dry_run=not load)
    except ImportUnreadable as unreadable:
        return router.page(
            "directory_import",
            title="Import directory entries",
            status=400,
            report=None,
            errors={"file": str(unreadable)},
            done=False,
        )
    return router.page(
        "directory_import",
        title="Import directory entries",
        status=200 if report.ok else 400,
        report=report,
        errors={},
        done=load and report.ok,
        text=text if report.ok and not load else "",
    )


# --- publishing --------------------------------------------------------------------------------------------


@router.get(
    "/console/directory/publish",
    summary="What publishing now would change on the public site, and the button to publish",
    responses={200: html_page("The preview")},
)
def publish_page() -> Response[str]:
    preview = publication().preview(clock.utc_now())
    names = {str(s.id): s.name for s in admin().services()}
    return router.page(
        "directory_publish",
        title="Publish the directory",
        added=names_of(preview.added, names),
        changed=names_of(preview.changed, names),
        removed=names_of(preview.removed, names),
        site_url=f"{directory_env().base_url}/site/directory/",
    )


@router.post(
    "/console/directory/publish",
    summary="Publish the directory",
    responses={303: {"description": "Published"}},
)
def publish() -> Response[str]:
    done = publish_now(actor(router), clock.utc_now())
    if isinstance(done, Queued):
        return router.redirect("/console/directory/versions?done=queued")
    return router.redirect(f"/console/directory/versions?done={'published' if done.changed else 'nothing'}")


@router.get(
    "/console/directory/versions",
    summary="The published versions kept, which is live, and rollback",
    responses={200: html_page("The versions")},
)
def versions_page() -> Response[str]:
    live, state = publication().versions()
    return router.page(
        "directory_versions",
        title="Published versions",
        live=live,
        versions=state.versions,
        history=state.history,
        notice=router.notice(NOTICES),
        site_url=f"{directory_env().base_url}/site/directory/",
    )


@router.post(
    "/console/directory/versions/<version>/rollback",
    summary="Make an earlier version live again",
    responses={303: {"description": "Rolled back"}},
)
def rollback(version: str) -> Response[str]:
    if not version.isdigit() or len(version) > 9:
        raise ServiceNotFound(version)
    publication().rollback(int(version), actor(router), clock.utc_now())
    return router.redirect("/console/directory/versions?done=rolled-back")


# --- review and reports ----------------------------------------------------------------------------------


@router.get(
    "/console/directory/review",
    summary="The entries due to be checked, oldest first",
    responses={200: html_page("The review list")},
)
def review_list() -> Response[str]:
    from shared.directory.review import overdue

    today = _today()
    due = [(s, review_of(s, today), due_on(s)) for s in overdue(admin().services(), today)]
    return router.page("directory_review", title="Entries to check", due=due, notice=router.notice(NOTICES))


@router.get(
    "/console/directory/reports",
    summary="The open 'is something wrong?' reports",
    responses={200: html_page("The reports")},
)
def reports_page() -> Response[str]:
    return router.page(
        "directory_reports",
        title="Reports from the public",
        reports=reports().listing(),
        problems=PROBLEMS,
        notice=router.notice(NOTICES),
    )


@router.post(
    "/console/directory/reports/<id>/resolve",
    summary="Mark a report as dealt with (its contact is deleted)",
    responses={303: {"description": "Dealt with"}},
)
def resolve_report(id: str) -> Response[str]:
    if not re.fullmatch(r"[0-9a-f]{32}", id):
        raise ReportNotFound(id)
    reports().resolve(id, actor(router), clock.utc_now())
    return router.redirect("/console/directory/reports?done=resolved")
