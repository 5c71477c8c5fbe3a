"""Public member routes: what a person does from the sign-up form and from links in our emails.

Thin on purpose: parse, call one domain function, answer. The rules live in `shared.members`.
A browser (Accept: text/html) gets a page; a JSON client gets JSON.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.members import selfservice_routes, signup_routes
from functions.members.pages import link_problem, message_page, signup_page
from functions.members.services import membership
from shared import tokens
from shared.api import HttpApi
from shared.email.mailer import EmailNotSent
from shared.errors import BadLink
from shared.members.addresses import NewAddressForm
from shared.members.models import PreferencesForm, SignupForm
from shared.members.repository import StaleMember
from shared.members.service import LinkNoLongerValid, LinkUsed, NotActive
from shared.observability import logger, metrics


def _link_page(error: BadLink) -> Response[str]:
    """A link's problem, in a browser: what happened, and how to get a new link."""
    logger.info("link refused", extra={"reason": type(error).__name__})
    expired = isinstance(error, (tokens.TokenExpired, LinkNoLongerValid))
    return link_problem(app.current_event.path, expired=expired, used=isinstance(error, LinkUsed))


def _not_active_page(error: NotActive) -> Response[str]:
    logger.info("preferences not saved: member not active", extra={"status": error.member_status.value})
    return message_page(
        409,
        "Nothing was changed",
        [error.detail, "To join again, fill in the sign-up form. We will email you to confirm."],
        to_signup=True,
    )


app = HttpApi(
    problem_page=message_page,
    messages={
        StaleMember: "Your details changed while you were saving. Please open the page again and retry.",
        EmailNotSent: "We could not send the email just now. Please try again in a few minutes.",
        BadLink: "This link does not work, or is too old. To get a new one, fill in the sign-up form "
        "again (/members/signup) or ask us: nothing was changed.",
    },
    error_pages={BadLink: _link_page, NotActive: _not_active_page},
)
app.include_router(signup_routes.router)
app.include_router(selfservice_routes.router)

NOTICE_CHANGED = (
    "Our privacy notice has changed since you opened this form. Please read it (the link is below) "
    "and tick the boxes again if you agree"
)


@app.form_page(SignupForm)
def _signup_again(errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    if "privacy_notice_version" in errors:
        # Agreement to a notice they have not seen is no agreement: the boxes come back unticked,
        # and the message sits on the first of them (the version itself is a hidden field).
        errors = {"consent_contact": NOTICE_CHANGED, **errors}
        del errors["privacy_notice_version"]
        for ticked in ("consent_contact", "consent_health_data", "privacy_notice_version"):
            values.pop(ticked, None)
    return signup_page(400, values, errors, membership().open_groups())


@app.form_page(PreferencesForm)
def _preferences_again(errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    # the page again needs the member: a bad link is a link problem (its page), not a crash
    token = (app.current_event.query_string_parameters or {}).get("token", "")
    return selfservice_routes.preferences_refused(token, errors, values)


@app.form_page(NewAddressForm)
def _new_address_again(errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    token = (app.current_event.query_string_parameters or {}).get("token", "")
    return selfservice_routes.preferences_refused(token, errors, values)


@app.form_page(signup_routes.ConfirmForm)
def _confirm_again(errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    return _link_page(BadLink())  # its one field is the link's token, posted back by the page's button


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    signup_routes.IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
