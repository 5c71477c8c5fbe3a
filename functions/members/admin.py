"""Administrators' routes for members, working groups and the audit trail.

API Gateway's JWT authorizer guards `/admin/*`; `admin_refusal` checks the `admins` group again
before the request is even parsed (defence in depth), and puts the administrator's id in the
context for the audit trail.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members import admin_group_routes, admin_member_routes
from shared.api import HttpApi
from shared.email.mailer import EmailNotSent
from shared.members.admin import HealthConsentMissing, MemberPatch, NoEmail, NotPending, NotSubscribed
from shared.members.groups import GroupChanged, GroupExists, GroupNotFound, GroupPatch, UnknownGroups
from shared.members.repository import AlreadyRegistered, MemberNotFound, StaleMember
from shared.observability import logger, metrics, tracer
from shared.web import admin_refusal, errors_body

app = HttpApi()
app.include_router(admin_member_routes.router)
app.include_router(admin_group_routes.router)


# Fields a change may not send, and what to do instead (every other unknown field is named too).
REFUSED_FIELDS = {**MemberPatch.messages, **GroupPatch.messages}


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[Any]:
    errors: dict[str, str] = {}
    for item in error.errors():
        loc = [str(p) for p in item.get("loc", ()) if p not in ("query", "body", "path")]
        name = loc[0] if loc else "body"
        if item.get("type") == "extra_forbidden":
            message = REFUSED_FIELDS.get(name, "This is not a field you can send here")
        else:
            message = str(item.get("msg")).removeprefix("Value error, ")
        errors.setdefault(name, message)
    return errors_body(400, errors, "Some fields need correcting.")


@app.exception_handler(HealthConsentMissing)
def _health(_: HealthConsentMissing) -> Response[Any]:
    return errors_body(
        400,
        {
            "consent_health_data_in_person": "A patient or carer role needs the member's explicit "
            "agreement: set consent_health_data_in_person once they have given it"
        },
        "Health data needs explicit consent.",
    )


@app.exception_handler(UnknownGroups)
def _groups(error: UnknownGroups) -> Response[Any]:
    return errors_body(
        400,
        {"working_groups": f"Not an open working group: {', '.join(error.groups)}"},
        "Unknown working group.",
    )


@app.exception_handler(MemberNotFound)
def _no_member(_: MemberNotFound) -> Response[Any]:
    return errors_body(404, {}, "No such member (erased, or an unconfirmed sign-up that expired).")


@app.exception_handler(GroupNotFound)
def _no_group(_: GroupNotFound) -> Response[Any]:
    return errors_body(404, {}, "No such working group.")


@app.exception_handler(GroupExists)
def _group_exists(_: GroupExists) -> Response[Any]:
    return errors_body(409, {"id": "A group with this id exists; give another id"}, "Group exists.")


@app.exception_handler(AlreadyRegistered)
def _registered(_: AlreadyRegistered) -> Response[Any]:
    return errors_body(
        409,
        {"email": "This address is already registered: search for it with ?q=<address>"},
        "Already registered.",
    )


@app.exception_handler(StaleMember)
def _stale(_: StaleMember) -> Response[Any]:
    return errors_body(409, {}, "The member changed while you were editing: reload and try again.")


@app.exception_handler(GroupChanged)
def _group_changed(_: GroupChanged) -> Response[Any]:
    return errors_body(409, {}, "The group changed while you were editing: reload and try again.")


@app.exception_handler(NotPending)
def _not_pending(_: NotPending) -> Response[Any]:
    return errors_body(409, {}, "Only a member who has not confirmed yet can be sent a confirmation.")


@app.exception_handler(NoEmail)
def _no_email(_: NoEmail) -> Response[Any]:
    return errors_body(409, {}, "This member has no email address; contact them by phone or post.")


@app.exception_handler(NotSubscribed)
def _not_subscribed(_: NotSubscribed) -> Response[Any]:
    return errors_body(
        409, {}, "This member unsubscribed or their address is suppressed: nothing is sent to them."
    )


@app.exception_handler(EmailNotSent)
def _not_sent(_: EmailNotSent) -> Response[Any]:
    return errors_body(503, {}, "The email could not be sent just now; try again in a few minutes.")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refusal, admin_id = admin_refusal(event)
    if refusal is not None:
        logger.warning("admin route refused", extra={"status": refusal["statusCode"]})
        return refusal
    app.append_context(admin_id=admin_id)
    return app.resolve(event, context)
