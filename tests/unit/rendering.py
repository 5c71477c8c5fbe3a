"""Realistic contexts for rendering every page and every email in unit tests, with the deployment's
own words (cdk.json), as the handlers pass them."""

from __future__ import annotations

import json
from typing import Any

from shared.email.address import EMAIL_FORMAT, EMAIL_NOT_ASCII
from shared.feedback.models import ANSWERS, FFT_QUESTION, KINDS, RATINGS, ROLES, FeedbackForm, PublicStatus
from shared.groups import WorkingGroup
from shared.meetings.reader import MeetingSummary
from shared.members.models import ROLE_LABELS, Member, MemberStatus, Role
from shared.members.readable import Section
from shared.privacy.retention import after_erasure, link_lifetimes, retention
from shared.settings import DeploymentSettings
from tests.support.env import declared_holders, deployment_config

CONFIG = deployment_config()
URL = "https://api.mkcpp.org.uk"
# as a function gets it: cdk.json's configuration, through the environment it writes, validated
CONTACT = DeploymentSettings.model_validate(CONFIG.as_environment(URL)).contact
TOKEN = "eyJwIjoiY29uZmlybSJ9.c2lnbmF0dXJl"

MEMBER = Member(
    id="m1",
    name="Ann Example",
    email="ann@example.org",
    role=Role.CARER,
    status=MemberStatus.ACTIVE,
    created_at="2026-11-28T10:00:00Z",
    working_groups=["journal"],
)
GROUPS = [
    WorkingGroup(
        id="journal",
        name="Patient Journal",
        purpose="Collects what patients tell us about their care.",
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    ),
    WorkingGroup(
        id="directory",
        name="Cancer Resources Directory",
        purpose="Keeps the list of local help up to date.",
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    ),
]
MEETING = MeetingSummary(
    id="plenary-2027-01",
    title="Plenary meeting",
    starts_at="2027-01-12T12:30:00Z",
    ends_at="2027-01-12T14:00:00Z",
    location="Academic Centre, Milton Keynes University Hospital",
)
BASE: dict[str, Any] = {"group_name": CONFIG.group_name, "base_url": URL, "contact": CONTACT}
SIGNUP: dict[str, Any] = {
    "title": "Join the partnership",
    "action": f"{URL}/members",
    "values": {},
    "errors": {},
    "roles": [(r.value, label) for r, label in ROLE_LABELS.items()],
    "working_groups": GROUPS,
    "privacy_notice_version": CONFIG.privacy_notice_version,
    "privacy_url": f"{URL}/members/privacy",
}
PRIVACY: dict[str, Any] = {
    "title": "Privacy notice",
    "version": CONFIG.privacy_notice_version,
    "retention": retention(
        log_retention_days=CONFIG.log_retention_days,
        unsubscribe_grace_days=CONFIG.unsubscribe_grace_days,
        holders=declared_holders(),
    ),
    "link_lifetimes": link_lifetimes(declared_holders()),
    "signup_url": f"{URL}/members/signup",
    "grace_days": CONFIG.unsubscribe_grace_days,
    "after_erasure": after_erasure(log_retention_days=CONFIG.log_retention_days),
}
PREFERENCES: dict[str, Any] = {
    "title": "Your preferences",
    "member": MEMBER,
    "active": True,
    "groups": GROUPS,
    "action": f"{URL}/members/preferences?token={TOKEN}",
    "data_action": f"{URL}/members/data-requests?token={TOKEN}",
    "email_action": f"{URL}/members/preferences/email?token={TOKEN}",
    "more": [("Your meetings in your calendar", f"{URL}/meetings/calendar?token={TOKEN}")],
    "unsubscribe_url": f"{URL}/members/unsubscribe?token={TOKEN}",
    "signup_url": f"{URL}/members/signup",
    "banner": "Your preferences are saved.",
    "health_held": True,
    "removable": False,
    "roles": [(r.value, label) for r, label in ROLE_LABELS.items()],
    "health_roles": ["carer", "patient", "patient_and_carer"],
    "errors": {},
    "values": {},
}

# (name, template, context): each page in each state a member can see it in
FEEDBACK_SETTINGS = json.loads(CONFIG.as_environment(URL)["FEEDBACK_SETTINGS"])
FEEDBACK: dict[str, Any] = {
    "urgent_help": FEEDBACK_SETTINGS["urgent_help"],
    "first_response_days": FEEDBACK_SETTINGS["first_response_days"],
}
REF = "FB-K7QX-M2PA-W4ZC-T6RB"
FEEDBACK_FORM: dict[str, Any] = {
    **FEEDBACK,
    "title": "Tell us about your care",
    "values": {},
    "errors": {},
    "kinds": KINDS,
    "abouts": FEEDBACK_SETTINGS["about"],
    "categories": FEEDBACK_SETTINGS["categories"],
    "roles": ROLES,
    "ratings": RATINGS,
    "fft_question": FFT_QUESTION,
    "action": f"{URL}/feedback",
}
PAGES: list[tuple[str, str, dict[str, Any]]] = [
    ("signup", "signup", SIGNUP),
    (
        "signup with errors",
        "signup",
        {**SIGNUP, "errors": {"email": "Enter an email address, like name@example.com"}},
    ),
    (
        "signup with an address in the wrong format",
        "signup",
        {**SIGNUP, "errors": {"email": EMAIL_FORMAT}},
    ),
    (
        "signup with an address SES cannot send to",
        "signup",
        {**SIGNUP, "errors": {"email": EMAIL_NOT_ASCII}},
    ),
    (
        "signup sent",
        "signup_sent",
        {"title": "Check your email", "hours": 72, "signup_url": f"{URL}/members/signup"},
    ),
    (
        "confirm",
        "confirm",
        {"title": "Confirm that you want to join", "rejoin": False, "action": "/c", "token": "a.b"},
    ),
    (
        "confirm rejoin",
        "confirm",
        {"title": "Confirm that you want to rejoin", "rejoin": True, "action": "/c", "token": "a.b"},
    ),
    (
        "new email address",
        "email_change",
        {"title": "Use this email address?", "address": "a…@example.org", "action": "/c", "token": "a.b"},
    ),
    (
        "confirmed",
        "confirmed",
        {"title": "You are now a member", "outcome": "confirmed", "meeting": None, "meeting_when": None},
    ),
    (
        "confirmed with a meeting",
        "confirmed",
        {
            "title": "You are now a member",
            "outcome": "confirmed",
            "meeting": MEETING,
            "meeting_when": "Tuesday 12 January 2027, 12:30pm to 2pm",
        },
    ),
    (
        "already confirmed",
        "confirmed",
        {
            "title": "You are already a member",
            "outcome": "already_confirmed",
            "meeting": None,
            "meeting_when": None,
        },
    ),
    ("privacy", "privacy", PRIVACY),
    (
        "message",
        "message",
        {
            "title": "This link has expired",
            "paragraphs": ["Links to confirm work for 72 hours.", "Fill in the form again to get a new one."],
            "link_url": f"{URL}/members/signup",
            "link_text": "Go to the sign-up form",
        },
    ),
    ("preferences", "preferences", PREFERENCES),
    (
        "preferences with errors",
        "preferences",
        {
            **PREFERENCES,
            "banner": None,
            "errors": {"phone": "Enter a phone number"},
            "values": {"phone": "ring"},
        },
    ),
    ("export link opened", "export_ready", {"title": "See a copy of your data", "action": "/x"}),
    (
        "export",
        "export",
        {
            "title": "The information we hold about you",
            "sections": [
                Section("About you", [("Name", "Ann Example"), ("Phone number", "01908 660033")]),
                Section("Working groups", [], "You are not in any working group."),
            ],
            "exported_at": "2026-11-28T10:00:00Z",
            "action": "/x",
        },
    ),
    (
        "unsubscribe",
        "unsubscribe",
        {"title": "Stop emails", "done": False, "action": "/u", "signup_url": f"{URL}/members/signup"},
    ),
    (
        "unsubscribed",
        "unsubscribe",
        {
            "title": "You have unsubscribed",
            "done": True,
            "action": None,
            "signup_url": f"{URL}/members/signup",
            "removal_action": "/p",
            "grace_days": 30,
        },
    ),
    (
        "erase",
        "erase",
        {
            "title": "Delete your details",
            "done": False,
            "action": "/e",
            "after_erasure": PRIVACY["after_erasure"],
        },
    ),
    (
        "erased",
        "erase",
        {
            "title": "Your details have been deleted",
            "done": True,
            "action": None,
            "after_erasure": PRIVACY["after_erasure"],
        },
    ),
    ("feedback form", "feedback", FEEDBACK_FORM),
    (
        "feedback form with every error",
        "feedback",
        {
            **FEEDBACK_FORM,
            "errors": {name: "Put this right" for name in FeedbackForm.model_fields if name != "website"},
        },
    ),
    (
        "feedback sent",
        "feedback_sent",
        {
            **FEEDBACK,
            "title": "Thank you",
            "reference": REF,
            "urgent": False,
            "named": False,
            "status_url": f"{URL}/feedback/{REF}",
        },
    ),
    (
        "feedback sent, urgent",
        "feedback_sent",
        {
            **FEEDBACK,
            "title": "Thank you",
            "reference": REF,
            "urgent": True,
            "named": True,
            "status_url": f"{URL}/feedback/{REF}",
        },
    ),
    (
        "feedback status",
        "feedback_status",
        {
            **FEEDBACK,
            "title": f"Your feedback: {REF}",
            "item": PublicStatus(
                reference=REF,
                status="change_made",
                status_label="Change made",
                received_on="2026-11-28",
                public_response="The clinic now texts.\nThank you.",
            ),
        },
    ),
    (
        "feedback follow-up",
        "feedback_follow_up",
        {
            **FEEDBACK,
            "title": "Was the problem solved?",
            "reference": REF,
            "answers": ANSWERS,
            "answered": None,
            "just_answered": False,
            "reopened": False,
            "action": f"{URL}/x",
        },
    ),
    (
        "feedback follow-up answered",
        "feedback_follow_up",
        {
            **FEEDBACK,
            "title": "Thank you",
            "reference": REF,
            "answers": ANSWERS,
            "answered": "no",
            "just_answered": True,
            "reopened": True,
            "action": f"{URL}/x",
        },
    ),
]

_LINK = f"{URL}/members/x?token={TOKEN}"
# (name, template, context): each email in each of its forms
EMAILS: list[tuple[str, str, dict[str, Any]]] = [
    ("confirm", "confirm", {"confirm_url": _LINK, "hours": 72, "rejoin": False}),
    ("confirm rejoin", "confirm", {"confirm_url": _LINK, "hours": 72, "rejoin": True}),
    ("new address", "email_change", {"confirm_url": _LINK, "hours": 72, "by_member": True}),
    (
        "new address by an administrator",
        "email_change",
        {"confirm_url": _LINK, "hours": 72, "by_member": False},
    ),
    ("address changed", "email_changed", {"name": "Ann", "new_address": "a…@example.org"}),
    (
        "welcome with a meeting",
        "welcome",
        {
            "name": "Ann Example",
            "meeting": MEETING,
            "meeting_when": "Tuesday 12 January 2027, 12:30pm to 2pm",
            "preferences_url": _LINK,
            "unsubscribe_url": _LINK,
        },
    ),
    (
        "welcome without a meeting",
        "welcome",
        {
            "name": "Ann Example",
            "meeting": None,
            "meeting_when": None,
            "preferences_url": _LINK,
            "unsubscribe_url": _LINK,
        },
    ),
    (
        "already member",
        "already_member",
        {"name": "Ann Example", "preferences_url": _LINK, "signup_url": f"{URL}/members/signup"},
    ),
    ("preferences link", "preferences_link", {"name": "Ann Example", "preferences_url": _LINK, "days": 30}),
    ("export link", "export_link", {"name": "Ann Example", "url": _LINK, "hours": 24}),
    ("erase link", "erase_link", {"name": "Ann Example", "url": _LINK, "hours": 24}),
]
EMAIL_BASE: dict[str, Any] = {"group_name": CONFIG.group_name, "contact": CONTACT}
