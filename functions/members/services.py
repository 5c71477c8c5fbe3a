"""The member services a handler needs, built lazily once per warm Lambda (so importing a handler
costs no AWS client, and tests can swap the environment).

Clients and services are cached here; key material never is. Services get `keys()`, which reads the
secrets at each use through `shared.keys` (itself cached for five minutes), so a rotated signing key
reaches a warm function (README, "Rotating the token-signing key")."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from functions.members.env import members_env
from shared.aws import client
from shared.email.account_suppression import AccountSuppressionList
from shared.email.mailer import Mailer
from shared.email.suppression import SuppressionList
from shared.groups import GroupRepository
from shared.keys import SecretKeys
from shared.meetings.reader import MeetingReader
from shared.members.repository import MemberRepository
from shared.members.service import Membership, MembershipSettings
from shared.send_once import SendLedger

if TYPE_CHECKING:  # imported where first used, to keep them off the sign-up path's cold start
    from shared.audit import AuditTrail
    from shared.members.addresses import AddressChanges
    from shared.members.admin import MemberAdmin
    from shared.members.gdpr import Gdpr
    from shared.members.on_behalf import OnBehalf
    from shared.members.selfservice import SelfService


def keys() -> SecretKeys:
    """The signing and lookup keys as the secrets hold them now (never cached here: see above)."""
    env = members_env()
    return SecretKeys(env.signing_key_secret, env.lookup_key_secret)


@cache
def members() -> MemberRepository:
    return MemberRepository(client("dynamodb"), members_env().members_table)


@cache
def groups() -> GroupRepository:
    return GroupRepository(client("dynamodb"), members_env().members_table)


@cache
def suppressions() -> SuppressionList:
    return SuppressionList(client("dynamodb"), members_env().members_table, keys())


@cache
def account_suppressions() -> AccountSuppressionList:
    return AccountSuppressionList(client("sesv2"))


@cache
def audit() -> AuditTrail:
    from shared.audit import AuditTrail

    return AuditTrail(client("dynamodb"), members_env().audit_table)


@cache
def settings() -> MembershipSettings:
    env = members_env()
    return MembershipSettings(
        env.group_name, env.base_url, env.privacy_notice_version, env.time_zone, contact=env.contact
    )


@cache
def membership() -> Membership:
    env = members_env()
    return Membership(
        repository=members(),
        groups=groups(),
        mailer=Mailer(client("sesv2"), env.sender, env.reply_to, env.configuration_set, suppressions()),
        meetings=MeetingReader(client("dynamodb"), env.meetings_table),
        keys=keys(),
        settings=settings(),
        ledger=SendLedger(client("dynamodb"), env.members_table),
    )


@cache
def gdpr() -> Gdpr:
    import os

    from shared.members.gdpr import Gdpr
    from shared.privacy.register import Register, holders_from_environment, table_names

    env = members_env()
    db = client("dynamodb")
    return Gdpr(
        members=members(),
        groups=groups(),
        suppressions=suppressions(),
        audit=audit(),
        client=db,
        members_table=env.members_table,
        # every other capability's holder of personal data, from the declaration (`PERSONAL_DATA`)
        register=Register.build(db, table_names(os.environ), holders_from_environment(), without="members"),
    )


@cache
def self_service() -> SelfService:
    from shared.members.selfservice import SelfService

    service = membership()
    return SelfService(
        members=members(),
        groups=groups(),
        mailer=service.mailer,
        links=service.links,
        keys=keys(),
        gdpr=gdpr(),
        audit=audit(),
        settings=settings(),
        ledger=service.ledger,
        account_suppressions=account_suppressions(),
    )


@cache
def address_changes() -> AddressChanges:
    from shared.members.addresses import AddressChanges

    service = membership()
    return AddressChanges(
        members=members(),
        membership=service,
        keys=keys(),
        mailer=service.mailer,
        ledger=service.ledger,
        audit=audit(),
        settings=settings(),
    )


@cache
def on_behalf() -> OnBehalf:
    from shared.members.on_behalf import OnBehalf

    return OnBehalf(
        members=members(), audit=audit(), privacy_notice_version=settings().privacy_notice_version
    )


@cache
def member_admin() -> MemberAdmin:
    from shared.members.admin import MemberAdmin

    return MemberAdmin(
        members=members(),
        groups=groups(),
        suppressions=suppressions(),
        account_suppressions=account_suppressions(),
        audit=audit(),
        gdpr=gdpr(),
        membership=membership(),
        keys=keys(),
        privacy_notice_version=members_env().privacy_notice_version,
    )
