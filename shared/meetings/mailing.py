"""Reminders, updates, cancellations, announcements and report-back requests: planned by the schedule,
sent through the queue, exactly once per member.

**Planning** (`Planner.run`, the `meeting-reminders` schedule, every minute): for each meeting in the
next weeks it works out which reminder offset is due *now* and is the latest due (a meeting made 13
days ahead gets its 14-day reminder at once; once the 2-day one is due, the 14-day one is skipped and
counted, never sent late; none is sent once the meeting has started). It marks that offset planned on
the meeting, once (a conditional write: a schedule that fires twice, or late, plans nothing twice),
and puts a job on the mail queue. It does the same for a change whose quick edits have settled, for
report-back requests before a plenary, and for announcements whose time has come.

**Sending** (`Mailing.handle`, the queue's consumer): a job is one page of at most 25 recipients,
read from an index (never a scan), and the job for the next page is queued after it. Each page's
emails are claimed in one transaction, sent at the configured SES rate, and marked sent in one batch
(`shared.send_once.SendLedger.claim_many`): a retried or redelivered job sends nothing twice, and a
sender that died between claiming and sending leaves claims that the retry takes over once the
queue's visibility timeout has passed. A page re-reads the meeting first, so a job queued before a
change or a cancellation sends what is true now (or nothing, counted).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

from shared.clock import iso
from shared.email.mailer import CalendarPart, EmailNotSent, Mailer, OutgoingEmail
from shared.email.render import render_email
from shared.email.suppression import SuppressionList
from shared.email.unsubscribe import unsubscribe_url
from shared.errors import NotFound
from shared.groups import GroupRepository, GroupStatus
from shared.meetings import calendar, links
from shared.meetings.audience import Audiences
from shared.meetings.jobs import Jobs, MeetingSettings
from shared.meetings.models import Kind, Meeting, MeetingStatus, ReportBack
from shared.meetings.repository import MeetingRepository, expiry, listing_of
from shared.meetings.times import short_when
from shared.members.models import Member
from shared.members.repository import MemberRepository
from shared.observability import logger, metrics
from shared.send_once import SEND_HISTORY, SendKey, SendLedger
from shared.timefmt import meeting_when, parse_iso


def announcement_ref(announcement_id: str) -> str:
    """The `ref` an announcement's emails carry (`OutgoingEmail.ref`): its bounces are counted by it."""
    return f"announcement-{announcement_id}"


def latest_due(meeting: Meeting, offsets: list[int], now: datetime) -> tuple[int | None, list[int]]:
    """(the offset whose reminder is due now and latest, the earlier ones that are also due and so
    will never be sent). None when the meeting has started or no reminder is due yet."""
    start = parse_iso(meeting.starts_at)
    if now >= start:
        return None, [o for o in offsets if str(o) not in meeting.planned]
    due = sorted(o for o in offsets if now >= start - timedelta(days=o))
    if not due:
        return None, []
    return due[0], due[1:]


# a sender confirms its sends at least this often (seconds): the window in which one that dies could
# leave an email to be sent again by the retry
CONFIRM_EVERY = 1.0


class PageSent(NamedTuple):
    sent: int  # emails sent now
    held_back: int  # no address, or the address is suppressed
    already: int  # sent by an earlier try of this page (or claimed by a sender still within its lease)


class PlanReport(NamedTuple):
    queued: int
    skipped: int
    updates: int
    report_backs: int
    announcements: int


class Planner:
    def __init__(
        self, repo: MeetingRepository, groups: GroupRepository, jobs: Jobs, settings: MeetingSettings
    ) -> None:
        self._repo = repo
        self._groups = groups
        self._jobs = jobs
        self._settings = settings

    def run(self, now: datetime) -> PlanReport:
        """Queue what is due, then mark it planned. In that order: a run that fails before its jobs
        are queued marks nothing, so the next run (a minute later, or the retry) queues them again;
        a run that dies after queuing but before marking queues them twice, which sends nothing twice
        (each member's email is claimed in the send ledger)."""
        settings = self._settings
        horizon = max(max(settings.offsets), settings.report_back_days) + 1
        # a year ahead: a meeting far off may still have been told of, and moved since
        listed = self._repo.between_listed(
            iso(now - timedelta(days=1)), iso(now + timedelta(days=max(horizon, 366)))
        )
        public_groups = {g.id for g in self._groups.open() if g.public}
        planned: list[tuple[dict[str, Any], Callable[[], bool]]] = []
        queued = skipped = updates = report_backs = 0
        for meeting, in_listing in listed:
            wanted = listing_of(meeting, public_groups)
            if meeting.status is not MeetingStatus.SCHEDULED and in_listing is None:
                wanted = None  # a cancelled meeting never newly appears in the public feed
            if in_listing != wanted and meeting.starts_at >= iso(now):
                self._repo.relist(meeting, wanted)  # its group was made public, or private
            if meeting.status is not MeetingStatus.SCHEDULED:
                continue
            due, stale = latest_due(meeting, settings.offsets, now)
            for offset in stale:
                if self._repo.mark_planned(meeting.id, offset, f"skipped {iso(now)}"):
                    skipped += 1
            if due is not None and str(due) not in meeting.planned:
                planned.append(
                    (
                        {"job": "reminder", "meeting": meeting.id, "offset": due},
                        partial(self._repo.mark_planned, meeting.id, due, f"queued {iso(now)}"),
                    )
                )
                queued += 1
            change = meeting.pending_change
            settled = change is not None and now - parse_iso(change.last_edit_at) >= timedelta(
                minutes=settings.update_minutes
            )
            if settled:
                assert change is not None
                planned.append(
                    (
                        {
                            "job": "update",
                            "meeting": meeting.id,
                            "change": change.last_edit_at,
                            "before": change.before,
                        },
                        partial(self._repo.take_pending_change, meeting),
                    )
                )
                updates += 1
            if meeting.kind is Kind.PLENARY:
                report_backs += self._report_backs(meeting, now, planned)
        announcements = self._announcements(now, planned)
        self._jobs.put([job for job, _ in planned])
        for _, mark in planned:
            mark()  # False: another run marked it first (its jobs, like these, send nothing twice)
        if skipped:
            metrics.add_metric(name="RemindersSkippedAsStale", unit="Count", value=skipped)
        logger.info(
            "meeting run planned",
            extra={"queued": queued, "skipped": skipped, "updates": updates, "report_backs": report_backs},
        )
        return PlanReport(queued, skipped, updates, report_backs, announcements)

    def _report_backs(
        self, meeting: Meeting, now: datetime, planned: list[tuple[dict[str, Any], Callable[[], bool]]]
    ) -> int:
        settings = self._settings
        start = parse_iso(meeting.starts_at)
        if now < start - timedelta(days=settings.report_back_days) or now >= start:
            return 0
        asked = 0
        states = self._repo.report_backs(meeting.id)
        for group in self._groups.open():
            if not group.lead_member_id:
                continue
            state = states.get(group.id, ReportBack())
            if state.received_at:
                continue
            stage = (
                "ask"
                if not state.asked_at
                else "chase"
                if not state.chased_at
                and now >= parse_iso(state.asked_at) + timedelta(days=settings.chase_days)
                else None
            )
            if stage is None:
                continue
            field = "asked_at" if stage == "ask" else "chased_at"
            planned.append(
                (
                    {"job": "report_back", "meeting": meeting.id, "group": group.id, "stage": stage},
                    partial(self._repo.mark_report_back, meeting.id, group.id, field, now, once=True),
                )
            )
            asked += 1
        return asked

    def _announcements(self, now: datetime, planned: list[tuple[dict[str, Any], Callable[[], bool]]]) -> int:
        started = 0
        for announcement in self._repo.announcements():
            if announcement.status.value == "scheduled" and announcement.send_at <= iso(now):
                planned.append(
                    (
                        {"job": "announcement", "announcement": announcement.id},
                        partial(self._repo.mark_announcement, announcement.id, "sending", expect="scheduled"),
                    )
                )
                started += 1
        return started


def meeting_context(settings: MeetingSettings, meeting: Meeting) -> dict[str, Any]:
    return {
        "group_name": settings.group_name,
        "contact": settings.contact,
        "meeting": meeting,
        "when": meeting_when(meeting.starts_at, meeting.ends_at, settings.time_zone),
        "when_short": short_when(meeting.starts_at, settings.time_zone),
    }


def compose(
    settings: MeetingSettings,
    key: Any,
    meeting: Meeting,
    template: str,
    member: Member,
    now: datetime,
    **extra: Any,
) -> OutgoingEmail:
    """The email `member` gets about `meeting` (`reminder`, `update` or `cancelled`), with the
    meeting for their calendar in it: what the sender sends, and what the console previews."""
    assert member.email
    method, ics = calendar.invitation(
        meeting,
        attendee=member.email,
        organiser=settings.organiser,
        organiser_name=settings.group_name,
        time_zone=settings.time_zone,
        now=now,
    )
    unsubscribe = unsubscribe_url(settings.base_url, key, member, now)
    content = render_email(
        f"meetings/{template}",
        **meeting_context(settings, meeting),
        apologies_url=links.apologies_url(settings.base_url, key, member.id, meeting.id, now),
        unsubscribe_url=unsubscribe,
        **extra,
    )
    return OutgoingEmail(
        to=member.email,
        content=content,
        kind=f"meeting_{template}",
        unsubscribe_url=unsubscribe,
        calendar=CalendarPart(method, ics),
    )


class PageReport(NamedTuple):
    sent: int
    skipped: int  # suppressed, not opted in, no email, or the job is no longer true
    next_page: bool


class Mailing:
    """The mail queue's consumer: one page of one job."""

    def __init__(
        self,
        *,
        repo: MeetingRepository,
        audiences: Audiences,
        members: MemberRepository,
        groups: GroupRepository,
        ledger: SendLedger,
        mailer: Mailer,
        suppressions: SuppressionList,
        signing_key: Callable[[], Any],
        jobs: Jobs,
        settings: MeetingSettings,
        lease: timedelta,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._repo = repo
        self._audiences = audiences
        self._members = members
        self._groups = groups
        self._ledger = ledger
        self._mailer = mailer
        self._suppressions = suppressions
        self._key = signing_key
        self._jobs = jobs
        self._settings = settings
        self._lease = lease
        self._sleep = sleep

    def handle(self, job: dict[str, Any], now: datetime) -> PageReport:
        """One page of `job`. A job about a meeting, group or announcement that no longer exists
        (erased, or never was) is done: it is logged and dropped, never retried for ever."""
        try:
            return self._handle(job, now)
        except NotFound:
            logger.warning(
                "mail job about something that no longer exists: dropped", extra={"job": job.get("job")}
            )
            return PageReport(0, 0, False)

    def _handle(self, job: dict[str, Any], now: datetime) -> PageReport:
        kind = job.get("job")
        if kind == "reminder":
            return self._reminder(job, now)
        if kind in ("update", "cancel"):
            return self._told_again(job, now)
        if kind == "announcement":
            return self._announcement(job, now)
        if kind == "report_back":
            return self._report_back(job, now)
        raise ValueError(f"unknown mail job {kind!r}")

    # --- the parts of every email ------------------------------------------------------------

    def _context(self, meeting: Meeting) -> dict[str, Any]:
        return meeting_context(self._settings, meeting)

    def compose(
        self, meeting: Meeting, template: str, member: Member, now: datetime, **extra: Any
    ) -> OutgoingEmail:
        return compose(self._settings, self._key(), meeting, template, member, now, **extra)

    def _send_page(
        self,
        members: list[Member],
        key_of: Callable[[Member], SendKey],
        email_of: Callable[[Member], OutgoingEmail],
        now: datetime,
        after: Callable[[list[Member]], list[dict[str, Any]]] = lambda sent: [],
        keep: timedelta = SEND_HISTORY,
    ) -> PageSent:
        """Send each member their email at most once: claim the page, send, mark them sent.

        Sends are confirmed at least every `CONFIRM_EVERY` seconds (and at the end of the page), so a
        sender that dies between SES accepting an email and its confirmation leaves at most about a
        second of emails that a retry, after the lease, could send again. `keep`: how long the
        ledger remembers a send (a meeting's emails: until its records go, however far it moves)."""
        reachable = [m for m in members if m.email and m.lookup_id]
        suppressed = self._suppressions.suppressed_among([m.lookup_id for m in reachable if m.lookup_id])
        allowed = [m for m in reachable if m.lookup_id not in suppressed]
        keys = {key_of(m): m for m in allowed}
        claimed = self._ledger.claim_many(list(keys), now, lease=self._lease, keep=keep) if keys else []
        sent: list[SendKey] = []
        unconfirmed: list[SendKey] = []
        failed: list[SendKey] = []
        gap = self._settings.senders / self._settings.email_per_second
        confirmed_at = self._monotonic()

        def confirm() -> None:
            if unconfirmed:
                marks = self._ledger.confirm_many(unconfirmed, now, keep=keep)
                self._repo.write(marks + after([keys[k] for k in unconfirmed]))
                unconfirmed.clear()

        for n, key in enumerate(claimed):
            if n:
                self._sleep(gap)  # SES's sending rate, shared by the senders that may run at once
            try:
                self._mailer.send(email_of(keys[key]), suppression_checked=True)
                sent.append(key)
                unconfirmed.append(key)
            except EmailNotSent:
                failed.append(key)
            if self._monotonic() - confirmed_at >= CONFIRM_EVERY:
                confirm()
                confirmed_at = self._monotonic()
        confirm()
        if failed:  # let the message come back for these alone: their claims go
            self._ledger.release_many(failed)
            raise EmailNotSent(f"{len(failed)} of {len(claimed)} emails were not sent")
        return PageSent(len(sent), len(members) - len(allowed), len(keys) - len(claimed))

    def _keep(self, meeting: Meeting, now: datetime) -> timedelta:
        """How long the ledger remembers a meeting's sends: as long as the meeting's own records, so
        a meeting moved months later never sends a reminder its members already had."""
        ends = parse_iso(meeting.ends_at) + timedelta(days=self._settings.retention_days)
        return max(SEND_HISTORY, ends - now)

    def _next(self, job: dict[str, Any], cursor: dict[str, Any] | None) -> bool:
        if cursor is None:
            return False
        self._jobs.put([{**job, "cursor": cursor}])
        return True

    # --- jobs --------------------------------------------------------------------------------

    def _reminder(self, job: dict[str, Any], now: datetime) -> PageReport:
        meeting = self._repo.get(str(job["meeting"]))
        offset = int(job["offset"])
        due, _ = latest_due(meeting, self._settings.offsets, now)
        if meeting.status is not MeetingStatus.SCHEDULED or due != offset:
            # cancelled, started, or a later reminder is due now: this one would only mislead
            logger.info(
                "reminder job no longer true: skipped", extra={"meeting_id": meeting.id, "offset": offset}
            )
            metrics.add_metric(name="RemindersSkippedAsStale", unit="Count", value=1)
            return PageReport(0, 0, False)
        page = self._audiences.page(meeting.audience, job.get("cursor"))
        wanting = [m for m in page.members if m.preferences.meeting_reminders]
        expires = expiry(meeting.ends_at, self._settings.retention_days)
        days = days_until(meeting.starts_at, now, self._settings.time_zone)

        def key(member: Member) -> SendKey:
            return SendKey(f"PERSON#{member.id}", "meeting", f"{meeting.id}#reminder#{offset}")

        done = self._send_page(
            wanting,
            key,
            lambda m: self.compose(meeting, "reminder", m, now, days=days),
            now,
            after=lambda done: self._repo.told_items(
                meeting, [m.id for m in done], f"reminder {offset}", now, expires
            ),
            keep=self._keep(meeting, now),
        )
        skipped = done.held_back + done.already + len(page.members) - len(wanting)
        return PageReport(done.sent, skipped, self._next(job, page.cursor))

    def _told_again(self, job: dict[str, Any], now: datetime) -> PageReport:
        """An update, or a cancellation: to everyone already told of the meeting."""
        meeting = self._repo.get(str(job["meeting"]))
        cancelling = job["job"] == "cancel"
        if cancelling != (meeting.status is MeetingStatus.CANCELLED) or parse_iso(meeting.ends_at) < now:
            return PageReport(0, 0, False)
        told, last = self._repo.told_page(meeting.id, job.get("cursor"), 25)
        members = self._members.get_many(told, now) if told else []
        occurrence = "cancel" if cancelling else f"update#{job['change']}"
        changes = (
            [] if cancelling else describe_changes(job.get("before") or {}, meeting, self._settings.time_zone)
        )
        expires = expiry(meeting.ends_at, self._settings.retention_days)

        def key(member: Member) -> SendKey:
            return SendKey(f"PERSON#{member.id}", "meeting", f"{meeting.id}#{occurrence}")

        done = self._send_page(
            members,
            key,
            lambda m: self.compose(meeting, "cancelled" if cancelling else "update", m, now, changes=changes),
            now,
            after=lambda sent: self._repo.told_items(
                meeting, [m.id for m in sent], "cancellation" if cancelling else "update", now, expires
            ),
            keep=self._keep(meeting, now),
        )
        return PageReport(done.sent, done.held_back + done.already, self._next(job, last))

    def _announcement(self, job: dict[str, Any], now: datetime) -> PageReport:
        announcement = self._repo.announcement(str(job["announcement"]))
        page = self._audiences.page(announcement.audience, job.get("cursor"))
        members = [
            m
            for m in page.members
            if announcement.audience.type != "newsletters" or m.preferences.newsletters
        ]
        without_email = sum(1 for m in members if not m.email)
        settings = self._settings
        key_ = self._key()

        def email(member: Member) -> OutgoingEmail:
            assert member.email
            url = unsubscribe_url(settings.base_url, key_, member, now)
            content = render_email(
                "meetings/announcement",
                group_name=settings.group_name,
                contact=settings.contact,
                announcement=announcement,
                unsubscribe_url=url,
            )
            return OutgoingEmail(
                to=member.email,
                content=content,
                kind="announcement",
                unsubscribe_url=url,
                ref=announcement_ref(announcement.id),
            )

        def key(member: Member) -> SendKey:
            return SendKey(f"PERSON#{member.id}", "announcement", announcement.id)

        done = self._send_page(members, key, email, now)
        # counted once per page, when it has all gone (a retried page counts what earlier tries sent)
        page_id = hashlib.sha256(json.dumps(job.get("cursor"), sort_keys=True).encode()).hexdigest()[:32]
        self._repo.count_announcement(
            announcement.id, page_id, done.sent + done.already, done.held_back - without_email, without_email
        )
        more = self._next(job, page.cursor)
        if not more:  # "sending" as a rule; "scheduled" if this ran before the planner marked it
            for was in ("sending", "scheduled"):
                if self._repo.mark_announcement(announcement.id, "sent", expect=was):
                    break
        return PageReport(done.sent, done.held_back + done.already, more)

    def _report_back(self, job: dict[str, Any], now: datetime) -> PageReport:
        meeting = self._repo.get(str(job["meeting"]))
        group = self._groups.get(str(job["group"]))
        if meeting.status is not MeetingStatus.SCHEDULED or group.status is not GroupStatus.OPEN:
            return PageReport(0, 0, False)
        lead = self._members.get(group.lead_member_id, now) if group.lead_member_id else None
        if lead is None or not lead.email:
            return PageReport(0, 1, False)
        stage = str(job["stage"])
        settings = self._settings
        key_ = self._key()

        def email(member: Member) -> OutgoingEmail:
            assert member.email
            url = unsubscribe_url(settings.base_url, key_, member, now)
            content = render_email(
                "meetings/report_back",
                **self._context(meeting),
                group=group,
                chase=stage == "chase",
                unsubscribe_url=url,
            )
            return OutgoingEmail(to=member.email, content=content, kind="report_back", unsubscribe_url=url)

        def key(member: Member) -> SendKey:
            return SendKey(f"PERSON#{member.id}", "meeting", f"{meeting.id}#report_back#{group.id}#{stage}")

        done = self._send_page([lead], key, email, now, keep=self._keep(meeting, now))
        return PageReport(done.sent, done.held_back + done.already, False)


def describe_changes(before: dict[str, Any], meeting: Meeting, time_zone: str) -> list[dict[str, str]]:
    """What changed, old and new, as the update email says it."""
    changes = []
    if before.get("starts_at") != meeting.starts_at or before.get("ends_at") != meeting.ends_at:
        changes.append(
            {
                "what": "The time",
                "before": meeting_when(str(before.get("starts_at")), before.get("ends_at"), time_zone)
                if before.get("starts_at")
                else "not set",
                "after": meeting_when(meeting.starts_at, meeting.ends_at, time_zone),
            }
        )
    old_place = before.get("location") or {}
    if old_place != meeting.location.model_dump(mode="json"):
        from shared.meetings.models import Location

        changes.append(
            {
                "what": "The place",
                "before": Location.model_validate(old_place).one_line() if old_place else "not set",
                "after": meeting.location.one_line(),
            }
        )
    if before.get("online_link") != meeting.online_link:
        changes.append(
            {
                "what": "The joining link",
                "before": before.get("online_link") or "none",
                "after": meeting.online_link or "none: the meeting is in person only",
            }
        )
    return changes


def days_until(moment: str, now: datetime, time_zone: str) -> int:
    """Whole days from today to the meeting's day, in London ("tomorrow" is 1)."""
    from shared.meetings.times import local

    return (local(moment, time_zone).date() - local(now, time_zone).date()).days
