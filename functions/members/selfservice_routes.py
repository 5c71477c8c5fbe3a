"""What a member does from the links in our emails: preferences, one-click unsubscribe (RFC 8058),
a copy of their data, and erasure."""

import contextlib
from typing import Annotated, Any, ClassVar, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from functions.members.env import members_env
from functions.members.pages import message_page, page_context
from functions.members.services import address_changes, membership, self_service
from functions.members.signup_routes import ConfirmForm
from shared import clock
from shared.forms import FormModel
from shared.groups import WorkingGroup
from shared.members import links as purposes
from shared.members.addresses import AddressTaken, ChangeLink, NewAddressForm
from shared.members.models import HEALTH_DATA_ROLES, ROLE_LABELS, Member, MemberStatus, PreferencesForm
from shared.members.service import LinkNoLongerValid
from shared.observability import logger
from shared.privacy.retention import after_erasure
from shared.web import HTML_PAGE, PAGE_HEADERS, html_page, json_body, page, wants_html

router = Router()
Token = Annotated[str, Query(max_length=512, description="The signed token from the email link")]
LINK_PROBLEM = html_page("Expired or forged link, with how to get a new one")


class DataRequest(FormModel):
    kind: Literal["export", "erase"]

    messages: ClassVar[dict[str, str]] = {
        "kind": "Use one of the buttons on your preferences page: a copy of your data, or deleting it"
    }


def _url(path: str, token: str) -> str:
    return f"{members_env().base_url}{path}?token={token}"


Done = Literal["saved", "withdrawn", "removed"]
DONE_BANNERS: dict[str, str] = {
    "saved": "Your preferences are saved",
    # true to the letter: the role goes, and the record of the agreement and its withdrawal stays
    # (as evidence) until the details are deleted or the profile removed; the notice says so
    "withdrawn": "We no longer list you as a patient or carer",
    "removed": "We have removed your name, contact details and how you describe yourself",
}


def preferences_page(
    status: int,
    member: Member,
    groups: list[WorkingGroup],
    token: str,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response[str]:
    now = clock.utc_now()
    links = membership().links
    return page(
        status,
        "preferences",
        **page_context(),
        title="Your preferences",
        member=member,
        active=member.status is MemberStatus.ACTIVE,
        removable=member.status is MemberStatus.UNSUBSCRIBED and member.profile_removed_at is None,
        health_held=member.holds_health_data,
        groups=groups,
        roles=[(r.value, label) for r, label in ROLE_LABELS.items()],
        health_roles=sorted(r.value for r in HEALTH_DATA_ROLES),
        action=_url("/members/preferences", token),
        data_action=_url("/members/data-requests", token),
        email_action=_url("/members/preferences/email", token),
        # what other capabilities offer them with the same link (their meetings in their calendar)
        more=[(label, _url(path, token)) for label, path in members_env().member_pages],
        unsubscribe_url=links.unsubscribe(member, now),
        signup_url=links.signup(),
        banner=DONE_BANNERS.get(done or ""),
        errors=errors or {},
        values=values or {},
    )


def preferences_refused(token: str, errors: dict[str, str], values: dict[str, Any]) -> Response[str]:
    """The preferences page again, with what was typed and what to correct (for a browser)."""
    member, groups = self_service().preferences(token, clock.utc_now())
    return preferences_page(400, member, groups, token, errors=errors, values=values)


def _see_other(token: str, done: Done) -> Response[str]:
    """Post/redirect/get: the browser shows the page from a GET, so a refresh cannot send it again."""
    return Response(
        status_code=303,
        content_type="text/html; charset=utf-8",
        body="",
        headers={**PAGE_HEADERS, "Location": f"{_url('/members/preferences', token)}&done={done}"},
    )


@router.get(
    "/members/preferences", summary="See your preferences", responses={200: HTML_PAGE, 400: LINK_PROBLEM}
)
def show_preferences(
    token: Token = "",
    # any other value (a link cut short, edited) shows the page without a banner: never "link broken"
    done: Annotated[
        str | None,
        Query(max_length=20, description="What was just done (saved, withdrawn, removed), for the banner"),
    ] = None,
) -> Response[str]:
    member, groups = self_service().preferences(token, clock.utc_now())
    return preferences_page(200, member, groups, token, done=done)


@router.post(
    "/members/preferences",
    summary="Change your preferences and details, withdraw health-data consent, or remove your details",
    responses={
        303: {"description": "Done: see the preferences page (its banner says what was done)"},
        400: LINK_PROBLEM,
        409: html_page("Not receiving emails (unsubscribed or suppressed): nothing changed"),
    },
)
def save_preferences(form: Annotated[PreferencesForm, Body()], token: Token = "") -> Response[str]:
    from shared.members.selfservice import HealthConsentNeeded

    service, now = self_service(), clock.utc_now()
    if form.action == "withdraw_health_consent":
        service.withdraw_health_consent(token, now)
        return _see_other(token, "withdrawn")
    if form.action == "remove_profile":
        service.remove_profile(token, now)
        return _see_other(token, "removed")
    try:
        service.save_preferences(token, form, now)
    except HealthConsentNeeded as refused:
        if not wants_html(router.current_event.headers):
            raise
        return preferences_refused(token, dict(refused.field_messages), form.model_dump(mode="json"))
    return _see_other(token, "saved")


@router.get(
    "/members/unsubscribe",
    summary="A page with an unsubscribe button (link scanners do not unsubscribe)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM},
)
def unsubscribe_page(token: Token = "") -> Response[str]:
    service, now = self_service(), clock.utc_now()
    done = service.already_unsubscribed(token, now)
    return page(
        200,
        "unsubscribe",
        **page_context(),
        title="Stop emails",
        done=done,
        action=_url("/members/unsubscribe", token),
        signup_url=membership().links.signup(),
        removal_action=service.removal_url(token, now) if done else None,
        grace_days=members_env().unsubscribe_grace_days,
    )


@router.post(
    "/members/unsubscribe",
    summary="Unsubscribe at once (RFC 8058 one-click: List-Unsubscribe=One-Click)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM},
)
def unsubscribe(token: Token = "") -> Response[str]:
    service, now = self_service(), clock.utc_now()
    service.unsubscribe(token, now)
    return page(
        200,
        "unsubscribe",
        **page_context(),
        title="You have unsubscribed",
        done=True,
        action=None,
        signup_url=membership().links.signup(),
        removal_action=service.removal_url(token, now),
        grace_days=members_env().unsubscribe_grace_days,
    )


@router.post(
    "/members/data-requests",
    summary="Ask for a copy of your data, or for erasure, by email",
    status_code=202,
    responses={202: HTML_PAGE, 400: LINK_PROBLEM},
)
def data_request(form: Annotated[DataRequest, Body()], token: Token = "") -> Response[str]:
    self_service().request_link(token, form.kind, clock.utc_now())
    what = (
        "download a copy of your data"
        if form.kind == "export"
        else "confirm that we should delete your details"
    )
    return message_page(
        202,
        "Check your email",
        [
            f"We have emailed you a link to {what}. It works for 24 hours.",
            "If nothing arrives within a few minutes, check your junk or spam folder.",
        ],
    )


class ExportForm(FormModel):
    action: Literal["show", "download"] = "download"

    messages: ClassVar[dict[str, str]] = {"action": "Use the buttons on the page"}


@router.get(
    "/members/export",
    summary="The page the email's link opens: a button to see your data (nothing is shown or used up yet)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM},
)
def export_ready(token: Token = "") -> Response[str]:
    # a page with a button, never the data or a download: a link scanner that follows the link
    # gets nothing, and the one-use link stays usable for its owner
    self_service().check_export_link(token, clock.utc_now())
    return page(
        200,
        "export_ready",
        **page_context(),
        title="See a copy of your data",
        action=_url("/members/export", token),
    )


@router.post(
    "/members/export",
    summary="See everything held about you in plain words (action=show, which uses the link up), "
    "or download it as JSON (action=download, once)",
    responses={
        200: {
            "description": "The page of everything held about you, or (action=download) the same as JSON",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            },
        },
        400: LINK_PROBLEM,
    },
)
def export(form: Annotated[ExportForm, Body()], token: Token = "") -> Response[Any]:
    from shared.members.readable import portable, readable

    service, now, zone = self_service(), clock.utc_now(), members_env().time_zone
    if form.action == "show":
        data = service.show_export(token, now)
        return page(
            200,
            "export",
            **page_context(),
            title="The information we hold about you",
            sections=readable(data, zone),
            exported_at=data.exported_at,
            action=_url("/members/export", token),
        )
    response = json_body(200, portable(service.download_export(token, now), zone))
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@router.get(
    "/members/erase", summary="A page to confirm erasure", responses={200: HTML_PAGE, 400: LINK_PROBLEM}
)
def erase_page(token: Token = "") -> Response[str]:
    self_service().check_erase_link(token, clock.utc_now())
    return page(
        200,
        "erase",
        **page_context(),
        title="Delete your details",
        done=False,
        action=_url("/members/erase", token),
        after_erasure=after_erasure(log_retention_days=members_env().log_retention_days),
    )


@router.post(
    "/members/erase", summary="Erase everything held about you", responses={200: HTML_PAGE, 400: LINK_PROBLEM}
)
def erase(token: Token = "") -> Response[str]:
    # a genuine link whose member is gone was used already (a double click): they are erased
    with contextlib.suppress(LinkNoLongerValid):
        self_service().erase(token, clock.utc_now())
    return page(
        200,
        "erase",
        **page_context(),
        title="Your details have been deleted",
        done=True,
        action=None,
        after_erasure=after_erasure(log_retention_days=members_env().log_retention_days),
    )


# --- a new email address ---------------------------------------------------------------------------


@router.post(
    "/members/preferences/email",
    summary="Ask for a new email address: a link goes to it, and it becomes yours when you press its button",
    status_code=202,
    responses={202: HTML_PAGE, 400: LINK_PROBLEM, 409: html_page("Not receiving emails: nothing changed")},
)
def change_email(form: Annotated[NewAddressForm, Body()], token: Token = "") -> Response[str]:
    now = clock.utc_now()
    member = self_service().member_for(token, purposes.PREFERENCES, now)
    try:
        address_changes().request(member, form.email, "member", now)
    except AddressTaken:
        # the same page: whether an address belongs to a member is nobody else's business
        logger.info("new address held by another member: nothing sent", extra={"member_id": member.id})
    return message_page(
        202,
        "Check the new address's inbox",
        [
            "We have emailed a link to your new address. Your address changes when you press the button "
            "on the page it opens. Until then we keep using your old address.",
            "If nothing arrives within a few minutes, check the junk or spam folder.",
        ],
    )


@router.get(
    "/members/email/confirm",
    summary="The page the new address's link opens: one button that makes it the member's address (a GET "
    "never changes it: mail scanners open every link)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM},
)
def email_change_page(token: Token = "") -> Response[str]:
    found, shown = address_changes().check_link(token, clock.utc_now())
    if found is ChangeLink.DONE:
        return _address_changed(shown)
    return page(
        200,
        "email_change",
        **page_context(),
        title="Use this email address?",
        address=shown,
        action=f"{members_env().base_url}/members/email/confirm",
        token=token,
    )


@router.post(
    "/members/email/confirm",
    summary="Make the new address the member's: the link page's button (pressing it again is harmless)",
    responses={200: HTML_PAGE, 400: LINK_PROBLEM, 409: html_page("Another member has this address now")},
)
def confirm_email_change(form: Annotated[ConfirmForm, Body()]) -> Response[str]:
    return _address_changed(address_changes().confirm(form.token, clock.utc_now()))


def _address_changed(shown: str) -> Response[str]:
    return message_page(
        200,
        "Your email address is changed",
        [f"We will email you at {shown} from now on. We have told your old address."],
    )
