"""The directory's public routes: "is something wrong with this entry?" (a short form, linked from
every published entry) and the "my list" sheet (the entries a nurse ticked for one patient, dated and
ready to print; nothing about the patient is asked for or stored).

A browser gets pages; a JSON client gets JSON. The report's POST is a public form, so the edge's rate
rule covers it (`infra.declaration.public_form_paths`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.directory.env import directory_env
from functions.directory.services import reports, repository
from shared import clock
from shared.api import HttpApi, wants_html
from shared.directory.models import Service, Status
from shared.directory.render import entry, long_date
from shared.directory.reports import PROBLEMS, ReportForm
from shared.directory.repository import ServiceNotFound
from shared.errors import BadLink
from shared.model import Model
from shared.observability import logger, metrics
from shared.web import error_response, html_page, json_body, page, refusals
from shared.web.pages import message_page as shared_message_page
from shared.web.pages import page_context

MAX_LIST = 60


class ReportAccepted(Model):
    reference: str


def _message(status: int, title: str, paragraphs: list[str]) -> Response[str]:
    env = directory_env()
    return shared_message_page(
        env, status, title, paragraphs, (f"{env.base_url}/site/directory/", "Go to the directory")
    )


def _not_found(error: BadLink) -> Response[str]:
    return _message(
        404,
        "We cannot find that entry",
        ["The link may be old, or the entry may have been taken out of the directory."],
    )


app = HttpApi(problem_page=_message, error_pages={ServiceNotFound: _not_found})


def _service_or_404(value: str | None) -> Service:
    try:
        return repository().get(str(UUID(value or "")))
    except ValueError:
        raise ServiceNotFound(value or "") from None


def _report_page(
    status: int, service: Service | None, values: dict[str, Any], errors: dict[str, str]
) -> Response[str]:
    env = directory_env()
    return page(
        status,
        "directory_report",
        **page_context(env),
        title="Tell us what is wrong with this entry",
        service=service,
        problems=PROBLEMS,
        values=values,
        errors=errors,
        action=f"{env.base_url}/directory/reports",
        entry_url=f"{env.base_url}/site/directory/services/{service.id}.html" if service else None,
    )


@app.form_page(ReportForm)
def _report_again(errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    if "service" in errors:
        raise ServiceNotFound(str(values.get("service", "")))
    return _report_page(400, _service_or_404(str(values.get("service", ""))), values, errors)


@app.get(
    "/directory/report",
    summary="The 'is something wrong with this entry?' form",
    responses={200: html_page("The form"), 404: html_page("No such entry")},
)
def report_form(service: Annotated[str, Query(max_length=36)] = "") -> Response[str]:
    return _report_page(200, _service_or_404(service), {"service": service}, {})


@app.post(
    "/directory/reports",
    summary="Report that a directory entry is wrong",
    status_code=202,
    responses={
        202: {
            "description": "Received (a filled honeypot gets the same answer, and nothing is stored)",
            "content": {
                "application/json": {"model": ReportAccepted},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        400: error_response("Bad input, naming each bad field (the form again, for a browser)"),
        **refusals(ServiceNotFound),
    },
)
def report(form: Annotated[ReportForm, Body()]) -> Response[Any]:
    reference = reports().submit(form, clock.utc_now())
    if wants_html(app.current_event.raw_event):
        env = directory_env()
        return page(
            202,
            "directory_report_sent",
            **page_context(env),
            title="Thank you",
            directory_url=f"{env.base_url}/site/directory/",
        )
    return json_body(202, ReportAccepted(reference=reference))


@app.get(
    "/directory/my-list",
    summary="A dated, printable sheet of the entries ticked on the 'my list' form (nothing is stored)",
    responses={200: html_page("The sheet"), 400: html_page("Nothing was ticked")},
)
def my_list() -> Response[str]:
    raw = str(app.current_event.raw_event.get("rawQueryString") or "")
    chosen: list[str] = []
    for value in parse_qs(raw).get("service", []):
        for part in value.split(","):
            try:
                chosen.append(str(UUID(part.strip())))
            except ValueError:
                continue
    chosen = list(dict.fromkeys(chosen))[:MAX_LIST]
    env = directory_env()
    if not chosen:
        return _message(
            400,
            "Tick at least one service",
            ["Go back to the list, tick the services that suit the person, and press the button again."],
        )
    from zoneinfo import ZoneInfo

    today = clock.utc_now().astimezone(ZoneInfo(env.time_zone)).date()
    found = {str(s.id): s for s in repository().get_many(chosen)}
    entries = [entry(found[i], today) for i in chosen if i in found and found[i].status is not Status.DEFUNCT]
    logger.info("my list sheet made", extra={"entries": len(entries)})
    return page(
        200,
        "directory_sheet",
        **page_context(env),
        title="Services for you",
        entries=entries,
        today=long_date(today),
        long_date=long_date,
        site_url=f"{env.base_url}/site/directory/",
        list_url=f"{env.base_url}/site/directory/my-list.html",
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
