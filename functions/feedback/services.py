"""The feedback services a handler needs, built lazily once per warm Lambda."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from functions.feedback.env import feedback_env
from shared.aws import client

if TYPE_CHECKING:
    from shared.email.mailer import Mailer
    from shared.feedback.publication import YouSaidWeDid
    from shared.feedback.service import FeedbackService
    from shared.keys import AddressLookup
    from shared.tokens import SigningKey

PUBLISHER_TIMEOUT_SECONDS = 120  # infra/declaration.py: feedback_publisher


class NotMembers:
    """Feedback emails go to the coordinators and to reporters who asked to hear back, neither of whom
    is a member with a suppression entry of ours; SES's account-level suppression list still stops an
    address that bounced or complained."""

    def is_suppressed(self, address: str) -> bool:
        return False


@cache
def mailer() -> Mailer:
    from shared.email.mailer import Mailer

    env = feedback_env()
    assert env.sender and env.reply_to and env.configuration_set
    return Mailer(client("sesv2"), env.sender, env.reply_to, env.configuration_set, NotMembers())


def lookup() -> AddressLookup | None:
    from shared.keys import SecretLookupKey

    env = feedback_env()
    return SecretLookupKey(env.lookup_key_secret) if env.lookup_key_secret else None


def signing_key() -> SigningKey:
    from shared.keys import SecretKeys

    env = feedback_env()
    assert env.signing_key_secret and env.lookup_key_secret
    return SecretKeys(env.signing_key_secret, env.lookup_key_secret).token


@cache
def service() -> FeedbackService:
    from shared.audit import AuditTrail
    from shared.feedback.service import FeedbackService

    env = feedback_env()
    return FeedbackService(
        client("dynamodb"),
        env.feedback_table,
        env.feedback,
        base_url=env.base_url,
        group_name=env.group_name,
        contact=env.contact,
        coordinators=tuple(env.coordinators),
        lookup=lookup,
        mailer=mailer if env.configuration_set else None,
        audit=AuditTrail(client("dynamodb"), env.audit_table) if env.audit_table else None,
        signing_key=signing_key if env.signing_key_secret else None,
    )


@cache
def you_said_we_did() -> YouSaidWeDid:
    from shared.feedback.publication import SECTION, PageSettings, YouSaidWeDid
    from shared.site.ledger import Ledger
    from shared.site.publisher import SitePublisher, lease_for
    from shared.site.routes import site_routes

    env = feedback_env()
    assert env.site_bucket is not None
    s3 = client("s3")
    publisher = SitePublisher(
        s3=s3,
        bucket=env.site_bucket,
        section=SECTION,
        routes=site_routes(env.site_routes, s3, env.site_bucket),
        ledger=Ledger(client("dynamodb"), env.feedback_table, SECTION, lease_for(PUBLISHER_TIMEOUT_SECONDS)),
        keep=5,
    )
    return YouSaidWeDid(
        service(), publisher, PageSettings(env.group_name, env.base_url, env.hospital, env.contact_phone)
    )
