"""The directory services a handler needs, built lazily once per warm Lambda."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from functions.directory.env import directory_env
from shared.aws import client
from shared.directory.repository import ServiceRepository

if TYPE_CHECKING:
    from shared.directory.admin import DirectoryAdmin
    from shared.directory.publication import DirectoryPublication
    from shared.directory.render import SiteSettings
    from shared.directory.reports import Reports
    from shared.email.mailer import Mailer
    from shared.keys import AddressLookup
    from shared.send_once import SendLedger
    from shared.site.publisher import Published

# the longest any function that publishes may run (infra/declaration.py: directory_publisher)
PUBLISHER_TIMEOUT_SECONDS = 300
# The most files the admin API and the console write themselves, inside API Gateway's 29 s. In AWS
# the AWS CRT sends 2,000 in about a second (80 at once, about 30 ms each); local mode's moto serves
# one about every 3 ms (`make bench`, directory), so this keeps a web request's publication inside
# 29 s there too. More, and the publisher does it from the queue.
IN_REQUEST_WRITES = 2000


class Queued(NamedTuple):
    files: int  # what the publication will write


def publish_now(actor: str, now: datetime) -> Published | Queued:
    """Publish from a web request: at once when it is small enough, else on the publisher's queue."""
    from shared.directory.publication import TooLargeForARequest

    try:
        return publication().publish(actor, now, at_most=IN_REQUEST_WRITES)
    except TooLargeForARequest as large:
        queue = directory_env().publish_queue
        assert queue is not None, "declare the directory_publish queue's producers"
        client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps({"actor": actor}))
        return Queued(large.files)


@cache
def repository() -> ServiceRepository:
    return ServiceRepository(client("dynamodb"), directory_env().directory_table)


@cache
def admin() -> DirectoryAdmin:
    from shared.audit import AuditTrail
    from shared.directory.admin import DirectoryAdmin

    env = directory_env()
    assert env.audit_table is not None
    return DirectoryAdmin(repository(), AuditTrail(client("dynamodb"), env.audit_table), env.time_zone)


def site_settings() -> SiteSettings:
    from shared.directory.render import SiteSettings

    env = directory_env()
    return SiteSettings(
        env.group_name, env.base_url, env.contact_phone, env.contact_email, env.licence_name, env.licence_url
    )


@cache
def publication() -> DirectoryPublication:
    from shared.audit import AuditTrail
    from shared.directory.publication import SECTION, DirectoryPublication
    from shared.site.ledger import Ledger
    from shared.site.publisher import SitePublisher, lease_for
    from shared.site.routes import site_routes
    from shared.site.uploads import for_publications

    env = directory_env()
    assert env.site_bucket is not None and env.audit_table is not None
    s3 = client("s3")
    publisher = SitePublisher(
        s3=s3,
        bucket=env.site_bucket,
        section=SECTION,
        routes=site_routes(env.site_routes, s3, env.site_bucket),
        ledger=Ledger(client("dynamodb"), env.directory_table, SECTION, lease_for(PUBLISHER_TIMEOUT_SECONDS)),
        keep=env.versions_kept,
        uploads=for_publications(s3),
    )
    return DirectoryPublication(
        repository(),
        publisher,
        site_settings(),
        env.time_zone,
        AuditTrail(client("dynamodb"), env.audit_table),
    )


@cache
def mailer() -> Mailer:
    from shared.email.mailer import Mailer

    env = directory_env()
    assert env.sender and env.reply_to and env.configuration_set
    return Mailer(client("sesv2"), env.sender, env.reply_to, env.configuration_set, ReviewersOnly())


class ReviewersOnly:
    """The directory only emails the partnership's own reviewers (`coordinators` in cdk.json), who
    are not members and have no suppression entry of ours; SES's account-level suppression list
    still stops an address that bounced."""

    def is_suppressed(self, address: str) -> bool:
        return False


@cache
def ledger() -> SendLedger:
    from shared.send_once import SendLedger

    return SendLedger(client("dynamodb"), directory_env().directory_table)


def lookup() -> AddressLookup | None:
    from shared.keys import SecretLookupKey

    env = directory_env()
    return SecretLookupKey(env.lookup_key_secret) if env.lookup_key_secret else None


@cache
def reports() -> Reports:
    from shared.directory.reports import Reports

    env = directory_env()
    return Reports(
        client("dynamodb"),
        env.directory_table,
        repository(),
        lookup=lookup(),
        mailer=mailer if env.sender else None,
        ledger=ledger(),
        reviewers=tuple(env.coordinators),
        console_url=env.base_url,
    )
