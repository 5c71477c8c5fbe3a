"""What the system keeps about people, for how long, and why: the one source of the privacy notice's
retention table (`pages/privacy.html`) and of the README's (`make readme` writes it; a unit test
fails when the two differ).

Each figure is read from the code that enforces it where `shared/` can see that code (the pending
sign-up TTL, the audit TTL, the soft-bounce window, the send ledger, the link lifetimes), or from the
deployment configuration (log retention, the unsubscribe grace period). The figures that live in
`infra/` (backups, queues, the firewall's logs) are written here once and tests/infra checks the
synthesized template against them, because `shared/` never imports `infra/`.

Plain words on purpose: members read the `what`, `kept` and `why` columns (reading age about 11);
`enforced_by` is for the README.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from shared.audit import RETENTION as AUDIT_RETENTION
from shared.members import links
from shared.members.service import PENDING_LIFETIME, SIGNUP_IDEMPOTENCY_WINDOW
from shared.members.suppression import SOFT_BOUNCE_WINDOW
from shared.members.unsubscribed import UNSUBSCRIBED_RETENTION
from shared.send_once import SEND_HISTORY

# Enforced in infra/ and checked against the synthesized template by tests/infra/test_retention.py
BACKUP_DAYS = 35  # point-in-time recovery window, and the AWS Backup plan's DeleteAfterDays
EMAIL_EVENT_QUEUE_DAYS = 4  # infra.declaration.SES_EVENTS.retention_days
DEAD_LETTER_DAYS = 14  # infra.constructs.queues.DLQ_RETENTION
FIREWALL_LOG_DAYS = 30  # the WAF log group (infra/constructs/edge.py)
# Set by AWS, not by us: X-Ray keeps trace data 30 days and offers no setting to change it. Every
# function has Lambda's active tracing (infra/constructs/function.py), with no X-Ray SDK inside the
# function: a trace records each invocation's timing and whether it failed, never a request body or
# a table key. The notice still says a trace may hold a member's code number, to stay on the safe side.
TRACE_DAYS = 30


class Kept(NamedTuple):
    what: str
    kept: str
    why: str
    enforced_by: str


class LinkLife(NamedTuple):
    what: str
    works_for: str


def span(duration: timedelta) -> str:
    """'10 minutes', '72 hours', '7 days', '2 years': the largest whole unit, as people say it (hours
    up to 3 days, as the emails give a link's life)."""
    seconds = int(duration.total_seconds())
    units = (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))
    for unit, size in units:
        if unit == "day" and seconds <= 3 * 86400:
            continue
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def days(count: int) -> str:
    return span(timedelta(days=count))


def retention(*, log_retention_days: int, unsubscribe_grace_days: int) -> list[Kept]:
    """Every kind of record the system holds about a person, in the order the notice lists them."""
    return [
        Kept(
            "Your sign-up, if you do not confirm it",
            span(PENDING_LIFETIME),
            "A sign-up that nobody confirms is deleted.",
            "DynamoDB TTL on the profile and the address pointer (`PENDING_LIFETIME`)",
        ),
        Kept(
            "Your details while you are a member: your name, email, phone, postal address (if you have "
            "no email), group, role and choices, "
            "and what you agreed to",
            "While you are a member",
            "So we can send you our news. You can ask us to delete them at any time.",
            "erasure on request (self-service or admin)",
        ),
        Kept(
            "Your details after you unsubscribe, and your role (if you are a patient or carer). If you "
            "mark one of our emails as spam, we take it that you want to unsubscribe",
            f"{days(unsubscribe_grace_days)} after you unsubscribe",
            "So you can change your mind and come back. Then we delete them.",
            "the nightly `member_retention` schedule (`unsubscribe_grace_days`); at once on request from "
            "the unsubscribe page; a complaint unsubscribes (`shared/members/unsubscribed.py` "
            "`unsubscribe_on_complaint`)",
        ),
        Kept(
            "Your details, if our emails to you stop arriving (they bounce)",
            "While you are a member",
            "You did not ask to leave. Our admins can see that our emails to you stopped, so they "
            "can put it right with you. If you had not yet confirmed that you want to join, we still "
            f"delete your sign-up after {span(PENDING_LIFETIME)}.",
            "no TTL for a confirmed member: `suppressed` (`MemberRepository.mark_suppressed`), listed on "
            "the console's home page (needs attention) until an administrator lifts the suppression or "
            "erases them; a pending sign-up keeps its `PENDING_LIFETIME` TTL",
        ),
        Kept(
            "After we remove your details: a code made from your email address (not the address "
            "itself), when you joined, when you agreed to hear from us, and when you said stop. Nothing "
            "that says you are a patient or carer",
            f"{span(UNSUBSCRIBED_RETENTION)} after you unsubscribe",
            "So we do not email you again, and can show what you agreed to.",
            "TTL on the record (`shared/members/unsubscribed.py` `UNSUBSCRIBED_RETENTION`)",
        ),
        Kept(
            "A code made from your email address (not the address itself), if our emails to you bounce "
            "or are marked as spam",
            "Until we know it is safe to email you",
            "So we do not email you when our emails do not arrive, or when you said they were spam.",
            "no TTL: kept after erasure as a keyed hash with no member id; an administrator lifts a "
            "bounce or complaint suppression",
        ),
        Kept(
            "Your email address, on the block list of Amazon's email service, if our emails to you "
            "bounce or are marked as spam",
            "Until we lift the block or delete your details; if you never confirmed your sign-up, "
            "until our nightly check after it expires",
            "Amazon keeps this list itself, so that it sends nothing to that address.",
            "SES's account-level suppression list (the configuration set's suppression options); "
            "`shared/email/account_suppression.py` takes the address off it when a suppression is "
            "lifted, a member is erased or a profile is removed, and the nightly retention run takes "
            "off every address we blocked that no record holds (`Retention.release_unheld_addresses`)",
        ),
        Kept(
            "A count of emails to you that did not arrive for a short time (for example, a full inbox)",
            f"{span(SOFT_BOUNCE_WINDOW)} after the last one",
            "If it happens 3 times, we stop emailing that address.",
            "TTL (`SOFT_BOUNCE_WINDOW`)",
        ),
        Kept(
            "A note of which emails we sent you, and when",
            span(SEND_HISTORY),
            "So we do not send you the same email twice.",
            "TTL (`shared/send_once.py` `SEND_HISTORY`); erased with the member",
        ),
        Kept(
            "A short coded record of a sign-up form, with nothing in it that a person could read",
            span(SIGNUP_IDEMPOTENCY_WINDOW),
            "So pressing Join twice does not sign you up twice.",
            "Powertools' idempotency expiry, then TTL",
        ),
        Kept(
            "A record of what was done with your details, such as an admin changing them or you "
            "deleting them: who did it, what kind of change and when. It has the code number we gave "
            "you, but not your name, email or other details",
            span(AUDIT_RETENTION),
            "So we can check that your details were looked after. It stays when we delete your details.",
            "TTL on the audit table (`shared/audit.py` `RETENTION`); erasure keeps it (ids, actions, "
            "field names)",
        ),
        Kept(
            "System logs, with no names, email addresses, phone numbers or roles in them. They may "
            "have the code number we gave you",
            days(log_retention_days),
            "To find and fix faults.",
            "CloudWatch Logs retention (`log_retention_days`)",
        ),
        Kept(
            "Records of how our system ran (traces), with no names or email addresses in them. They "
            "may have the code number we gave you",
            days(TRACE_DAYS),
            "To find and fix faults. Amazon sets how long they are kept.",
            "AWS X-Ray's fixed retention (Lambda active tracing; no setting)",
        ),
        Kept(
            "The internet address of a computer that our firewall blocked (kept by AWS in the USA)",
            days(FIREWALL_LOG_DAYS),
            "To stop attacks on our forms.",
            "CloudWatch Logs retention of the WAF log group",
        ),
        Kept(
            "Messages from Amazon about emails that bounced or were marked as spam (they hold the email "
            "address)",
            f"{days(EMAIL_EVENT_QUEUE_DAYS)}, or {days(DEAD_LETTER_DAYS)} if one cannot be dealt with",
            "So we can act on each one, and fix a fault without losing any.",
            "SQS message retention (the queue, and its dead-letter queue)",
        ),
        Kept(
            "Backups of all of the above",
            days(BACKUP_DAYS),
            "So we can put things back if something goes wrong. When we delete your details, they "
            f"leave the backups within {days(BACKUP_DAYS)}.",
            "the DynamoDB point-in-time recovery window and the AWS Backup plan's lifecycle",
        ),
    ]


def after_erasure(*, log_retention_days: int) -> list[str]:
    """What stays for a while once a member's details are deleted, in the words the erase pages and
    the notice use: the same figures as the table."""
    return [
        f"A record that your details were deleted, and of what was done with them before. It has the "
        f"code number we gave you, but not your name or email. We keep it for {span(AUDIT_RETENTION)}.",
        f"Our system logs, which may have that code number, for {days(log_retention_days)}.",
        f"Records of how our system ran, which may have that code number, for {days(TRACE_DAYS)}.",
        f"Our backups, which have a copy of your details, for {days(BACKUP_DAYS)}.",
        "If our emails to you bounced or were marked as spam, a code made from your email address. "
        "It is not the address itself. It stops us emailing that address again.",
    ]


def link_lifetimes() -> list[LinkLife]:
    """How long each link in our emails works (`shared/members/links.py`)."""
    return [
        LinkLife("The link to confirm that you want to join", span(links.CONFIRM.lifetime)),
        LinkLife("The link to change your choices", span(links.PREFERENCES.lifetime)),
        LinkLife("The link to stop our emails", span(links.UNSUBSCRIBE.lifetime)),
        LinkLife("The link to get a copy of your details", span(links.EXPORT.lifetime)),
        LinkLife("The link to delete your details", span(links.ERASE.lifetime)),
    ]


def markdown(rows: list[Kept], lifetimes: list[LinkLife]) -> str:
    """The README's section: the same rows, with how each is enforced."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| data | kept | why | enforced by |", "|---|---|---|---|"]
    lines += [f"| {cell(r.what)} | {cell(r.kept)} | {cell(r.why)} | {cell(r.enforced_by)} |" for r in rows]
    lines += ["", "| link in an email | works for |", "|---|---|"]
    lines += [f"| {cell(life.what)} | {cell(life.works_for)} |" for life in lifetimes]
    return "\n".join(lines) + "\n"
