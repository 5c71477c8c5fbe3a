"""Public member routes: what a person does from the sign-up form and from links in our emails.

Thin on purpose: parse, call one domain function, answer. The rules live in `shared.members`.
A browser (Accept: text/html) gets a page; a JSON client gets JSON.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members import selfservice_routes, signup_routes
from functions.members.pages import link_problem, message_page, signup_page
from functions.members.services import membership
from shared import tokens
from shared.api import HttpApi
from shared.email.mailer import EmailNotSent
from shared.forms import FormModel, field_errors
from shared.groups import UnknownGroups
from shared.members.models import PreferencesForm, SignupForm
from shared.members.repository import StaleMember
from shared.members.service import LinkNoLongerValid, LinkUsed, NotActive, StaleNotice
from shared.observability import logger, metrics
from shared.web import errors_body, wants_html

app = HttpApi(
    problem_page=message_page,
    messages={
        StaleMember: "Your details changed while you were saving. Please open the page again and retry.",
        EmailNotSent: "We could not send the email just now. Please try again in a few minutes.",
    },
)
app.include_router(signup_routes.router)
app.include_router(selfservice_routes.router)


def _bad_token(error: tokens.TokenError) -> Response[str]:
    logger.info("link refused", extra={"reason": type(error).__name__})
    return link_problem(app.current_event.path, expired=isinstance(error, tokens.TokenExpired))


def _gone(error: LinkNoLongerValid) -> Response[str]:
    used = isinstance(error, LinkUsed)
    logger.info(
        "link refused", extra={"reason": "used" if used else "member gone or no longer in that state"}
    )
    return link_problem(app.current_event.path, expired=True, used=used)


app.exception_handler(tokens.TokenError)(_bad_token)
app.exception_handler(LinkNoLongerValid)(_gone)


@app.exception_handler(NotActive)
def _not_active(error: NotActive) -> Response[Any]:
    """Preferences sent from a page left open after unsubscribing (or a bounce): nothing changes."""
    logger.info("preferences not saved: member not active", extra={"status": error.status.value})
    message = "You are not receiving emails from us at the moment, so your preferences were not changed."
    if wants_html(app.current_event.headers):
        return message_page(
            409,
            "Nothing was changed",
            [message, "To join again, fill in the sign-up form. We will email you to confirm."],
            to_signup=True,
        )
    return errors_body(409, {}, message)


@app.exception_handler(UnknownGroups)
def _unknown_groups(_: UnknownGroups) -> Response[Any]:
    return _invalid_fields({"working_groups": "Choose working groups from the list"})


@app.exception_handler(StaleNotice)
def _stale_notice(error: StaleNotice) -> Response[Any]:
    return _invalid_fields(dict(error.field_messages))


@app.exception_handler(RequestValidationError)
def _invalid(error: RequestValidationError) -> Response[Any]:
    event = app.current_event
    if event.path.endswith(
        ("/confirm", "/preferences", "/unsubscribe", "/export", "/erase", "/data-requests")
    ) and (any(str(item.get("loc", ("",))[0]) == "query" for item in error.errors())):
        return link_problem(event.path, expired=False)
    if event.path.endswith("/members/confirm"):  # its one field is the link's token, posted back
        return link_problem(event.path, expired=False)
    form = next((m for path, m in FORMS.items() if event.path.endswith(path)), SignupForm)
    return _invalid_fields(field_errors(form, list(error.errors())))


# each public form, by the end of its path: what its fields are called, and its messages
FORMS: dict[str, type[FormModel]] = {
    "/preferences": PreferencesForm,
    "/data-requests": selfservice_routes.DataRequest,
    "/export": selfservice_routes.ExportForm,
}
NOTICE_CHANGED = (
    "Our privacy notice has changed since you opened this form. Please read it (the link is below) "
    "and tick the boxes again if you agree"
)


def _typed() -> dict[str, Any]:
    """What the browser sent, to fill the form in again."""
    return {
        k: (v if k == "working_groups" else v[-1])
        for k, v in parse_qs(app.current_event.decoded_body or "").items()
        if k != "website"
    }


def _invalid_fields(errors: dict[str, str]) -> Response[Any]:
    """Bad input on any public form: a browser gets the form again with the messages beside its
    fields (or, for a one-button form, a page that says what to do), a JSON client the fields."""
    logger.info("request refused", extra={"bad_fields": sorted(errors)})
    event = app.current_event
    if not wants_html(event.headers):
        return errors_body(400, errors, "Some fields need correcting.")
    if event.path.endswith("/members"):
        values = _typed()
        if "privacy_notice_version" in errors:
            # Agreement to a notice they have not seen is no agreement: the boxes come back unticked,
            # and the message sits on the first of them (the version itself is a hidden field).
            errors = {"consent_contact": NOTICE_CHANGED, **errors}
            del errors["privacy_notice_version"]
            for ticked in ("consent_contact", "consent_health_data", "privacy_notice_version"):
                values.pop(ticked, None)
        return signup_page(400, values, errors, membership().open_groups())
    if event.path.endswith("/preferences"):
        token = (event.query_string_parameters or {}).get("token", "")
        try:  # the page again needs the member: a bad link is a link problem, not a crash
            return selfservice_routes.preferences_refused(token, errors, _typed())
        except tokens.TokenError as error:
            return _bad_token(error)
        except LinkNoLongerValid as error:
            return _gone(error)
    return message_page(
        400,
        "Something was wrong with the form",
        [*dict.fromkeys(errors.values()), "Go back to the page, and use its buttons to try again."],
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    signup_routes.IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
