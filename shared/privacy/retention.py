"""What the system keeps about people, for how long, and why: the one source of the privacy notice's
retention table (`pages/privacy.html`) and of the README's (`make readme` writes it; a unit test
fails when the two differ).

The table is the union of what each entry of the subject-rights register keeps
(`shared.privacy.register`: each capability registers its own rows and links, in
`shared/<capability>/privacy.py`) and of what the platform keeps, written here: the audit trail,
logs, traces, the firewall's log, SES's event messages and backups.

Each figure is read from the code that enforces it where `shared/` can see that code (the audit
TTL, each capability's TTLs and link lifetimes), or from the deployment configuration (log
retention, the unsubscribe grace period). The figures that live in `infra/` (backups, queues, the
firewall's logs) are written here once and tests/infra checks the synthesized template against
them, because `shared/` never imports `infra/`.

Plain words on purpose: members read the `what`, `kept` and `why` columns (reading age about 11);
`enforced_by` is for the README.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

from shared.audit import RETENTION as AUDIT_RETENTION

if TYPE_CHECKING:
    from shared.privacy.register import Holder

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


class Figures(NamedTuple):
    """The deployment's own figures the table quotes (cdk.json)."""

    log_retention_days: int
    unsubscribe_grace_days: int
    attendance_retention_days: int = 731


def registered(holders: Sequence[type[Holder]] | None) -> Sequence[type[Holder]]:
    """The register's entries: those given, or this function's (`PERSONAL_DATA`)."""
    if holders is not None:
        return holders
    from shared.privacy.register import holders_from_environment

    return holders_from_environment()


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


def platform_rows(figures: Figures) -> list[Kept]:
    """What every capability shares: the audit trail, logs, traces, the firewall's log, the queue of
    SES's bounce and complaint messages, and backups. The notice lists them after each capability's."""
    log_retention_days = figures.log_retention_days
    return [
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
            "The internet address of a computer that our firewall blocked (kept by AWS in the USA). "
            "Never for our feedback form: its firewall log leaves feedback out",
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


def retention(
    *,
    log_retention_days: int,
    unsubscribe_grace_days: int,
    attendance_retention_days: int = 731,
    holders: Sequence[type[Holder]] | None = None,
) -> list[Kept]:
    """Every kind of record the system holds about a person, in the order the notice lists them: what
    each entry of the subject-rights register keeps (`shared.privacy.register`), then the platform's."""
    figures = Figures(log_retention_days, unsubscribe_grace_days, attendance_retention_days)
    rows = [row for holder in registered(holders) for row in holder.retention(figures)]
    return rows + platform_rows(figures)


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


def link_lifetimes(holders: Sequence[type[Holder]] | None = None) -> list[LinkLife]:
    """How long each link in our emails works: what each entry of the register declares."""
    return [life for holder in registered(holders) for life in holder.links()]


def markdown(rows: list[Kept], lifetimes: list[LinkLife]) -> str:
    """The README's section: the same rows, with how each is enforced."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| data | kept | why | enforced by |", "|---|---|---|---|"]
    lines += [f"| {cell(r.what)} | {cell(r.kept)} | {cell(r.why)} | {cell(r.enforced_by)} |" for r in rows]
    lines += ["", "| link in an email | works for |", "|---|---|"]
    lines += [f"| {cell(life.what)} | {cell(life.works_for)} |" for life in lifetimes]
    return "\n".join(lines) + "\n"
