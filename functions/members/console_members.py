"""The console's member pages: search and filter, a member's record, adding a member met in person,
editing, the email actions, the export, erasure, and the printable list of members without email.

Every page runs the same domain services as the JSON admin API (`shared.members.admin.MemberAdmin`),
so both keep one audit trail, with the signed-in administrator as the actor. A change answers with
a redirect to the member's page (post/redirect/get), whose banner says what happened.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response

from functions.members.env import members_env
from functions.members.services import address_changes, audit, member_admin, on_behalf
from shared import clock
from shared.api import actor, made_once
from shared.consent import Channel
from shared.console.app import ConsoleRouter
from shared.console.audit import folded, vocabulary
from shared.console.settings import console_settings
from shared.errors import DamagedRecord
from shared.members.addresses import NewAddressForm
from shared.members.admin import InPersonMember, MemberPatch
from shared.members.gdpr import unconfirmed_claims_hidden
from shared.members.models import HEALTH_DATA_ROLES, ROLE_LABELS, MemberStatus, Role
from shared.members.on_behalf import EmailChoices, StartAgain, TheyToldUs
from shared.members.repository import MemberNotFound
from shared.web import html_page

router = ConsoleRouter()
REMOVED = "Name removed"  # an unsubscribed member whose details went after the grace period
PAGE_SIZE = 25
MEMBER_ID = re.compile(r"^[0-9a-f-]{36}$")
# What the console says instead of a domain error's wording for the JSON API (which names its fields).
PLAIN = {
    "consent_health_data_in_person": "A patient or carer role needs their agreement: tick the box once "
    "they have told you they agree, or choose another role",
}


def _member_id(value: str) -> str:
    """A member id as the console makes them (anything else cannot exist: 404, not a database error)."""
    if not MEMBER_ID.match(value):
        raise MemberNotFound(value[:64])
    return value


# What a damaged record's page calls each stored field; machinery is not shown at all.
LABELS = {
    "name": "Name",
    "email": "Email address",
    "phone": "Phone",
    "postal_address": "Postal address",
    "organisation": "Organisation",
    "role": "Role",
    "status": "Status",
    "working_groups": "Working groups",
    "created_at": "Added",
    "confirmed_at": "Confirmed",
    "unsubscribed_at": "Unsubscribed",
    "consents": "What they agreed to",
    "preferences": "Email choices",
}
HIDDEN_WHEN_DAMAGED = {
    "pk",
    "sk",
    "id",
    "listed_at",
    "lookup_id",
    "confirm_nonce",
    "version",
    "schema_version",
    "name_search",
    "entity",
    "expires_at",
}
# until its owner confirms, a sign-up's role (and the health-data consent that comes with a patient
# or carer role) is anyone's claim about whoever owns the address: never shown, damaged or not
UNCONFIRMED_CLAIMS = ("pending_role", "role", "rejoin")

STATUS_LABELS = {
    MemberStatus.PENDING: "Waiting for them to confirm",
    MemberStatus.ACTIVE: "Member",
    MemberStatus.UNSUBSCRIBED: "Unsubscribed",
    MemberStatus.SUPPRESSED: "Emails stopped (address bounced or complained)",
}
# What a change's banner says. Only these fixed texts reach the page, chosen by key.
NOTICES = {
    "added": "The member was added.",
    "added_pending": "The member was added. They have been emailed a link to confirm their address.",
    "saved": "The changes were saved.",
    "confirmation_sent": "The confirmation email was sent again.",
    "confirmation_recent": "The confirmation email was not sent: one was sent less than 10 minutes ago. "
    "Ask them to check their spam folder, then try again later.",
    "preferences_sent": "A link to their preferences was emailed to them.",
    "preferences_recent": "No email was sent: a preferences link was sent less than 10 minutes ago.",
    "email_sent": "We emailed a link to the new address. It becomes their address when they press the "
    "button in that email. Until then we keep using the old one.",
    "email_already_sent": "No email was sent: a link went to that address less than 10 minutes ago. Ask "
    "them to look in its junk or spam folder.",
    "email_not_sent": "We could not email the new address: emails to it were stopped before, because they "
    "did not arrive. Check the address with them.",
    "choices_saved": "Their choices were saved.",
    "choices_unchanged": "Nothing changed: those were their choices already.",
    "unsubscribed_for": "They will get no more emails from us. We recorded how they told you.",
    "already_unsubscribed": "They had unsubscribed already.",
    "started_again": "They will get emails from us again. We recorded how they agreed.",
    "email_replaced": "The address was changed. A new email asking them to confirm it went to the new "
    "address.",
    "lifted": "The suppression was lifted: emails will be sent to this address again.",
    # a complaint also unsubscribed them, and lifting the suppression does not re-subscribe anyone
    "lifted_unsubscribed": (
        "The suppression was lifted, but they are still unsubscribed: they get no emails unless "
        "they join again."
    ),
}


CHANNEL_LABELS = {
    "web_form": "On the website",
    "api": "Through the API",
    "in_person": "In person",
    "administrator": "Recorded by an administrator",
    "phone": "By phone, to an administrator",
    "letter": "On paper or by letter, to an administrator",
    "email": "By email, to an administrator",
    "spam_report": "Marked an email as spam",
}


def _roles() -> list[tuple[str, str]]:
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


def _status_labels() -> dict[str, str]:
    return {status.value: label for status, label in STATUS_LABELS.items()}


def _member_url(member_id: str, notice: str | None = None) -> str:
    return f"/console/members/{member_id}" + (f"?done={notice}" if notice else "")


@router.get(
    "/console/members",
    summary="Find members: search by name or email, filter by status, role and group",
    responses={200: html_page("One page of members"), 303: {"description": "Sign in first"}},
)
def members() -> Response[str]:
    q = (router.query("q") or "").strip()[:100] or None
    status = router.query("status") or None
    role = router.query("role") or None
    group = router.query("group") or None
    cursor = router.query("cursor") or None
    errors: dict[str, str] = {}
    if status is not None and status not in {s.value for s in MemberStatus}:
        errors["status"], status = "Choose a status from the list", None
    if role is not None and role not in {r.value for r in Role}:
        errors["role"], role = "Choose a role from the list", None
    groups = member_admin().groups()
    if group is not None and group not in {g.id for g in groups}:
        errors["group"], group = "Choose a working group from the list", None
    found = member_admin().search(
        q=q,
        status=MemberStatus(status) if status else None,
        role=Role(role) if role else None,
        group=group,
        limit=PAGE_SIZE,
        cursor=cursor,
        now=clock.utc_now(),
    )
    filters = {"q": q or "", "status": status or "", "role": role or "", "group": group or ""}
    landing = not any(filters.values()) and cursor is None
    return router.page(
        "members",
        title="Members",
        # the first page, with nothing asked: members at a glance, and who needs attention
        summary=member_admin().summary(clock.utc_now()) if landing else None,
        status=400 if errors else 200,
        members=found.items,
        next_cursor=found.next,
        filters=filters,
        errors=errors,
        roles=_roles(),
        role_labels={r.value: label for r, label in ROLE_LABELS.items()},
        statuses=_status_labels(),
        groups=groups,
        download_query=("?" + urlencode({k: v for k, v in filters.items() if v}))
        if any(filters.values())
        else "",
    )


def _in_person_form(status: int, values: dict[str, Any], errors: dict[str, str]) -> Response[str]:
    return router.page(
        "member_new",
        title="Add a member",
        how=HOW,
        status=status,
        values=values,
        errors=errors,
        roles=_roles(),
        health_roles=[r.value for r in HEALTH_DATA_ROLES],
        groups=[g for g in member_admin().groups() if g.status == "open"],
    )


@router.get(
    "/console/members/new",
    summary="Add a member met in person, by phone or by post: the form",
    responses={200: html_page("The form")},
)
def new_member_form() -> Response[str]:
    return _in_person_form(200, {"working_groups": []}, {})


@router.post(
    "/console/members/new",
    summary="Add a member met in person, by phone or by post",
    responses={303: {"description": "Added: on to their page"}, 400: html_page("The form, with errors")},
)
def add_member() -> Response[str]:
    posted = router.form_lists()
    values: dict[str, Any] = {k: v[-1] for k, v in posted.items() if k != "working_groups"}
    values["working_groups"] = posted.get("working_groups", [])
    data: dict[str, Any] = {**posted}
    data["privacy_notice_version"] = member_admin().privacy_notice_version
    for box in ("consent_contact_in_person", "consent_health_data_in_person"):
        data[box] = box in posted

    channels: dict[str, Channel] = {
        "phone": "phone",
        "in_person": "in_person",
        "letter": "letter",
        "email": "email",
    }
    how = channels.get(values.get("how") or "in_person")
    if how is None:
        return _in_person_form(
            400, values, {"how": "Choose how they agreed: by phone, in person, on paper or by email"}
        )

    def add(form: InPersonMember) -> Response[str]:
        detail = member_admin().add(form, actor(router), clock.utc_now(), made_once(router), channel=how)
        return router.redirect(_member_url(detail.id, "added_pending" if detail.email else "added"))

    return router.submit(
        InPersonMember, data, lambda status, errors: _in_person_form(status, values, errors), add, words=PLAIN
    )


@router.get(
    "/console/members/<id>",
    summary="A member's record: profile, consents and their history, preferences, groups, "
    "suppression and the audit entries about them",
    responses={200: html_page("The member's page"), 404: html_page("No such member")},
)
def member(id: str) -> Response[str]:
    id = _member_id(id)
    admin = member_admin()
    try:
        detail = admin.view(id, actor(router), clock.utc_now())
    except DamagedRecord as damaged:
        return _damaged(id, damaged)
    groups = {g.id: g for g in admin.groups()}
    return router.page(
        "member",
        title=detail.name or REMOVED,
        member=detail,
        notice=router.notice(NOTICES),
        role_label=ROLE_LABELS.get(detail.role) if detail.role else None,
        status_label=STATUS_LABELS[detail.status],
        groups=[groups.get(g) for g in detail.working_groups],
        audit=folded(list(reversed(audit().for_target(f"MEMBER#{id}")))[:50]),
        channels=CHANNEL_LABELS,
        # every capability's words: another's action about a member (a stopped calendar feed) is named too
        words=vocabulary(console_settings().audit_words),
        # until they confirm, a health-data consent would tell what role they claimed
        consents=[c for c in detail.consents if detail.confirmed_at or c.kind != "health_data"],
        me=router.admin.sub if router.admin else "",
    )


def _damaged(member_id: str, damaged: DamagedRecord) -> Response[str]:
    """A record that cannot be read: what could be read, in words, and the two things that always
    work, downloading what is held and erasing it. Its values are shown as text (escaped), never
    logged, and nothing is changed by opening it."""
    raw = unconfirmed_claims_hidden(damaged.raw)
    shown = [
        (LABELS.get(name, name.replace("_", " ").capitalize()), _as_text(value))
        for name, value in sorted(raw.items())
        if name not in HIDDEN_WHEN_DAMAGED
    ]
    return router.page(
        "member_damaged",
        title="This member's record cannot be read",
        status=409,
        member_id=member_id,
        fields=shown,
    )


def _as_text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)[:500]
    return str(value)[:500]


def _edit_form(member_id: str, status: int, values: dict[str, Any], errors: dict[str, str]) -> Response[str]:
    return router.page(
        "member_edit",
        title="Change a member's details",
        status=status,
        member_id=member_id,
        values=values,
        errors=errors,
        roles=_roles(),
        health_roles=[r.value for r in HEALTH_DATA_ROLES],
        groups=[g for g in member_admin().groups() if g.status == "open"],
    )


EDITABLE = ("name", "phone", "postal_address", "organisation", "role")


@router.get(
    "/console/members/<id>/edit",
    summary="Change a member's details: the form",
    responses={200: html_page("The form"), 404: html_page("No such member")},
)
def edit_member_form(id: str) -> Response[str]:
    id = _member_id(id)
    detail = member_admin().detail(id, clock.utc_now())
    values: dict[str, Any] = {name: getattr(detail, name) or "" for name in EDITABLE}
    values["role"] = detail.role.value if detail.role else ""
    values["working_groups"] = list(detail.working_groups)
    values["confirmed"] = detail.confirmed_at is not None
    return _edit_form(id, 200, values, {})


@router.post(
    "/console/members/<id>/edit",
    summary="Change a member's details",
    responses={303: {"description": "Saved"}, 400: html_page("The form, with errors")},
)
def edit_member(id: str) -> Response[str]:
    id = _member_id(id)
    now = clock.utc_now()
    current = member_admin().detail(id, now)
    posted = router.form_lists()
    values: dict[str, Any] = {k: v[-1] for k, v in posted.items() if k != "working_groups"}
    # the form offers open groups only: a closed group the member was in stays in their history
    offered = {g.id for g in member_admin().groups() if g.status == "open"}
    kept = [g for g in current.working_groups if g not in offered]
    values["working_groups"] = [*posted.get("working_groups", []), *kept]
    values["confirmed"] = current.confirmed_at is not None
    # only what changed is sent, so the audit trail names only the fields that really changed
    changes: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in values:
            continue
        was = getattr(current, name)
        was_text = (was.value if isinstance(was, Role) else was) or ""
        if name == "role" and current.confirmed_at is None:
            continue  # an unconfirmed member's role is theirs to confirm
        if values[name].strip() != was_text:
            changes[name] = values[name]
    if sorted(set(values["working_groups"])) != sorted(current.working_groups):
        changes["working_groups"] = sorted(set(values["working_groups"]))
    if "consent_health_data_in_person" in posted:
        changes["consent_health_data_in_person"] = True

    def save(patch: MemberPatch) -> Response[str]:
        if not patch.given():
            return router.redirect(_member_url(id))
        member_admin().update(id, patch, actor(router), now)
        return router.redirect(_member_url(id, "saved"))

    return router.submit(
        MemberPatch, changes, lambda status, errors: _edit_form(id, status, values, errors), save, words=PLAIN
    )


def _email_form(member_id: str, status: int, values: dict[str, Any], errors: dict[str, str]) -> Response[str]:
    detail = member_admin().detail(member_id, clock.utc_now())
    return router.page(
        "member_email",
        title="Change their email address",
        status=status,
        member=detail,
        values=values,
        errors=errors,
    )


@router.get(
    "/console/members/<id>/email",
    summary="Change or add a member's email address: the form",
    responses={200: html_page("The form"), 404: html_page("No such member")},
)
def email_form(id: str) -> Response[str]:
    return _email_form(_member_id(id), 200, {}, {})


@router.post(
    "/console/members/<id>/email",
    summary="Change or add a member's email address: a link goes to the new address, which becomes theirs "
    "when its owner presses its button (an unconfirmed sign-up's address is replaced at once)",
    responses={
        303: {"description": "Back to the member's page, saying what happened"},
        400: html_page("Errors"),
    },
)
def change_email(id: str) -> Response[str]:
    id = _member_id(id)
    values = router.form()

    def ask(form: NewAddressForm) -> Response[str]:
        now = clock.utc_now()
        outcome = address_changes().request(member_admin().get(id, now), form.email, actor(router), now)
        return router.redirect(_member_url(id, f"email_{outcome.value}"))

    return router.submit(
        NewAddressForm,
        {"email": values.get("email", "")},
        lambda status, errors: _email_form(id, status, values, errors),
        ask,
    )


# --- importing and downloading the list ------------------------------------------------------------


def _import_page(status: int, **shown: Any) -> Response[str]:
    context: dict[str, Any] = {"report": None, "errors": {}, "done": False, "text": ""} | shown
    return router.page("member_import", title="Import members from a spreadsheet", status=status, **context)


@router.get(
    "/console/members/import",
    summary="Import members from a spreadsheet saved as CSV: the form",
    responses={200: html_page("The form")},
)
def import_form() -> Response[str]:
    return _import_page(200)


@router.post(
    "/console/members/import",
    summary="Check, then load, a spreadsheet of members: every row checked first, all or nothing",
    responses={
        200: html_page("The report of each row (and, once checked, the button that loads them)"),
        400: html_page("The report, with each row's problems: nothing was loaded"),
    },
)
def run_import() -> Response[str]:
    from shared.members import importer

    form = router.form()
    text = form.get("file") or form.get("text") or ""
    loading = form.get("action") == "load"
    now = clock.utc_now()
    admin = member_admin()
    try:
        rows = importer.read_csv(text)
    except importer.ImportUnreadable as unreadable:
        return _import_page(400, errors={"file": unreadable.reason})
    groups = [g for g in admin.groups() if g.status == "open"]
    checked = importer.check(rows, groups, admin.privacy_notice_version, admin, now, members_env().time_zone)
    report = importer.ImportReport([c.report for c in checked])
    if not report.ok or not loading:
        return _import_page(200 if report.ok else 400, report=report, text=text if report.ok else "")
    loaded = importer.load(checked, admin, actor(router), now)
    audit().record(
        actor=actor(router),
        action="members.import",
        target="MEMBERS",
        now=now,
        fields=[f"{loaded.count('added')} added"],
    )
    return _import_page(200, report=loaded, done=True)


@router.get(
    "/console/members/list.csv",
    summary="Download the members list as a spreadsheet (CSV), with the page's filters (audited)",
    responses={200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def members_csv() -> Response[str]:
    filters = {
        "q": (router.query("q") or "")[:100] or None,
        "status": _choice(MemberStatus, router.query("status")),
        "role": _choice(Role, router.query("role")),
        "group": (router.query("group") or "")[:60] or None,
    }
    body = member_admin().csv(actor(router), clock.utc_now(), **filters)
    return Response(
        200,
        "text/csv; charset=utf-8",
        body,
        headers={"Content-Disposition": 'attachment; filename="members.csv"', "Cache-Control": "no-store"},
    )


def _choice(kind: Any, value: str | None) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


# --- on their behalf -------------------------------------------------------------------------------

ON_BEHALF: dict[str, tuple[str, type[TheyToldUs]]] = {
    "choices": ("Change what they hear about", EmailChoices),
    "unsubscribe": ("Stop all emails to them", TheyToldUs),
    "start": ("Start emails to them again", StartAgain),
}
HOW = [
    ("phone", "By phone"),
    ("in_person", "In person"),
    ("letter", "On paper or by letter"),
    ("email", "By email"),
]


def _on_behalf_page(
    member_id: str, do: str, status: int, values: dict[str, Any], errors: dict[str, str]
) -> Response[str]:
    detail = member_admin().detail(member_id, clock.utc_now())
    title, _ = ON_BEHALF[do]
    if not values:
        values = detail.preferences.model_dump() if do == "choices" else {}
    return router.page(
        "member_on_behalf",
        title=title,
        status=status,
        member=detail,
        do=do,
        values=values,
        errors=errors,
        how=HOW,
    )


def _do(do: str) -> str:
    if do not in ON_BEHALF:
        raise MemberNotFound(do[:20])
    return do


@router.get(
    "/console/members/<id>/on-behalf/<do>",
    summary="Act on a member's behalf (what they hear about; stop all emails; start them again): the form",
    responses={200: html_page("The form"), 404: html_page("No such member or action")},
)
def on_behalf_form(id: str, do: str) -> Response[str]:
    return _on_behalf_page(_member_id(id), _do(do), 200, {}, {})


@router.post(
    "/console/members/<id>/on-behalf/<do>",
    summary="Act on a member's behalf, recording how they told you",
    responses={303: {"description": "Back to the member's page"}, 400: html_page("The form, with errors")},
)
def act_on_behalf(id: str, do: str) -> Response[str]:
    id, do = _member_id(id), _do(do)
    posted = router.form()
    data: dict[str, Any] = {"how": posted.get("how") or None}
    if do == "choices":
        data |= {box: box in posted for box in ("meeting_reminders", "newsletters")}
    if do == "start":
        data["agreed"] = "agreed" in posted
    _, model = ON_BEHALF[do]

    def act(form: TheyToldUs) -> Response[str]:
        now, who = clock.utc_now(), actor(router)
        if isinstance(form, EmailChoices):
            done = "choices_saved" if on_behalf().email_choices(id, form, who, now) else "choices_unchanged"
        elif isinstance(form, StartAgain):
            on_behalf().start_again(id, form, who, now)
            done = "started_again"
        else:
            done = (
                "unsubscribed_for" if on_behalf().unsubscribe(id, form, who, now) else "already_unsubscribed"
            )
        return router.redirect(_member_url(id, done))

    return router.submit(
        model, data, lambda status, errors: _on_behalf_page(id, do, status, {**posted, **data}, errors), act
    )


@router.post(
    "/console/members/<id>/resend-confirmation",
    summary="Send the confirmation email again",
    responses={303: {"description": "Back to the member's page, saying whether it was sent"}},
)
def resend_confirmation(id: str) -> Response[str]:
    id = _member_id(id)
    sent = member_admin().resend_confirmation(id, actor(router), clock.utc_now())
    return router.redirect(_member_url(id, "confirmation_sent" if sent else "confirmation_recent"))


@router.post(
    "/console/members/<id>/preferences-link",
    summary="Email the member a preferences link",
    responses={303: {"description": "Back to the member's page, saying whether it was sent"}},
)
def preferences_link(id: str) -> Response[str]:
    id = _member_id(id)
    sent = member_admin().send_preferences_link(id, actor(router), clock.utc_now())
    return router.redirect(_member_url(id, "preferences_sent" if sent else "preferences_recent"))


@router.post(
    "/console/members/<id>/lift-suppression",
    summary="Lift a bounce or complaint suppression",
    responses={303: {"description": "Back to the member's page"}},
)
def lift_suppression(id: str) -> Response[str]:
    id = _member_id(id)
    detail = member_admin().lift_suppression(id, actor(router), clock.utc_now())
    still_unsubscribed = detail.status is MemberStatus.UNSUBSCRIBED
    return router.redirect(_member_url(id, "lifted_unsubscribed" if still_unsubscribed else "lifted"))


@router.get(
    "/console/members/<id>/export",
    summary="Download everything held about a member, to send them (a subject access request): the "
    "same file, in the same words, as the member's own download",
    responses={200: {"description": "The export", "content": {"application/json": {}}}},
)
def export(id: str) -> Response[str]:
    from functions.members.env import members_env
    from shared.members.readable import portable

    id = _member_id(id)
    data = member_admin().export(id, actor(router), clock.utc_now())
    return Response(
        200,
        "application/json",
        json.dumps(portable(data, members_env().time_zone), indent=2, ensure_ascii=False),
        headers={
            "Content-Disposition": f'attachment; filename="member-{id}.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/console/members/<id>/erase",
    summary="Erase a member: what will go and what is kept",
    responses={200: html_page("The confirmation page")},
)
def erase_confirm(id: str) -> Response[str]:
    id = _member_id(id)
    detail: Any
    try:
        detail = member_admin().detail(id, clock.utc_now())
    except DamagedRecord as damaged:  # erasure works on any stored record: say whose, if it can
        name = damaged.raw.get("name")
        detail = {"id": id, "name": name if isinstance(name, str) else None}
    from functions.members.env import members_env
    from shared.audit import RETENTION
    from shared.privacy import retention

    kept_for = {
        "audit": retention.span(RETENTION),
        "logs": retention.days(members_env().log_retention_days),
        "traces": retention.days(retention.TRACE_DAYS),
        "backups": retention.days(retention.BACKUP_DAYS),
    }
    name = detail["name"] if isinstance(detail, dict) else detail.name
    return router.page("erase", title=f"Erase {name or REMOVED}?", member=detail, kept_for=kept_for)


@router.post(
    "/console/members/<id>/erase",
    summary="Erase a member from every table (GDPR)",
    responses={200: html_page("What was erased and what was kept")},
)
def erase(id: str) -> Response[str]:
    id = _member_id(id)
    receipt = member_admin().erase(id, actor(router), clock.utc_now())
    return router.page("erased", title="The member was erased", receipt=receipt)


@router.get(
    "/console/offline-members",
    summary="Members without email, or whose emails bounce: to phone or post (printable)",
    responses={200: html_page("The list")},
)
def offline() -> Response[str]:
    now = clock.utc_now()
    groups = {g.id: g.name for g in member_admin().groups()}
    return router.page(
        "offline",
        title="Members to phone or write to",
        members=sorted(member_admin().offline(now), key=lambda m: (m.name or "").casefold()),
        group_names=groups,
        printed_on=clock.iso(now)[:10],
    )


LABELS_PER_SHEET = 21


@router.get(
    "/console/offline-members/labels",
    summary="Address labels for the members to write to (A4, 3 by 7), to print",
    responses={200: html_page("The labels")},
)
def labels() -> Response[str]:
    people = sorted(member_admin().offline(clock.utc_now()), key=lambda m: (m.name or "").casefold())
    texts = [f"{m.name}\n{m.postal_address}" for m in people if m.name and m.postal_address]
    raw = (router.query("start") or "1").strip()
    start = int(raw) if raw.isdigit() and 1 <= int(raw) <= LABELS_PER_SHEET else 1
    cells: list[str | None] = [None] * (start - 1) + list(texts)
    sheets = [cells[i : i + LABELS_PER_SHEET] for i in range(0, len(cells), LABELS_PER_SHEET)] or [[]]
    sheets[-1] = sheets[-1] + [None] * (LABELS_PER_SHEET - len(sheets[-1]))
    return router.page(
        "labels",
        title="Address labels",
        sheets=sheets,
        count=len(texts),
        missing=len(people) - len(texts),
        start=start,
    )
