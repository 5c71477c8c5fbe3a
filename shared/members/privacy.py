"""What the members capability holds about people, as an entry of the subject-rights register
(`shared.privacy.register`): its rows of the retention table and the lifetimes of its links.

A member's own records (their partition of the members table, their address pointer, a suppression of
their address) are exported and erased by `shared.members.gdpr.Gdpr`, which runs the register for
every other capability, so this entry's `export` and `erase` have nothing more to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from shared.email.suppression import SOFT_BOUNCE_WINDOW
from shared.members import links
from shared.members.service import PENDING_LIFETIME, SIGNUP_IDEMPOTENCY_WINDOW
from shared.members.unsubscribed import UNSUBSCRIBED_RETENTION
from shared.privacy.register import Person
from shared.privacy.retention import Figures, Kept, LinkLife, days, span
from shared.send_once import SEND_HISTORY


class MemberRecords:
    key: ClassVar[str] = "members"

    def __init__(self, client: Any, tables: Mapping[str, str]) -> None:
        self._client = client
        self._tables = tables

    def export(self, person: Person) -> dict[str, Any] | None:
        return None  # the member's own export is Gdpr's (MemberExport)

    def erase(self, person: Person) -> int:
        return 0  # the member's own records are erased by Gdpr, after every other holder's

    @staticmethod
    def links() -> list[LinkLife]:
        """How long each link in our emails works (`shared/members/links.py`)."""
        return [
            LinkLife("The link to confirm that you want to join", span(links.CONFIRM.lifetime)),
            LinkLife("The link to change your choices", span(links.PREFERENCES.lifetime)),
            LinkLife("The link to stop our emails", span(links.UNSUBSCRIBE.lifetime)),
            LinkLife("The link to get a copy of your details", span(links.EXPORT.lifetime)),
            LinkLife("The link to delete your details", span(links.ERASE.lifetime)),
        ]

    @staticmethod
    def retention(figures: Figures) -> list[Kept]:
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
                f"{days(figures.unsubscribe_grace_days)} after you unsubscribe",
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
                "no TTL for a confirmed member: `suppressed` (`MemberRepository.mark_suppressed`), listed "
                "on the console's Members page (needs attention) until an administrator lifts the "
                "suppression or erases them; a pending sign-up keeps its `PENDING_LIFETIME` TTL",
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
        ]
