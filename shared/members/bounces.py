"""What a bounce or a complaint means for a member (the SES events themselves, and the suppression
list they feed, are every mailer's: `shared.email.events`, `shared.email.suppression`)."""

from datetime import datetime

from shared.email.events import SesEvent, SuppressionOutcome, apply_event
from shared.email.suppression import SuppressionList
from shared.members.repository import MemberRepository
from shared.members.unsubscribed import unsubscribe_on_complaint


def record_event(
    event: SesEvent,
    suppressions: SuppressionList,
    members: MemberRepository,
    now: datetime,
    notice_version: str,
) -> SuppressionOutcome:
    """Apply an SES event: suppress or count each recipient, then update the member holding each
    suppressed address (a repeat is harmless, so a retried or redelivered event finishes the job).

    What happens to the member is the rule for how long their details are kept:
    - a complaint unsubscribes them (`unsubscribe_on_complaint`): marking our email as spam says
      "stop", so the grace period, the profile's removal and the year's retention follow;
    - a hard bounce, or 3 soft bounces, marks them `suppressed` (`mark_suppressed`): they did not ask
      to leave, their address just does not work. They stay a member, kept as any member is, listed on
      the console's home page ("needs attention") until an administrator lifts the suppression (a
      fixed address) or erases them. An unconfirmed sign-up still expires after 7 days."""
    outcome = apply_event(event, suppressions, now)
    for lookup_id in outcome.suppressed:
        if lookup_id in outcome.complained:
            unsubscribe_on_complaint(members, lookup_id, now, notice_version)
        else:
            members.mark_suppressed(lookup_id, now)
    return outcome
