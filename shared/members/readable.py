"""A copy of someone's data in plain words: what the export page shows (the JSON download holds the
same data for machines).

Every value is named as a person would say it ("Phone number", "You agreed that we may contact you"),
never by the field name we store it under; what is only machinery (the keyed hash of the address, the
record's version, a single-use secret) is described, not shown as a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.audit import AuditEntry
from shared.members.gdpr import MemberExport
from shared.members.models import ROLE_LABELS, MemberStatus, Role
from shared.timefmt import parse_iso

STATUS_WORDS = {
    MemberStatus.PENDING.value: "You have not yet confirmed your email address",
    MemberStatus.ACTIVE.value: "Member: you get the emails you chose",
    MemberStatus.UNSUBSCRIBED.value: "Unsubscribed: we send you nothing",
    MemberStatus.SUPPRESSED.value: "We stopped emailing you because our emails to you could not be delivered",
}
CHANNEL_WORDS = {
    "web_form": "on our website",
    "api": "through our website",
    "in_person": "in person, to one of us",
    "administrator": "to one of our administrators, who recorded it",
    "phone": "by phone, to one of us, who recorded it",
    "letter": "by letter, to one of us, who recorded it",
    "email": "by email, to one of us, who recorded it",
    "spam_report": "by marking one of our emails as spam",
}
CONSENT_WORDS = {
    ("contact", True): "You agreed that we may contact you about the partnership",
    ("contact", False): "You withdrew your agreement to be contacted",
    ("health_data", True): "You agreed that we may keep a record that you are a patient or carer",
    (
        "health_data",
        False,
    ): "You withdrew your agreement that we keep a record that you are a patient or carer",
}
EMAIL_WORDS = {
    "confirm": "Asking you to confirm your email address",
    "welcome": "Welcome",
    "already_member": "Telling you that you are already a member",
    "preferences_link": "A link to your preferences",
    "export_link": "A link to a copy of your data",
    "erase_link": "A link to delete your details",
    "email_change": "Asking you to confirm a new email address",
    "email_changed": "Telling your old email address that it changed",
}
# notes in the send history that are not emails: that a one-use link was used (`selfservice`)
NOT_EMAILS = frozenset({"export_shown", "export_download"})
ACTION_WORDS = {
    "member.add": "Added you as a member",
    "member.update": "Changed your details",
    "member.view": "Looked at your record",
    "member.export": "Made a copy of your data",
    "member.export_download": "You downloaded a copy of your data",
    "member.resend_confirmation": "Sent the confirmation email again",
    "member.preferences_link": "Sent you a link to your preferences",
    "member.lift_suppression": "Started emailing you again after delivery problems",
    "member.profile_removed": "Removed your name and contact details after you unsubscribed",
    "member.email_change_requested": "Asked for a new email address for you",
    "member.email_changed": "You confirmed your new email address",
    "member.unsubscribed_for": "Stopped all emails to you, as you asked",
    "member.email_choices_for": "Changed what you hear about, as you asked",
    "member.started_again_for": "Started emails to you again, as you asked",
    "group.add_member": "Added you to a working group",
    "group.remove_member": "Took you out of a working group",
}
FIELD_WORDS = {
    "name": "name",
    "phone": "phone number",
    "postal_address": "postal address",
    "organisation": "organisation",
    "role": "how you describe yourself",
    "working_groups": "working groups",
    "email": "email address",
}
REASON_WORDS = {
    "hard_bounce": "emails to your address could not be delivered",
    "complaint": "an email from us was reported as unwanted",
    "soft_bounces": "emails to your address could not be delivered three times in 30 days",
}


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    empty: str = "Nothing."


def _when(value: Any, zone: ZoneInfo) -> str:
    if not value:
        return ""
    try:
        moment = parse_iso(str(value)).astimezone(zone)
    except ValueError:
        return str(value)
    hour = moment.hour % 12 or 12
    return f"{moment.day} {moment:%B %Y} at {hour}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


def _role(value: Any) -> str:
    try:
        return ROLE_LABELS[Role(value)]
    except ValueError:
        return str(value)


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def _emails(export: MemberExport) -> list[tuple[str, str]]:
    """(kind, when) of each email in the send history."""
    return [
        (str(item.get("kind")), str(item.get("sent_at", "")))
        for item in export.notifications
        if item.get("entity") == "sent" and item.get("kind") not in NOT_EMAILS
    ]


def _action(entry: AuditEntry) -> str:
    return ACTION_WORDS.get(entry.action, entry.action.replace(".", " ").replace("_", " "))


def _fields(entry: AuditEntry) -> list[str]:
    return [FIELD_WORDS.get(f, f.replace("_", " ")) for f in entry.fields]


def _actor(entry: AuditEntry) -> str:
    """Who, as the member may know it: never an administrator's own identity (that is theirs)."""
    if entry.actor == "member":
        return "you"
    if entry.actor == "retention":
        return "our records system"
    return "one of our administrators"


def portable(export: MemberExport, time_zone: str) -> dict[str, Any]:
    """The download: the same data as the page, for other computer systems (UK GDPR Article 20), under
    names a person can read, with times in ISO 8601 (UTC). No storage keys, no internal codes, and
    no administrator's identity."""
    profile = export.profile
    suppression = export.suppression
    return {
        "exported_at": export.exported_at,
        "about_you": {
            "name": profile.get("name"),
            "email_address": profile.get("email"),
            "phone_number": profile.get("phone"),
            "postal_address": profile.get("postal_address"),
            "organisation": profile.get("organisation"),
            "how_you_describe_yourself": _role(profile.get("role")) if profile.get("role") else None,
            "membership": STATUS_WORDS.get(str(profile.get("status")), str(profile.get("status"))),
            "signed_up_at": profile.get("created_at"),
            "confirmed_email_at": profile.get("confirmed_at"),
            "unsubscribed_at": profile.get("unsubscribed_at"),
            "details_removed_at": profile.get("profile_removed_at"),
            "new_email_address_waiting_for_you_to_confirm_it": (profile.get("email_change") or {}).get(
                "email"
            )
            if not (profile.get("email_change") or {}).get("confirmed_at")
            else None,
        },
        "what_you_agreed_to": [
            {
                "agreement": CONSENT_WORDS.get((c.kind, c.given), c.kind),
                "about": "being contacted" if c.kind == "contact" else "being a patient or carer",
                "given": c.given,
                "at": c.at,
                "how": CHANNEL_WORDS.get(c.channel, c.channel),
                "privacy_notice_version": c.notice_version,
            }
            for c in export.consents
        ],
        "what_you_hear_from_us": {
            "meeting_reminders": export.preferences.meeting_reminders,
            "newsletters": export.preferences.newsletters,
        },
        "working_groups": [g.name or g.id for g in export.working_groups],
        "emails_we_sent_you": [
            {"email": EMAIL_WORDS.get(kind, "An email from us"), "sent_at": at}
            for kind, at in _emails(export)
        ],
        "email_delivery": {
            "stopped_at": suppression.suppressed_at if suppression and suppression.suppressed else None,
            "why": REASON_WORDS.get(suppression.reason or "") if suppression else None,
            "undelivered_at": [b.at for b in suppression.soft_bounces] if suppression else [],
        },
        "changes_to_your_record": [
            {"what": _action(entry), "at": entry.at, "what_changed": _fields(entry), "by": _actor(entry)}
            for entry in export.audit
        ],
        "request_to_join_again": (
            {
                "name": export.pending_rejoin.get("name"),
                "phone_number": export.pending_rejoin.get("phone"),
                "organisation": export.pending_rejoin.get("organisation"),
                "how_you_describe_yourself": _role(export.pending_rejoin["role"])
                if export.pending_rejoin.get("role")
                else None,
            }
            if export.pending_rejoin
            else None
        ),
        # what the other parts of the system hold about them (meetings: emails, apologies, attendance)
        "held_elsewhere": export.elsewhere,
        "some_of_your_record_could_not_be_read": export.damaged,
    }


def readable(export: MemberExport, time_zone: str) -> list[Section]:
    """The export as sections of (what it is, what we hold), in plain words."""
    zone = ZoneInfo(time_zone)
    profile = export.profile
    about = [
        (label, str(profile[key]))
        for key, label in (
            ("name", "Name"),
            ("email", "Email address"),
            ("phone", "Phone number"),
            ("postal_address", "Postal address"),
            ("organisation", "Organisation"),
        )
        if profile.get(key)
    ]
    about.append(("How you describe yourself", _role(profile.get("role"))))
    about.append(
        ("Your membership", STATUS_WORDS.get(str(profile.get("status")), str(profile.get("status"))))
    )
    for key, label in (
        ("created_at", "You first signed up"),
        ("confirmed_at", "You confirmed your email address"),
        ("unsubscribed_at", "You unsubscribed"),
        ("profile_removed_at", "We removed your name and contact details"),
    ):
        if profile.get(key):
            about.append((label, _when(profile[key], zone)))
    if profile.get("lookup_id"):
        about.append(
            (
                "A coded form of your email address",
                "We keep a code made from your email address, so we can find your record without "
                "storing the address in our index.",
            )
        )

    consents = [
        (
            CONSENT_WORDS.get((c.kind, c.given), c.kind),
            f"{_when(c.at, zone)}, {CHANNEL_WORDS.get(c.channel, c.channel)}, "
            f"under our privacy notice of {c.notice_version}",
        )
        for c in export.consents
    ]
    hearing = [
        ("Reminders before meetings", _yes(export.preferences.meeting_reminders)),
        ("Newsletters", _yes(export.preferences.newsletters)),
    ]
    groups = [("Working group", g.name or g.id) for g in export.working_groups]
    sent = [(EMAIL_WORDS.get(kind, "An email from us"), _when(at, zone)) for kind, at in _emails(export)]
    delivery: list[tuple[str, str]] = []
    if export.suppression is not None:
        if export.suppression.suppressed:
            reason = REASON_WORDS.get(export.suppression.reason or "", "of delivery problems")
            delivery.append(
                (
                    "We stopped emailing you",
                    f"{_when(export.suppression.suppressed_at, zone)}, because {reason}",
                )
            )
        for bounce in export.suppression.soft_bounces:
            delivery.append(("An email to you could not be delivered for a while", _when(bounce.at, zone)))
    changes = [
        (
            _action(entry),
            _when(entry.at, zone)
            + (f" ({', '.join(_fields(entry))})" if entry.fields else "")
            + f", by {_actor(entry)}",
        )
        for entry in export.audit
    ]
    sections = [
        Section("About you", about),
        Section("What you agreed to", consents, "No records."),
        Section("What you hear from us", hearing),
        Section("Working groups", groups, "You are not in any working group."),
        Section("Emails we sent you", sent, "None that we keep a record of."),
        Section("Problems delivering our emails", delivery, "None."),
        Section("Changes to your record", changes, "None."),
    ]
    if export.pending_rejoin:
        rejoin = export.pending_rejoin
        sections.append(
            Section(
                "A request to join again that is waiting for you to confirm it",
                [
                    (label, str(rejoin[key]) if key != "role" else _role(rejoin[key]))
                    for key, label in (
                        ("name", "Name"),
                        ("phone", "Phone number"),
                        ("organisation", "Organisation"),
                        ("role", "How you describe yourself"),
                    )
                    if rejoin.get(key)
                ],
            )
        )
    meetings = export.elsewhere.get("meetings") or {}
    if meetings:
        lines = []
        for held in meetings.get("meetings", []):
            what = held.get("title") or "A meeting"
            told = ", ".join(_when(str(e["at"]), zone) for e in held.get("emails", []) if e.get("at"))
            said = "you sent apologies" if held.get("apologies") else None
            came = {"present": "you came", "remote": "you joined online", "absent": "you did not come"}.get(
                str(held.get("attendance"))
            )
            lines.append(
                (what, "; ".join(x for x in (f"emailed {told}" if told else None, said, came) if x) or "–")
            )
        if meetings.get("private_calendar_feed"):
            lines.append(
                ("Your private calendar link", "You made one. You can turn it off from your preferences.")
            )
        sections.append(Section("Meetings", lines, "None."))
    for part, held in export.elsewhere.items():
        if part != "meetings" and held:
            sections.append(Section(f"What we hold for {part}", [(k, str(val)) for k, val in held.items()]))
    if export.damaged:
        sections.append(
            Section(
                "Part of your record could not be read",
                [
                    (
                        "What this means",
                        "We have given you everything we hold, as it is stored. We are putting it right.",
                    )
                ],
            )
        )
    return sections
