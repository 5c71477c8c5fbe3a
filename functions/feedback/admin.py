"""Administrators' feedback API (`/admin/feedback...`): the list with its filters, one item with its
history, and its changes. API Gateway's JWT authorizer guards `/admin/*`; `HttpApi(group=ADMIN_GROUP)`
checks the group again before the request is parsed. The list carries no contact details unless
`include_contact=true` is asked for, and asking is audited."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.feedback.services import service
from shared import clock
from shared.api import HttpApi, actor
from shared.feedback.models import REFERENCE_PATTERN, FeedbackPatch, HistoryEntry, Item, Status
from shared.feedback.redaction import suggest
from shared.feedback.service import FeedbackNotFound, Filters, NothingToChange
from shared.model import Model
from shared.observability import logger, metrics
from shared.web import ADMIN_GROUP, error_response, json_body, json_response, refusals

app = HttpApi(group=ADMIN_GROUP)
Reference = Annotated[str, Path(max_length=24, pattern=REFERENCE_PATTERN)]
Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]
COMMON = {401: error_response("No token"), 403: error_response("Not an administrator")}


class ListedItem(Item):
    contact_email: str | None = None


class FeedbackList(Model):
    items: list[ListedItem]


class ItemDetail(Model):
    item: Item
    history: list[HistoryEntry]
    suggested_anonymised_text: str


@app.get(
    "/admin/feedback",
    summary="Feedback, urgent first then the oldest, filtered by status, category, urgency and date",
    responses={200: json_response("The items", FeedbackList), **COMMON},
)
def list_feedback(
    status: Annotated[Status | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=80)] = None,
    urgent: Annotated[bool | None, Query()] = None,
    received_from: Day = None,
    received_to: Day = None,
    include_contact: Annotated[bool, Query()] = False,
) -> Response[Any]:
    rows = service().export(
        Filters(status, category, urgent, received_from, received_to),
        with_contacts=include_contact,
        actor=actor(app),
        now=clock.utc_now(),
    )
    return json_body(200, FeedbackList(items=[ListedItem.model_validate(r) for r in rows]))


@app.get(
    "/admin/feedback/<reference>",
    summary="One item, its history and internal notes, and the suggested anonymised text",
    responses={200: json_response("The item", ItemDetail), **refusals(FeedbackNotFound), **COMMON},
)
def get_feedback(reference: Reference) -> Response[Any]:
    item = service().get(reference)
    suggested, _ = suggest(item.text)
    return json_body(
        200, ItemDetail(item=item, history=service().history(reference), suggested_anonymised_text=suggested)
    )


@app.patch(
    "/admin/feedback/<reference>",
    summary="Change an item: status, working group, an internal note, the public response, the "
    "anonymised text",
    responses={
        200: json_response("The item as it is now", Item),
        400: error_response("Bad input, naming each bad field"),
        **refusals(FeedbackNotFound, NothingToChange),
        **COMMON,
    },
)
def patch_feedback(reference: Reference, change: Annotated[FeedbackPatch, Body()]) -> Response[Any]:
    return json_body(200, service().update(reference, change, actor(app), clock.utc_now()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
