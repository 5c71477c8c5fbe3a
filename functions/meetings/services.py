"""The meetings services a handler needs, built lazily once per warm Lambda: clients and services,
never key material (the signing key is read at each use, through `shared.keys`' five-minute cache)."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from functools import cache
from typing import TYPE_CHECKING, Any

from functions.meetings.env import meetings_env
from shared.aws import client
from shared.meetings.jobs import Jobs, MeetingSettings
from shared.meetings.repository import MeetingRepository

if TYPE_CHECKING:
    from shared.audit import AuditTrail
    from shared.groups import GroupRepository
    from shared.keys import SecretKeys
    from shared.meetings.audience import Audiences
    from shared.meetings.mailing import Mailing, Planner
    from shared.meetings.service import MeetingAdmin


def _required(value: str | None, name: str) -> str:
    if value is None:
        raise RuntimeError(f"{name} is not set: declare it for this function in infra/declaration.py")
    return value


@cache
def repo() -> MeetingRepository:
    return MeetingRepository(client("dynamodb"), meetings_env().meetings_table)


@cache
def groups() -> GroupRepository:
    from shared.groups import GroupRepository

    return GroupRepository(client("dynamodb"), _required(meetings_env().members_table, "MEMBERS_TABLE_NAME"))


@cache
def audiences() -> Audiences:
    from shared.meetings.audience import Audiences

    return Audiences(client("dynamodb"), _required(meetings_env().members_table, "MEMBERS_TABLE_NAME"))


@cache
def audit() -> AuditTrail:
    from shared.audit import AuditTrail

    return AuditTrail(client("dynamodb"), _required(meetings_env().audit_table, "AUDIT_TABLE_NAME"))


@cache
def keys() -> SecretKeys:
    from shared.keys import SecretKeys

    env = meetings_env()
    return SecretKeys(
        _required(env.signing_key_secret, "SIGNING_KEY_SECRET_ID"),
        _required(env.lookup_key_secret, "LOOKUP_KEY_SECRET_ID"),
    )


@cache
def settings() -> MeetingSettings:
    env = meetings_env()
    return MeetingSettings(
        group_name=env.group_name,
        base_url=env.base_url,
        time_zone=env.time_zone,
        offsets=sorted(env.reminder_offsets_days, reverse=True),
        update_minutes=env.meeting_update_minutes,
        report_back_days=env.report_back_days,
        chase_days=env.report_back_chase_days,
        retention_days=env.attendance_retention_days,
        email_per_second=env.email_per_second,
        senders=env.mail_concurrency,
        organiser=parseaddr(env.sender)[1],
        contact=env.contact,
    )


@cache
def jobs() -> Jobs | None:
    url = meetings_env().mail_queue
    return Jobs(client("sqs"), url) if url else None


@cache
def admin() -> MeetingAdmin:
    from shared.meetings.service import MeetingAdmin

    return MeetingAdmin(
        repo=repo(), groups=groups(), audiences=audiences(), audit=audit(), jobs=jobs(), settings=settings()
    )


@cache
def planner() -> Planner:
    from shared.meetings.mailing import Planner

    queue = jobs()
    assert queue is not None, "MEETING_MAIL_QUEUE_URL is not set: the planner produces to the mail queue"
    return Planner(repo(), groups(), queue, settings())


@cache
def mailing() -> Mailing:
    from shared.email.mailer import Mailer
    from shared.email.suppression import SuppressionList
    from shared.meetings.mailing import Mailing
    from shared.members.repository import MemberRepository
    from shared.send_once import SendLedger

    env = meetings_env()
    members_table = _required(env.members_table, "MEMBERS_TABLE_NAME")
    db = client("dynamodb")
    # suppression entries are read by the lookup ids members' records hold: no address is hashed here
    suppressions = SuppressionList(db, members_table, None)
    queue = jobs()
    assert queue is not None, "MEETING_MAIL_QUEUE_URL is not set: the sender queues the next page"
    return Mailing(
        repo=repo(),
        audiences=audiences(),
        members=MemberRepository(db, members_table),
        groups=groups(),
        ledger=SendLedger(db, env.meetings_table),
        mailer=Mailer(
            client("sesv2"),
            env.sender,
            env.reply_to,
            _required(env.configuration_set, "SES_CONFIGURATION_SET"),
            suppressions,
        ),
        suppressions=suppressions,
        signing_key=lambda: keys().token,
        jobs=queue,
        settings=settings(),
        lease=timedelta(seconds=env.mail_visibility_seconds),
    )


class Preview:
    """The console's preview of a meeting's emails: composed as the sender composes them, with links
    signed by a key made for the preview alone (the console holds no key; a preview's links work
    nowhere)."""

    def compose(self, meeting: Any, template: str, member: Any, now: Any, **extra: Any) -> Any:
        import secrets

        from shared.meetings.mailing import compose
        from shared.tokens import SigningKey

        return compose(
            settings(), SigningKey(secrets.token_bytes(32)), meeting, template, member, now, **extra
        )


@cache
def mailing_preview() -> Preview:
    return Preview()


def bounced(announcement_id: str) -> int:
    """How many of an announcement's emails bounced for good or were complained about (the members
    table's `by_mailing` index, which the SES events consumer fills from the emails' `ref` tag)."""
    from shared.email.suppression import bounced_in
    from shared.meetings.mailing import announcement_ref

    table = _required(meetings_env().members_table, "MEMBERS_TABLE_NAME")
    return bounced_in(client("dynamodb"), table, announcement_ref(announcement_id))
