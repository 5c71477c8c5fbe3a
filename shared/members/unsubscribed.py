"""What is kept after someone unsubscribes, and for how long.

Unsubscribing stops every email at once. For a short grace period (`unsubscribe_grace_days`, 30 by
default) the record stays as it was, so someone who unsubscribed by mistake can rejoin and find their
details as they left them. When the grace period ends, or at once when they ask, the profile is
removed: their name, email address, phone, postal address, organisation, working groups and role (a
patient or carer role is health data) go, with any rejoin request nobody confirmed, and their
health-data consent records (which would still say that they were a patient or carer). The address
also leaves SES's own suppression list (`shared.email.account_suppression`).

What stays is what honours their wish not to be contacted, keyed by the address's keyed hash and never
the address: the address pointer and the `unsubscribed` status (so a sign-up with that address asks its
owner to confirm a rejoin rather than silently starting again), the records of their agreement to be
contacted (the evidence of what they agreed to), and the dates. The whole record is purged a year
after the unsubscribe (TTL, `UNSUBSCRIBED_RETENTION`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shared.audit import AuditTrail
from shared.clock import epoch, iso
from shared.consent import Channel, consent
from shared.email.account_suppression import AccountSuppressionList
from shared.email.suppression import address_lookup_id
from shared.keys import AddressLookup
from shared.members import links as purposes
from shared.members.models import Member, MemberStatus, Role
from shared.members.repository import Change, MemberRepository, StaleMember
from shared.observability import logger, metrics

DEFAULT_GRACE = timedelta(days=30)
# an unsubscribed member's record (what stays once the profile is removed) is purged by TTL after this
UNSUBSCRIBED_RETENTION = timedelta(days=365)
RETENTION_ACTOR = "retention"
# the suppression sweep stops when less than this is left of the invocation, so it always ends cleanly
SWEEP_MARGIN_SECONDS = 5.0


def unsubscribing(current: Member, now: datetime, notice_version: str, channel: Channel) -> dict[str, Any]:
    """The changes that unsubscribe `current`, who is active or pending (or suppressed, having been
    one of those): nothing more is sent; the withdrawal of their agreement to be contacted is recorded
    (`given: false`, when, how, under the notice shown now), as any consent is; an active member's
    record is kept a year (so an unsubscribe is remembered and can be undone), then purged; an
    unconfirmed sign-up keeps its 7-day expiry."""
    suppressed = current.status is MemberStatus.SUPPRESSED
    was = current.status_before_suppression if suppressed else current.status
    kept_until = epoch(now + UNSUBSCRIBED_RETENTION) if was is MemberStatus.ACTIVE else current.expires_at
    return {
        "status": MemberStatus.UNSUBSCRIBED,
        "consents": [*current.consents, consent("contact", notice_version, channel, now, given=False)],
        "unsubscribed_at": iso(now),
        "expires_at": kept_until,
        "confirm_nonce": None,
        "rejoin": None,
        "status_before_suppression": None,
    }


def unsubscribe_on_complaint(
    members: MemberRepository, lookup_id: str, now: datetime, notice_version: str
) -> bool:
    """A spam complaint is an unsubscribe. Marking our email as spam is how many people say "stop"
    (mail providers' feedback loops, RFC 6449, report it; senders are expected to treat it as an
    unsubscribe), so the member holding the address is unsubscribed as if they had pressed the link:
    the grace period, the removal of their profile and the year's retention then apply, instead of
    their whole profile being kept, suppressed, with no end. Active, pending and suppressed members
    are unsubscribed; one already unsubscribed stays so. Safe to repeat (SQS may redeliver).
    Returns whether this call unsubscribed them."""
    member = members.find_by_lookup_id(lookup_id, now)
    if member is None:
        return False
    done = False

    def apply(current: Member) -> Change | None:
        nonlocal done
        if current.status is MemberStatus.UNSUBSCRIBED:
            return None
        if current.status is MemberStatus.SUPPRESSED and current.status_before_suppression not in (
            MemberStatus.ACTIVE,
            MemberStatus.PENDING,
        ):
            return None
        done = True
        return Change(current.working_groups, unsubscribing(current, now, notice_version, "spam_report"))

    members.change(member.id, now, apply)
    if done:
        logger.info("member unsubscribed: their address complained", extra={"member_id": member.id})
        metrics.add_metric(name="MemberUnsubscribedByComplaint", unit="Count", value=1)
    return done


def rejoin_in_progress(member: Member, now: datetime) -> bool:
    """A rejoin was asked for recently enough that its confirmation link still works: the owner may be
    about to confirm. (Its consents are recorded when it is asked for, with the confirmation sent.)"""
    if member.rejoin is None or not member.rejoin.consents:
        return False
    asked = max(c.at for c in member.rejoin.consents)
    return asked > iso(now - purposes.CONFIRM.lifetime)


def lapsed(member: Member, now: datetime, grace: timedelta) -> bool:
    """The grace period after unsubscribing is over, and something is still held beyond what stays."""
    return (
        member.status is MemberStatus.UNSUBSCRIBED
        and member.unsubscribed_at is not None
        and member.unsubscribed_at <= iso(now - grace)
        and (member.profile_removed_at is None or member.rejoin is not None or member.email is not None)
        and not rejoin_in_progress(member, now)
    )


def profile_removed(member: Member, now: datetime) -> dict[str, Any]:
    """The changes that remove an unsubscribed member's profile. Their health-data consent records
    go too: a record that they agreed we may hold that they are a patient or carer says that they
    once were one. The records of their agreement to be contacted stay, as evidence."""
    return {
        "consents": [c for c in member.consents if c.kind != "health_data"],
        "name": None,
        "email": None,
        "phone": None,
        "postal_address": None,
        "organisation": None,
        "role": Role.NOT_STATED,
        "rejoin": None,
        "confirm_nonce": None,
        "profile_removed_at": iso(now),
    }


def removable(member: Member, now: datetime, grace: timedelta | None) -> bool:
    return member.status is MemberStatus.UNSUBSCRIBED and (grace is None or lapsed(member, now, grace))


def remove_profile(
    members: MemberRepository,
    account_suppressions: AccountSuppressionList,
    member_id: str,
    now: datetime,
    grace: timedelta | None,
) -> bool:
    """Remove the profile of an unsubscribed member, decided on the record as stored now; returns
    False if there was nothing to remove (or they are no longer unsubscribed). `grace=None`: they
    asked, so the grace period does not apply.

    First, while the record still holds it, the address leaves SES's account-level suppression list
    (an address that complained is on it): Amazon must not keep the address once we have removed it.
    Our keyed-hash suppression entry, if any, stays and keeps stopping our emails."""
    before = members.require(member_id, now)
    if not removable(before, now, grace):
        return False
    account_suppressions.remove(before.email)
    done = False

    def apply(current: Member) -> Change | None:
        nonlocal done
        if not removable(current, now, grace):
            return None
        done = True
        return Change([], profile_removed(current, now))

    members.change(member_id, now, apply)
    return done


class SweepIncomplete(RuntimeError):
    """Some addresses on SES's suppression list could not be checked or released this run."""


class Retention:
    """The daily run: removes the profiles whose grace period has ended, and takes off SES's
    suppression list every address that belongs to no member we hold."""

    def __init__(
        self,
        *,
        members: MemberRepository,
        audit: AuditTrail,
        account_suppressions: AccountSuppressionList,
        lookup: AddressLookup,
        grace: timedelta = DEFAULT_GRACE,
    ):
        self._members = members
        self._audit = audit
        self._account_suppressions = account_suppressions
        self._lookup = lookup  # the email-lookup key: finds an address's records by its keyed hash
        self._grace = grace

    def release_unheld_addresses(self, now: datetime, time_left: Callable[[], float] = lambda: 60.0) -> int:
        """Take off SES's account-level suppression list each address that we suppressed and that
        no member we hold has.

        SES lists an address itself when our email to it bounces or is marked as spam. Erasure,
        profile removal and lifting a suppression take it off, but a sign-up that bounced and was
        never confirmed simply expires (TTL), and Amazon would keep that address for ever. Here each
        listed address is looked up by its keyed hash, in one read of its pointer and our own
        suppression entry. It leaves the list if we suppressed it (so it bounced or complained on our
        email: an address another system in the same AWS account blocked is never touched) and no
        current record holds it. Our own entry (the keyed hash alone) stays, so it is still never
        emailed.

        Safe to repeat, and one address never stops the night's work: one that cannot be checked
        or removed is counted and left, the others go on, and then `SweepIncomplete` fails the
        invocation so that it is retried (and alarms if it keeps failing). The run stops while
        `time_left()` (seconds) still leaves room to finish. Counts are logged, never an address,
        and never an error's text (SES's can quote the address)."""
        listed = list(self._account_suppressions.addresses())  # all first: removing changes pages
        released = failed = 0
        for checked, address in enumerate(listed):
            if time_left() < SWEEP_MARGIN_SECONDS:
                logger.warning(
                    "suppression sweep stopped for time", extra={"unchecked": len(listed) - checked}
                )
                break
            try:
                lookup_id = address_lookup_id(self._lookup, address)
                held, ours = self._members.holds_with_suppression(lookup_id, now)
                if held or not ours:
                    continue  # held (lifting the block or erasing the member takes it off), or not ours
                if self._account_suppressions.remove(address):
                    released += 1
            except Exception as exc:  # one address must not stop the rest
                failed += 1
                logger.warning("address left for the next run", extra={"error": type(exc).__name__})
        logger.info(
            "addresses no member has taken off SES's suppression list",
            extra={"listed": len(listed), "released": released, "failed": failed},
        )
        metrics.add_metric(name="SesSuppressionsReleased", unit="Count", value=released)
        if failed:
            metrics.add_metric(name="SesSuppressionReleaseFailed", unit="Count", value=failed)
            # after the rest are done: the invocation fails, so Lambda tries again, and if it keeps
            # failing its dead-letter queue's alarm tells the coordinators (a count, no address)
            raise SweepIncomplete(f"{failed} of {len(listed)} addresses could not be checked or released")
        return released

    def run(self, now: datetime) -> int:
        removed = 0
        for member in self._members.unsubscribed_before(iso(now - self._grace), now):
            if not lapsed(member, now, self._grace):
                continue
            try:
                if not remove_profile(self._members, self._account_suppressions, member.id, now, self._grace):
                    continue
            except StaleMember:
                logger.info(
                    "profile changed during removal; tomorrow's run retries", extra={"member_id": member.id}
                )
                continue
            self._audit.record(
                actor=RETENTION_ACTOR, action="member.profile_removed", target=f"MEMBER#{member.id}", now=now
            )
            removed += 1
        logger.info("unsubscribed profiles removed after the grace period", extra={"removed": removed})
        metrics.add_metric(name="ProfilesRemoved", unit="Count", value=removed)
        return removed
