"""The directory's admin routes: each parses, calls one domain function and answers."""

from typing import Annotated, Any, ClassVar, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import Field

from functions.directory.services import Queued, admin, publication, publish_now, reports
from shared import clock
from shared.api import actor
from shared.directory.importer import ImportUnreadable, import_rows, rows_from_csv
from shared.directory.models import Service, ServiceInput
from shared.directory.reports import Report, ReportNotFound
from shared.directory.repository import ChangeEntry, ServiceExists, ServiceNotFound, StaleService
from shared.errors import DamagedRecord, DomainError
from shared.model import Model
from shared.site.ledger import PublicationBusy
from shared.site.publisher import VersionGone
from shared.web import error_response, errors_body, json_response, refusals

router = Router()
ServiceId = Annotated[str, Path(max_length=36, pattern=r"^[0-9a-f-]{36}$")]
COMMON = {401: error_response("No token"), 403: error_response("Not an administrator")}
NOT_FOUND = {**refusals(ServiceNotFound, DamagedRecord), **COMMON}


class ServiceList(Model):
    items: list[Service]


class Changes(Model):
    items: list[ChangeEntry]


class ReportList(Model):
    items: list[Report]


class ImportBody(Model):
    """An import: a CSV spreadsheet's text (`csv`), or services as JSON (`services`)."""

    csv: str | None = Field(None, max_length=5 * 1024 * 1024)
    services: list[dict[str, Any]] | None = Field(None, max_length=5000)
    dry_run: bool = False

    messages: ClassVar[dict[str, str]] = {
        "csv": "Send the spreadsheet's text, saved as CSV",
        "services": "Send a list of services, each as POST /admin/directory/services takes it",
        "dry_run": "Send true to check the file without loading it",
    }


class ImportRow(Model):
    row: int
    name: str
    id: str | None
    result: Literal["created", "updated", "unchanged", "refused"]
    errors: dict[str, str]


class ImportResult(Model):
    ok: bool
    created: int
    updated: int
    unchanged: int
    refused: int
    rows: list[ImportRow]


class PublishPreview(Model):
    added: list[str]
    changed: list[str]
    removed: list[str]


class PublishResult(Model):
    version: int | None
    changed: list[str]
    written: int
    files: int


class PublishQueued(Model):
    queued: bool = Field(True, description="Published in the background: see GET /admin/directory/versions")
    files: int = Field(description="How many files the publication will write")


class VersionItem(Model):
    version: int
    at: str
    actor: str
    files: int
    written: int
    changed: int
    live: bool


class VersionList(Model):
    live: int | None
    versions: list[VersionItem]
    history: list[dict[str, Any]]


class ImportRefused(DomainError):
    status = 400
    message = "Nothing was imported: correct the rows named, and send the whole file again."


@router.get(
    "/admin/directory/services",
    summary="Every directory entry, by name",
    responses={200: json_response("The entries", ServiceList), **COMMON},
)
def list_services(
    category: Annotated[str | None, Query(max_length=60, pattern=r"^[a-z0-9-]+$")] = None,
) -> ServiceList:
    found = admin().services()
    return ServiceList(items=[s for s in found if category is None or category in s.categories])


@router.post(
    "/admin/directory/services",
    summary="Add a directory entry",
    status_code=201,
    responses={
        201: json_response("The entry, with its id", Service),
        400: error_response("Bad input: each field named"),
        **refusals(ServiceExists),
        **COMMON,
    },
)
def create_service(data: Annotated[ServiceInput, Body()]) -> Response[Any]:
    created = admin().create(data, actor(router), clock.utc_now())
    return Response(201, "application/json", created.model_dump_json())


@router.get(
    "/admin/directory/services/<id>",
    summary="One directory entry",
    responses={200: json_response("The entry", Service), **NOT_FOUND},
)
def get_service(id: ServiceId) -> Service:
    return admin().get(id)


@router.put(
    "/admin/directory/services/<id>",
    summary="Replace a directory entry (the whole entry: what is left out is cleared)",
    responses={
        200: json_response("The entry", Service),
        400: error_response("Bad input: each field named"),
        **refusals(StaleService),
        **NOT_FOUND,
    },
)
def replace_service(id: ServiceId, data: Annotated[ServiceInput, Body()]) -> Service:
    return admin().replace(id, data, actor(router), clock.utc_now())


@router.delete(
    "/admin/directory/services/<id>",
    summary="Delete a directory entry (the next publication removes it)",
    status_code=204,
    responses={204: {"description": "Deleted"}, **refusals(StaleService), **NOT_FOUND},
)
def delete_service(id: ServiceId) -> Response[str]:
    admin().delete(id, actor(router), clock.utc_now())
    return Response(204, "application/json", "")


@router.get(
    "/admin/directory/services/<id>/changes",
    summary="An entry's change log: each field's old and new value, who and when, newest first",
    responses={200: json_response("The changes", Changes), **COMMON, **refusals(ServiceNotFound)},
)
def service_changes(id: ServiceId) -> Changes:
    return Changes(items=admin().changes(id))


@router.post(
    "/admin/directory/services/<id>/review",
    summary="Mark an entry as checked today",
    responses={200: json_response("The entry", Service), **refusals(StaleService), **NOT_FOUND},
)
def review_service(id: ServiceId) -> Service:
    return admin().mark_reviewed(id, actor(router), clock.utc_now())


@router.post(
    "/admin/directory/import",
    summary="Import entries from a CSV spreadsheet or JSON, all or nothing, with a report of each row",
    responses={
        200: json_response("Every row was good: what each did", ImportResult),
        400: error_response("A row was bad, or the file could not be read: nothing was imported"),
        **COMMON,
    },
)
def import_services(data: Annotated[ImportBody, Body()]) -> Response[Any]:
    try:
        if data.csv is not None:
            rows = rows_from_csv(data.csv)
        elif data.services is not None:
            rows = [(row, False) for row in data.services]
        else:
            return errors_body(400, {"csv": "Send `csv` or `services`"}, "Nothing to import.")
        report = import_rows(admin(), rows, actor(router), clock.utc_now(), dry_run=data.dry_run)
    except ImportUnreadable as unreadable:
        return errors_body(400, {"body": str(unreadable)}, "Nothing was imported.")
    if not report.ok:
        errors = {
            f"rows.{row.row}.{field}": f"Row {row.row}: {message}"
            for row in report.rows
            for field, message in row.errors.items()
        }
        return errors_body(400, errors, ImportRefused.message)
    return Response(200, "application/json", ImportResult.model_validate(report.as_dict()).model_dump_json())


@router.get(
    "/admin/directory/reports",
    summary="The open 'is something wrong?' reports, newest first",
    responses={200: json_response("The reports", ReportList), **COMMON},
)
def list_reports() -> ReportList:
    return ReportList(items=reports().listing())


@router.post(
    "/admin/directory/reports/<id>/resolve",
    summary="Mark a report as dealt with (its contact is deleted)",
    responses={200: json_response("The report", Report), **refusals(ReportNotFound), **COMMON},
)
def resolve_report(id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]) -> Report:
    return reports().resolve(id, actor(router), clock.utc_now())


@router.get(
    "/admin/directory/publish",
    summary="What publishing now would change on the public site (writes nothing)",
    responses={200: json_response("The pages that would change", PublishPreview), **COMMON},
)
def preview_publish() -> PublishPreview:
    found = publication().preview(clock.utc_now())
    return PublishPreview(added=found.added, changed=found.changed, removed=found.removed)


@router.post(
    "/admin/directory/publish",
    summary="Publish the directory: a new version, written incrementally, made live at once",
    responses={
        200: json_response("The live version and what changed", PublishResult),
        202: json_response(
            "Too many files to write within a web request: the publisher does it in the background",
            PublishQueued,
        ),
        **refusals(PublicationBusy),
        **COMMON,
    },
)
def publish() -> Response[str]:
    done = publish_now(actor(router), clock.utc_now())
    if isinstance(done, Queued):
        return Response(202, "application/json", PublishQueued(files=done.files).model_dump_json())
    result = PublishResult(version=done.version, changed=done.changed, written=done.written, files=done.files)
    return Response(200, "application/json", result.model_dump_json())


@router.get(
    "/admin/directory/versions",
    summary="The published versions kept, which one is live, and what was done",
    responses={200: json_response("The versions", VersionList), **COMMON},
)
def versions() -> VersionList:
    live, state = publication().versions()
    return VersionList(
        live=live,
        versions=[VersionItem(**v._asdict(), live=v.version == live) for v in state.versions],
        history=state.history,
    )


@router.post(
    "/admin/directory/versions/<version>/rollback",
    summary="Make an earlier kept version live again",
    responses={
        200: json_response("The live version and what changed", PublishResult),
        **refusals(VersionGone, PublicationBusy),
        **COMMON,
    },
)
def rollback(version: Annotated[int, Path(ge=1, le=10**9)]) -> PublishResult:
    done = publication().rollback(version, actor(router), clock.utc_now())
    return PublishResult(version=done.version, changed=done.changed, written=done.written, files=done.files)
