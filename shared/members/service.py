"""Membership: sign-up with double opt-in, and confirmation.

Rules that protect people:
- No enumeration: every well-formed sign-up gets the same answer. What happens next depends on
  the address and only its owner learns it, by email.
- A known address never changes status from a sign-up: a confirmed member is told they are already
  a member; nothing about them changes.
- At most one email per address per purpose every 10 minutes, however often the form is sent.
- Every email is sent once through the send ledger (`shared.send_once`): a (member, kind,
  occurrence) claim is written *before* sending and released if SES fails, so a retried or
  duplicated request neither sends twice nor loses the email. The confirmation and the
  already-a-member notice are claimed with `not_within` 10 minutes; the welcome once per
  confirmation (its occurrence is the confirmation's time).
"""

import contextlib
import hashlib
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlencode

from pydantic import computed_field

from shared import tokens
from shared.clock import epoch, iso
from shared.email.mailer import Mailer, OutgoingEmail
from shared.email.render import render_email
from shared.email.unsubscribe import address_nonce, unsubscribe_url
from shared.errors import BadLink, Conflict, DamagedRecord, DomainError
from shared.groups import GroupRepository, WorkingGroup, check_groups
from shared.keys import TokenKeys
from shared.meetings.reader import MeetingReader, MeetingSummary
from shared.members import links as purposes
from shared.members.models import (
    Channel,
    Consent,
    Member,
    MemberStatus,
    Preferences,
    Rejoin,
    Role,
    SignupAccepted,
    SignupForm,
    consents_for,
)
from shared.members.repository import AlreadyRegistered, MemberRepository, StaleMember
from shared.model import Model
from shared.observability import logger, metrics
from shared.send_once import SEND_HISTORY, SendKey, SendLedger
from shared.settings import Contact
from shared.timefmt import meeting_when

RESEND_INTERVAL = timedelta(minutes=10)
CONFIRM_EMAIL, NOTICE_EMAIL, WELCOME_EMAIL = "confirm", "already_member", "welcome"
PENDING_LIFETIME = timedelta(days=7)
# a repeated identical sign-up within this window is absorbed (Powertools idempotency)
SIGNUP_IDEMPOTENCY_WINDOW = timedelta(minutes=10)
SIGNUP_IDEMPOTENCY_PREFIX = "member-signup"


class SignupCommand(Model):
    """The validated sign-up, as the idempotency layer sees it. Its key is the whole validated
    input (`idempotency_key`): a double click (the same input) within the window is one sign-up;
    a different submission (corrected details, a rejoin, "did it work?" with other details) runs
    the rules, which rate-limit emails on their own. The key holds no personal data: the address
    appears only as its keyed lookup id, the other fields only as a digest."""

    form: SignupForm
    lookup_id: str
    channel: Channel

    @computed_field  # type: ignore[prop-decorator]
    @property
    def idempotency_key(self) -> dict[str, str]:
        rest = self.form.model_dump_json(exclude={"email"})
        return {
            "lookup_id": self.lookup_id,
            "channel": self.channel,
            "details": hashlib.sha256(rest.encode()).hexdigest(),
        }


class StaleNotice(DomainError):
    """The form carried a privacy-notice version other than the one we show now: a page left open
    across a change of notice, or a made-up value. The consent record must name the notice the
    person was actually shown, so the sign-up is refused and the form shown again."""

    message = "The privacy notice has changed since the form was loaded."
    fields: ClassVar[Mapping[str, str]] = {
        "privacy_notice_version": "Our privacy notice has changed since you opened this form: read the "
        "new one at /members/privacy and send the form again with its version"
    }


def check_notice(given: str, current: str) -> None:
    if given != current:
        logger.info("sign-up refused: stale or unknown privacy notice version")
        raise StaleNotice


def screen(form: SignupForm) -> bool:
    """The honeypot rule: a filled hidden `website` field is a bot. It gets the same answer as a
    person, and nothing is stored or sent (counted, so a wave of bots shows in the metrics)."""
    if form.is_bot:
        logger.info("honeypot filled: nothing stored or sent")
        metrics.add_metric(name="HoneypotTripped", unit="Count", value=1)
        return False
    return True


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"


class ConfirmLink(StrEnum):
    """What opening a confirmation link (a GET, which changes nothing) finds."""

    JOIN = "join"  # a pending sign-up: the page's button confirms it
    REJOIN = "rejoin"  # an unsubscribed member's new sign-up, waiting for their yes
    DONE = "already_confirmed"  # confirmed already: nothing to press


class SignupUnreadable(Conflict):
    """The link is genuine, but the stored sign-up no longer validates (written around the model, or
    by an older version of the code): nothing is changed, and the person gets a page, not a fault."""

    title = "We could not confirm your sign-up"
    message = (
        "Something is wrong with the details we hold for this sign-up, so nothing was changed. "
        "Please contact us, and we will put it right."
    )


class LinkNoLongerValid(BadLink):
    """The link was genuine, but the sign-up it belonged to is gone (purged, or left)."""

    title = "This link has expired"


class LinkUsed(LinkNoLongerValid):
    """The link was genuine, and works once: it has been used."""

    title = "This link has already been used"


class NotActive(Conflict):
    """The member is not active (unsubscribed, suppressed, still pending): preferences sent from a
    page left open after unsubscribing (or a bounce) change nothing."""

    message = "You are not receiving emails from us at the moment, so your preferences were not changed."

    def __init__(self, status: MemberStatus) -> None:
        super().__init__(status.value)
        self.member_status = status


class MembershipSettings(NamedTuple):
    group_name: str
    base_url: str
    privacy_notice_version: str
    time_zone: str
    contact: Contact  # every email's sign-off and contact line


class Links:
    """Absolute URLs for emails and pages. Tokens only: never a name or an address in a URL."""

    def __init__(self, base_url: str, keys: TokenKeys) -> None:
        self._base = base_url.rstrip("/")
        self._keys = keys

    def _url(self, path: str, purpose: tokens.Purpose, subject: str, nonce: str, now: datetime) -> str:
        token = tokens.issue(self._keys.token, purpose, subject, nonce, now)
        return f"{self._base}{path}?{urlencode({'token': token})}"

    def confirm(self, member: Member, now: datetime) -> str:
        assert member.confirm_nonce
        return self._url("/members/confirm", purposes.CONFIRM, member.id, member.confirm_nonce, now)

    # Links that act on a member's record are bound to the address they are emailed to
    # (`address_nonce`): once the member's address changes, those sent to the old one stop working.
    def preferences(self, member: Member, now: datetime) -> str:
        nonce = address_nonce(member.lookup_id)
        return self._url("/members/preferences", purposes.PREFERENCES, member.id, nonce, now)

    def unsubscribe(self, member: Member, now: datetime) -> str:
        return unsubscribe_url(self._base, self._keys.token, member, now)

    def self_service(self, purpose: tokens.Purpose, member: Member, now: datetime) -> str:
        path = {purposes.EXPORT: "/members/export", purposes.ERASE: "/members/erase"}[purpose]
        return self._url(path, purpose, member.id, address_nonce(member.lookup_id), now)

    def signup(self) -> str:
        return f"{self._base}/members/signup"

    def email_change(self, token: str) -> str:
        return f"{self._base}/members/email/confirm?{urlencode({'token': token})}"


class Membership:
    def __init__(
        self,
        *,
        repository: MemberRepository,
        groups: GroupRepository,
        mailer: Mailer,
        meetings: MeetingReader,
        keys: TokenKeys,
        settings: MembershipSettings,
        ledger: SendLedger,
    ) -> None:
        self.ledger = ledger
        self._repo = repository
        self._groups = groups
        self._mailer = self.mailer = mailer
        self._meetings = meetings
        self._keys = keys
        self._settings = settings
        self.links = Links(settings.base_url, keys)

    # --- sign-up ----------------------------------------------------------------------------

    def next_meeting(self, now: datetime) -> MeetingSummary | None:
        """The next public meeting, if one is arranged."""
        return self._meetings.next_public(now)

    def open_groups(self) -> list[WorkingGroup]:
        """The working groups the sign-up form offers."""
        return self._groups.open()

    def sign_up(self, command: SignupCommand, now: datetime) -> SignupAccepted:
        check_notice(command.form.privacy_notice_version, self._settings.privacy_notice_version)
        if command.form.working_groups:
            check_groups(command.form.working_groups, self._groups.open())
        # One consistent BatchGetItem reads the address's pointer and its suppression entry together.
        existing, suppressed = self._repo.find_with_suppression(command.lookup_id, now)
        if suppressed:
            # The address bounced or complained: it gets no email of any kind, and nothing changes.
            logger.info("sign-up for a suppressed address: nothing sent")
        elif existing is None:
            self._create(command, now)
        elif existing.status is MemberStatus.PENDING:
            self._resubmit(existing, command, now)
        elif existing.status is MemberStatus.ACTIVE:
            self._tell_already_member(existing, now)
        elif existing.status is MemberStatus.UNSUBSCRIBED:
            self._request_rejoin(existing, command, now)
        else:
            # Suppressed: the address bounced or complained, so it gets no email of any kind.
            logger.info("sign-up for a suppressed address: nothing sent")
        metrics.add_metric(name="SignupAccepted", unit="Count", value=1)
        return SignupAccepted()

    @staticmethod
    def consents(role: Role, notice_version: str, channel: Channel, now: datetime) -> list[Consent]:
        return consents_for(role, notice_version, channel, now)

    def _details(self, command: SignupCommand, now: datetime) -> dict[str, Any]:
        form = command.form
        return {
            "name": form.name,
            "phone": form.phone,
            "role": form.role,
            "organisation": form.organisation,
            "working_groups": form.working_groups,
            # the version the server shows now (checked above to be the one the form carried)
            "consents": self.consents(form.role, self._settings.privacy_notice_version, command.channel, now),
        }

    def _create(self, command: SignupCommand, now: datetime) -> None:
        member = self._new_pending(command.lookup_id, command.form.email, self._details(command, now), now)
        key = _confirm_key(member)
        try:
            # the member and the claim of its first confirmation email, in one transaction
            self._repo.create_pending(member, now, also=self.ledger.claim_put(key, now))
        except AlreadyRegistered:
            logger.info("sign-up raced another for the same address; the first one wins")
            return
        logger.info("pending member created", extra={"member_id": member.id})
        self.ledger.send_claimed(
            key, lambda: self._send(self._confirmation(member, now), suppression_checked=True), now
        )

    @staticmethod
    def _new_pending(
        lookup_id: str, email: str, details: dict[str, Any], now: datetime, member_id: str | None = None
    ) -> Member:
        return Member(
            id=member_id or str(uuid.uuid4()),
            email=email,
            status=MemberStatus.PENDING,
            created_at=iso(now),
            lookup_id=lookup_id,
            confirm_nonce=secrets.token_urlsafe(16),
            expires_at=epoch(now + PENDING_LIFETIME),
            **details,
        )

    def add_pending(
        self, form: Any, consents: list[Consent], now: datetime, member_id: str | None = None
    ) -> Member:
        """An administrator adds someone with an email address: they still confirm it themselves."""
        lookup_id = self._keys.email_lookup_id(form.email)
        details = {
            "name": form.name,
            "phone": form.phone,
            "postal_address": form.postal_address,
            "role": form.role,
            "organisation": form.organisation,
            "working_groups": sorted(set(form.working_groups)),
            "consents": consents,
        }
        member = self._new_pending(lookup_id, form.email, details, now, member_id)
        key = _confirm_key(member)
        # AlreadyRegistered: the caller says who holds the address
        self._repo.create_pending(member, now, also=self.ledger.claim_put(key, now))
        self.ledger.send_claimed(key, lambda: self._send(self._confirmation(member, now)), now)
        return member

    def _resubmit(self, member: Member, command: SignupCommand, now: datetime) -> None:
        """The same address again, still unconfirmed: keep the newest details, and re-send the
        confirmation if the last one went out more than 10 minutes ago."""
        updated = member.model_copy(update=self._details(command, now))
        try:
            self._repo.replace_pending(updated)
        except StaleMember:
            logger.info("pending sign-up changed concurrently; leaving it to the other request")
            return
        sent = self.ledger.send_once(
            _confirm_key(updated),
            lambda: self._send(self._confirmation(updated, now), suppression_checked=True),
            now,
            not_within=RESEND_INTERVAL,
        )
        if sent is None:
            logger.info(
                "confirmation not re-sent: sent less than 10 minutes ago", extra={"member_id": member.id}
            )

    def _request_rejoin(self, member: Member, command: SignupCommand, now: datetime) -> None:
        """An unsubscribed address signs up again. Their status does not change: the new details wait
        beside it until the address's owner confirms from the email (a fresh opt-in)."""
        key = _confirm_key(member)
        details = self._details(command, now)
        # claimed first: within 10 minutes of the last confirmation, nothing is sent
        if not self.ledger.claim(key, now, not_within=RESEND_INTERVAL, keep=SEND_HISTORY):
            if member.rejoin is not None and member.confirm_nonce:
                # as for a pending sign-up: the newest details wait, for the link already sent
                with contextlib.suppress(StaleMember):
                    self._repo.save(
                        member.model_copy(update={"rejoin": Rejoin(**details)}),
                        expected_status=MemberStatus.UNSUBSCRIBED,
                    )
            logger.info("rejoin confirmation not re-sent: sent recently", extra={"member_id": member.id})
            return
        claimed = member.model_copy(
            update={
                "rejoin": Rejoin(**details),
                "confirm_nonce": secrets.token_urlsafe(16),
                # a removed profile no longer holds the address: the confirmation goes to the address
                # that was typed, which is the one its keyed lookup id was found by
                "email": member.email or command.form.email,
            }
        )
        try:
            self._repo.save(claimed, expected_status=MemberStatus.UNSUBSCRIBED)
        except StaleMember:
            self.ledger.release(key, now)
            return
        logger.info("rejoin requested", extra={"member_id": member.id})
        self.ledger.send_claimed(key, lambda: self._send(self._confirmation(claimed, now)), now)

    def resend_confirmation(self, member: Member, now: datetime) -> bool:
        """For an administrator: send the pending confirmation again (at most every 10 minutes)."""
        if not member.confirm_nonce:
            return False
        sent = self.ledger.send_once(
            _confirm_key(member),
            lambda: self._send(self._confirmation(member, now)),
            now,
            not_within=RESEND_INTERVAL,
        )
        return bool(sent)

    def send_preferences_link(self, member: Member, now: datetime) -> bool:
        """Email a fresh preferences link (at most every 10 minutes)."""
        if not member.email:
            return False
        content = render_email(
            "preferences_link",
            group_name=self._settings.group_name,
            contact=self._settings.contact,
            name=member.name,
            preferences_url=self.links.preferences(member, now),
            days=purposes.PREFERENCES.lifetime.days,
        )
        email = OutgoingEmail(member.email, content, "preferences_link", self.links.unsubscribe(member, now))
        sent = self.ledger.send_once(
            SendKey(f"MEMBER#{member.id}", "preferences_link"),
            lambda: self._mailer.send(email) is not None,
            now,
            not_within=RESEND_INTERVAL,
        )
        return bool(sent)

    def _tell_already_member(self, member: Member, now: datetime) -> None:
        if not member.email:
            return
        content = render_email(
            "already_member",
            group_name=self._settings.group_name,
            contact=self._settings.contact,
            name=member.name,
            preferences_url=self.links.preferences(member, now),
            signup_url=self.links.signup(),
        )
        email = OutgoingEmail(member.email, content, NOTICE_EMAIL, self.links.unsubscribe(member, now))
        sent = self.ledger.send_once(
            SendKey(f"MEMBER#{member.id}", NOTICE_EMAIL),
            lambda: self._send(email),
            now,
            not_within=RESEND_INTERVAL,
        )
        if sent is None:
            logger.info("already-a-member notice not re-sent: sent recently", extra={"member_id": member.id})

    def _confirmation(self, member: Member, now: datetime) -> OutgoingEmail:
        content = render_email(
            "confirm",
            # No name: the address has not been confirmed, so whoever typed the form chose the name,
            # and it must never read as our words (or an instruction) to a stranger.
            group_name=self._settings.group_name,
            contact=self._settings.contact,
            rejoin=member.rejoin is not None,
            confirm_url=self.links.confirm(member, now),
            hours=int(purposes.CONFIRM.lifetime.total_seconds() // 3600),
        )
        return OutgoingEmail(member.email or "", content, CONFIRM_EMAIL, self.links.unsubscribe(member, now))

    def send_confirmation(self, member: Member, now: datetime) -> bool:
        """The confirmation email for this pending member (its send-once claim the caller's)."""
        return self._send(self._confirmation(member, now))

    def _send(self, email: OutgoingEmail, suppression_checked: bool = False) -> bool:
        """Send one email (its send-once claim already written). False when the address is
        suppressed: nothing was sent, and there is nothing to retry. `suppression_checked`: this
        request already read the address's suppression entry (sign-up reads it with the pointer),
        so the mailer need not read it again."""
        sent = self._mailer.send(email, suppression_checked=suppression_checked)
        if sent is not None:
            metrics.add_metric(name=f"EmailSent_{email.kind}", unit="Count", value=1)
        return sent is not None

    # --- confirmation -----------------------------------------------------------------------
    # The link in the email only opens a page (`check_confirm_link`): mail scanners open every link,
    # so a GET never confirms. The page's button posts the token back (`confirm`).

    def _linked_member(self, token: str, now: datetime) -> tuple[tokens.TokenClaims, Member]:
        claims = tokens.verify(token, purposes.CONFIRM, [self._keys.token], now)
        try:
            member = self._repo.get(claims.subject, now)
        except DamagedRecord:  # counted and logged by id where it was read
            raise SignupUnreadable from None
        if member is None:
            raise LinkNoLongerValid
        return claims, member

    def check_confirm_link(self, token: str, now: datetime) -> ConfirmLink:
        """What the confirmation link's page shows. Reads only: nothing changes and nothing is sent.
        Refuses as `confirm` would (TokenError, LinkNoLongerValid, SignupUnreadable)."""
        claims, member = self._linked_member(token, now)
        if member.status is MemberStatus.PENDING:
            if member.confirm_nonce != claims.nonce:
                raise tokens.TokenInvalid("nonce does not match")
            return ConfirmLink.JOIN
        if (
            member.status is MemberStatus.UNSUBSCRIBED
            and member.rejoin
            and member.confirm_nonce == claims.nonce
        ):
            return ConfirmLink.REJOIN
        if member.status is MemberStatus.ACTIVE:
            return ConfirmLink.DONE
        raise LinkNoLongerValid

    def confirm(self, token: str, now: datetime) -> ConfirmOutcome:
        """The confirmation page's button: confirms (or rejoins) once; pressed again, it is
        already done."""
        claims, member = self._linked_member(token, now)
        if member.status is MemberStatus.PENDING:
            if member.confirm_nonce != claims.nonce:
                raise tokens.TokenInvalid("nonce does not match")
            key = _welcome_key(member.id, iso(now))
            try:
                # the confirmation and the claim of its one welcome email, in one transaction
                self._repo.activate(member, claims.nonce, iso(now), also=self.ledger.claim_put(key, now))
            except StaleMember:
                # a double click: the other request confirmed them a moment ago
                return ConfirmOutcome.ALREADY_CONFIRMED
            logger.info("member confirmed", extra={"member_id": member.id})
            metrics.add_metric(name="MemberConfirmed", unit="Count", value=1)
            self.ledger.send_claimed(key, lambda: self._welcome(member, now), now)
            return ConfirmOutcome.CONFIRMED
        if (
            member.status is MemberStatus.UNSUBSCRIBED
            and member.rejoin
            and member.confirm_nonce == claims.nonce
        ):
            return self._rejoin(member, now)
        if member.status is MemberStatus.ACTIVE:
            if member.confirmed_at is not None:
                # confirmed earlier: sends the welcome only if that one failed (its claim released)
                self.ledger.send_once(
                    _welcome_key(member.id, member.confirmed_at), lambda: self._welcome(member, now), now
                )
            return ConfirmOutcome.ALREADY_CONFIRMED
        raise LinkNoLongerValid

    def _rejoin(self, member: Member, now: datetime) -> ConfirmOutcome:
        assert member.rejoin
        rejoin = member.rejoin
        changes = {
            **rejoin.model_dump(exclude={"consents", "working_groups"}),
            "consents": [*member.consents, *rejoin.consents],
            "status": MemberStatus.ACTIVE,
            "confirmed_at": iso(now),
            "unsubscribed_at": None,
            "expires_at": None,
            "rejoin": None,
            "confirm_nonce": None,
            "profile_removed_at": None,
            "preferences": Preferences(),
        }
        try:
            rejoined = self._repo.write_profile(member, rejoin.working_groups, changes=changes)
        except StaleMember:
            return ConfirmOutcome.ALREADY_CONFIRMED
        logger.info("member rejoined", extra={"member_id": member.id})
        metrics.add_metric(name="MemberRejoined", unit="Count", value=1)
        self.ledger.send_once(_welcome_key(member.id, iso(now)), lambda: self._welcome(rejoined, now), now)
        return ConfirmOutcome.CONFIRMED

    def _welcome(self, member: Member, now: datetime) -> bool:
        meeting = self._meetings.next_public(now)
        content = render_email(
            "welcome",
            group_name=self._settings.group_name,
            contact=self._settings.contact,
            name=member.name,
            meeting=meeting,
            meeting_when=meeting_when(meeting.starts_at, meeting.ends_at, self._settings.time_zone)
            if meeting
            else None,
            preferences_url=self.links.preferences(member, now),
            unsubscribe_url=self.links.unsubscribe(member, now),
        )
        email = OutgoingEmail(member.email or "", content, WELCOME_EMAIL, self.links.unsubscribe(member, now))
        return self._send(email)


def _confirm_key(member: Member) -> SendKey:
    """Any confirmation of this member (sign-up, re-sent, rejoin): at most one every 10 minutes."""
    return SendKey(f"MEMBER#{member.id}", CONFIRM_EMAIL)


def _welcome_key(member_id: str, confirmed_at: str) -> SendKey:
    """The welcome of one confirmation (its time): exactly one per confirmation."""
    return SendKey(f"MEMBER#{member_id}", WELCOME_EMAIL, confirmed_at)
