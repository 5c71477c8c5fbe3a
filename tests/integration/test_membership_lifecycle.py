"""A member's whole life with the partnership, as they and an administrator live it, over HTTP
against local mode (DynamoDB Local + moto + the real handlers):

sign up -> confirm -> preferences and a working group -> one-click unsubscribe -> nothing is sent ->
rejoin (a fresh opt-in) -> a hard bounce suppresses them -> nothing is sent -> export (admin and
self-service) -> erasure, after which DynamoDB Local's tables, read directly, hold nothing about them.

What is asserted is what a person notices: pages, the emails in `/_local/outbox`, and what an
administrator sees through the admin API. Only the final check (and the "ten minutes pass" step,
since local mode has no clock to wind on) reaches past the HTTP API into the tables.
"""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.declaration import IDEMPOTENCY, MEMBERS, TABLES
from shared.clock import iso
from tests.support.local import FORM, LocalMode, Reply

pytestmark = pytest.mark.integration

BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "User-Agent": "Mozilla/5.0",
}
# What Gmail sends for RFC 8058 one-click unsubscribe: a form-encoded POST, no cookies, no HTML wanted.
MAIL_CLIENT = {"Accept": "*/*", "User-Agent": "Google-Unsubscribe", "Content-Type": FORM}
LINK = r"https?://\S+{path}\?token=[\w.=%-]+"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str

    @property
    def personal(self) -> tuple[str, ...]:
        """Every form of their details that could be stored: as given, lower-cased, unspaced."""
        return (self.email, self.name, self.name.casefold(), self.phone, self.phone.replace(" ", ""))


@pytest.fixture
def person(address: str) -> Person:
    tag = uuid.uuid4()
    return Person(
        name=f"Ann Lifecycle-{tag.hex[:10]}", email=address, phone=f"07700 9{tag.int % 100_000:05d}"
    )


@pytest.fixture(scope="module")
def dynamodb(local_mode: LocalMode) -> Iterator[Any]:
    """A client of local mode's DynamoDB Local (fake credentials: it accepts any)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="eu-west-2"
    )
    client = session.client("dynamodb", endpoint_url=local_mode.endpoints["dynamodb"])
    yield client
    client.close()


# --- what a person does ----------------------------------------------------------------------------


def notice_version(local: LocalMode) -> str:
    page = local.get("/members/signup", headers=BROWSER)
    assert page.status == 200, page.text
    found = re.search(r'name="privacy_notice_version" value="([^"]*)"', page.text)
    assert found, "the sign-up form carries the privacy notice version"
    return found.group(1)


def sign_up(local: LocalMode, person: Person, role: str, groups: Sequence[str] = ()) -> Reply:
    """Fill in the sign-up form and send it, as a browser does (ticked boxes only)."""
    fields = [
        ("name", person.name),
        ("email", person.email),
        ("phone", person.phone),
        ("role", role),
        ("organisation", ""),
        *[("working_groups", g) for g in groups],
        ("consent_contact", "true"),
        ("consent_health_data", "true"),
        ("privacy_notice_version", notice_version(local)),
        ("website", ""),
    ]
    return local.post("/members", form=fields, headers=BROWSER)


def emails_to(local: LocalMode, address: str) -> list[dict[str, Any]]:
    return [e for e in local.outbox() if e["to"] == [address]]


def the_one_email(local: LocalMode, address: str, subject_starts: str) -> dict[str, Any]:
    """The outbox holds exactly one email: to `address`, with that subject."""
    outbox = local.outbox()
    assert [e["to"] for e in outbox] == [[address]], [(e["to"], e["subject"]) for e in outbox]
    assert outbox[0]["subject"].startswith(subject_starts), outbox[0]["subject"]
    return outbox[0]


def link(email: dict[str, Any], path: str) -> str:
    found = re.search(LINK.format(path=re.escape(path)), str(email["text"]))
    assert found, f"no {path} link in the email: {email['text']}"
    return found.group(0)


def form_action(page: str, containing: str) -> str:
    """The action URL of the page's form whose markup contains `containing`."""
    for found in re.finditer(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S):
        if containing in found.group(2):
            return html.unescape(found.group(1))
    raise AssertionError(f"no form with {containing!r} on the page")


def confirm(local: LocalMode, email: dict[str, Any]) -> None:
    """Open the email's link (a page with one button), then press the button."""
    page = local.get(link(email, "/members/confirm"), headers=BROWSER)
    assert page.status == 200 and "Yes, confirm" in page.text, page.text
    pressed = local.post(
        form_action(page.text, "Yes, confirm"), form=hidden_fields(page.text), headers=BROWSER
    )
    assert pressed.status == 200, pressed.text
    assert "now a member" in pressed.text


def hidden_fields(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


# --- what an administrator sees ----------------------------------------------------------------------


def admin(local: LocalMode, method: str, path: str, **kwargs: Any) -> Reply:
    return local.request(method, path, token=local.admin_token(), **kwargs)


def member_id_of(local: LocalMode, address: str) -> str:
    found = admin(local, "GET", f"/admin/members?q={address}")
    assert found.status == 200, found.text
    (member,) = found.json()["items"]
    return str(member["id"])


def detail(local: LocalMode, member_id: str) -> dict[str, Any]:
    reply = admin(local, "GET", f"/admin/members/{member_id}")
    assert reply.status == 200, reply.text
    data: dict[str, Any] = reply.json()
    return data


def group_member_ids(local: LocalMode, group_id: str) -> list[str]:
    return [m["id"] for m in admin(local, "GET", f"/admin/members?group={group_id}").json()["items"]]


def create_group(local: LocalMode) -> tuple[str, str]:
    name = f"Patient Journal {uuid.uuid4().hex[:8]}"
    created = admin(
        local,
        "POST",
        "/admin/groups",
        json_body={"name": name, "purpose": "Fast feedback from patients", "meeting_place": "GP practice"},
    )
    assert created.status == 201, created.text
    return str(created.json()["id"]), name


# --- underneath ------------------------------------------------------------------------------------


def let_ten_minutes_pass(dynamodb: Any, member_id: str) -> None:
    """Local mode has no clock to wind on, so age what the 10-minute rules read, as waiting would:
    the sign-up idempotency records expire, and the last confirmation email becomes 11 minutes old."""
    # the send ledger's claim of the last confirmation email (shared.send_once)
    key = {"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "SENT#confirm#-"}}
    for page in dynamodb.get_paginator("scan").paginate(TableName=IDEMPOTENCY.local_name):
        for record in page["Items"]:
            dynamodb.delete_item(TableName=IDEMPOTENCY.local_name, Key={"id": record["id"]})
    dynamodb.update_item(
        TableName=MEMBERS.local_name,
        Key=key,
        UpdateExpression="SET sent_at = :then",
        ExpressionAttributeValues={":then": {"S": iso(datetime.now(UTC) - timedelta(minutes=11))}},
    )
    # In life those 10 minutes also separate her last confirmation from the next one, and each
    # confirmation's welcome is keyed by its time to the second. Local mode's clock cannot be wound
    # on, so at least let the second turn over: CI once rejoined within the same second, and the
    # rejoin's welcome was (rightly) taken for the first one already sent.
    profile = dynamodb.get_item(
        TableName=MEMBERS.local_name, Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}}
    )["Item"]
    # (someone who never confirmed has no confirmation, and no welcome, to clash with)
    confirmed_at = profile.get("confirmed_at", {}).get("S")
    while confirmed_at is not None and iso(datetime.now(UTC)) <= confirmed_at:
        time.sleep(0.05)


def every_table(dynamodb: Any) -> dict[str, str]:
    """Each declared table, scanned whole, as lower-cased JSON text."""
    text = {}
    for spec in TABLES:
        pages = dynamodb.get_paginator("scan").paginate(TableName=spec.local_name, ConsistentRead=True)
        text[spec.local_name] = json.dumps([item for page in pages for item in page["Items"]]).casefold()
    return text


def assert_nowhere(dynamodb: Any, person: Person) -> None:
    tables = every_table(dynamodb)
    assert set(tables) == {spec.local_name for spec in TABLES}
    for table, text in tables.items():
        for value in person.personal:
            assert value.casefold() not in text, f"{value!r} is still in {table}"


def wait_for_status(local: LocalMode, member_id: str, status: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        seen = detail(local, member_id)
        if seen["status"] == status or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


# --- the scenario ----------------------------------------------------------------------------------


def test_a_members_whole_life_from_sign_up_to_erasure(
    local: LocalMode, person: Person, dynamodb: Any
) -> None:
    # Given a working group an administrator created
    group_id, group_name = create_group(local)

    # When Ann signs up as a carer on the form, and follows the link in the email she gets
    sent = sign_up(local, person, role="carer")
    assert sent.status == 202, sent.text
    assert "Check your email" in sent.text
    confirm(local, the_one_email(local, person.email, "Confirm your email address"))

    # Then she is welcomed, and the welcome offers preferences and a one-click unsubscribe
    welcome = emails_to(local, person.email)[-1]
    assert welcome["subject"].startswith("Welcome")
    assert welcome["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    member_id = member_id_of(local, person.email)
    assert detail(local, member_id)["status"] == "active"

    # When she opens her preferences from the welcome email
    preferences_url = link(welcome, "/members/preferences")
    page = local.get(preferences_url, headers=BROWSER)

    # Then she sees checkboxes: reminders on, newsletters off, the new group not ticked
    assert page.status == 200, page.text
    assert 'name="meeting_reminders" value="true" checked' in page.text
    assert 'name="newsletters" value="true">' in page.text
    assert f'name="working_groups" value="{group_id}">' in page.text
    assert group_name in page.text

    # When she unticks reminders, ticks newsletters and the working group, and saves
    saved = local.post(
        form_action(page.text, "Save my preferences"),
        form=[("newsletters", "true"), ("working_groups", group_id)],
        headers=BROWSER,
    )

    # Then the browser is sent on to the page (post/redirect/get), which says so, and the
    # administrator sees her choices and her in the group
    assert saved.status == 303, saved.text
    saved = local.get(saved.headers["location"], headers=BROWSER)
    assert "Your preferences are saved" in saved.text
    assert f'name="working_groups" value="{group_id}" checked' in saved.text
    seen = detail(local, member_id)
    assert seen["preferences"] == {"meeting_reminders": False, "newsletters": True}
    assert seen["working_groups"] == [group_id]
    assert group_member_ids(local, group_id) == [member_id]

    # When a link scanner opens the List-Unsubscribe URL, nothing changes: it is a page with a button
    unsubscribe_url = welcome["headers"]["List-Unsubscribe"].strip("<>")
    scanned = local.get(unsubscribe_url)
    assert scanned.status == 200 and '<button type="submit">Unsubscribe</button>' in scanned.text
    assert detail(local, member_id)["status"] == "active"

    # When her mail program sends the RFC 8058 one-click POST to that URL
    unsubscribed = local.post(unsubscribe_url, body=b"List-Unsubscribe=One-Click", headers=MAIL_CLIENT)

    # Then she is unsubscribed at once, and no longer listed in the group
    assert unsubscribed.status == 200, unsubscribed.text
    seen = detail(local, member_id)
    assert seen["status"] == "unsubscribed" and seen["unsubscribed_at"]
    assert group_member_ids(local, group_id) == []

    # And nothing more is sent to her: an administrator cannot send her a preferences link, and her
    # preferences page no longer offers choices. (Meeting reminders do not exist yet: when they do,
    # this is where to check that an unsubscribed member gets none.)
    local.clear_outbox()
    refused = admin(local, "POST", f"/admin/members/{member_id}/preferences-link")
    assert refused.status == 409, refused.text
    page = local.get(preferences_url, headers=BROWSER)
    assert "because you unsubscribed" in page.text and "Save my preferences" not in page.text
    assert local.outbox() == []

    # When, later, she signs up again with the same address (as a patient now, joining the group)
    let_ten_minutes_pass(dynamodb, member_id)
    again = sign_up(local, person, role="patient", groups=[group_id])

    # Then the page is the same as for anyone, her status does not change until she confirms, and
    # a rejoin confirmation goes to her address
    assert again.status == 202 and "Check your email" in again.text
    assert detail(local, member_id)["status"] == "unsubscribed"
    rejoin = the_one_email(local, person.email, "Confirm that you want to rejoin")

    # When she confirms it
    confirm(local, rejoin)

    # Then she is active again, with her new details, a second pair of consents, and fresh preferences
    seen = detail(local, member_id)
    assert (seen["status"], seen["role"], seen["working_groups"]) == ("active", "patient", [group_id])
    # contact: agreed, withdrawn by unsubscribing, agreed again; health data: agreed, agreed again
    assert [(c["kind"], c["given"]) for c in seen["consents"]] == [
        ("contact", True),
        ("health_data", True),
        ("contact", False),
        ("contact", True),
        ("health_data", True),
    ]
    assert seen["preferences"] == {"meeting_reminders": True, "newsletters": False}
    assert group_member_ids(local, group_id) == [member_id]
    # (found by subject: two emails a moment apart may be listed in either order)
    welcomes = [e for e in emails_to(local, person.email) if e["subject"].startswith("Welcome")]
    assert welcomes, [e["subject"] for e in emails_to(local, person.email)]
    welcome_back = welcomes[-1]

    # When she asks for a copy of her data from her preferences page (now, while email still reaches
    # her: after the bounce below, not even this link is sent)
    preferences_url = link(welcome_back, "/members/preferences")
    page = local.get(preferences_url, headers=BROWSER)
    local.clear_outbox()
    asked = local.post(form_action(page.text, 'value="export"'), form={"kind": "export"}, headers=BROWSER)

    # Then a link comes by email. It opens a page with a button and none of her data (a link scanner
    # gets nothing); the button shows it all in plain words, once, and the page's own button
    # downloads it as JSON, once
    assert asked.status == 202 and "Check your email" in asked.text
    export_mail = the_one_email(local, person.email, "Your copy of what")
    ready = local.get(link(export_mail, "/members/export"), headers=BROWSER)
    assert ready.status == 200 and ready.content_type.startswith("text/html"), ready.text
    assert person.name not in ready.text
    shown = local.post(form_action(ready.text, "Show my data"), form={"action": "show"}, headers=BROWSER)
    assert shown.status == 200 and shown.content_type.startswith("text/html"), shown.text
    assert person.name in shown.text and "lookup_id" not in shown.text
    assert (
        local.post(form_action(ready.text, "Show my data"), form={"action": "show"}, headers=BROWSER).status
        == 400
    )
    download = local.post(
        form_action(shown.text, "Download my data"), form={"action": "download"}, headers=BROWSER
    )
    assert download.status == 200, download.text
    again = local.post(
        form_action(shown.text, "Download my data"), form={"action": "download"}, headers=BROWSER
    )
    assert again.status == 400
    assert download.content_type.startswith("application/json")
    assert "attachment" in download.headers["content-disposition"]
    mine = download.json()["about_you"]
    assert (mine["email_address"], mine["name"], mine["phone_number"]) == (
        person.email,
        person.name,
        person.phone,
    )
    assert download.json()["working_groups"] == [group_name]
    assert download.json()["email_delivery"]["stopped_at"] is None

    # When her address bounces permanently (SES -> SNS -> SQS -> the bounces function)
    local.clear_outbox()
    queued = local.post("/_local/email-events/bounce", json_body={"to": person.email, "type": "Permanent"})
    assert queued.status == 202, queued.text

    # Then the administrator sees her suppressed, with the reason and when
    seen = wait_for_status(local, member_id, "suppressed")
    assert seen["status"] == "suppressed"
    suppression = seen["suppression"]
    assert (suppression["suppressed"], suppression["reason"]) == (True, "hard_bounce")
    suppressed_at = datetime.strptime(suppression["suppressed_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - suppressed_at) < timedelta(minutes=2)
    # and SES itself holds her address on its account-level suppression list, as the notice says
    assert on_amazons_block_list(local, person.email)

    # And nothing is sent to her any more, whoever asks: not a preferences link from an administrator,
    # not the erasure link she asks for herself, not a confirmation when her address signs up again
    assert admin(local, "POST", f"/admin/members/{member_id}/preferences-link").status == 409
    page = local.get(preferences_url, headers=BROWSER)
    erase_asked = local.post(form_action(page.text, 'value="erase"'), form={"kind": "erase"}, headers=BROWSER)
    assert erase_asked.status == 202, erase_asked.text
    let_ten_minutes_pass(dynamodb, member_id)
    assert sign_up(local, person, role="patient").status == 202
    assert detail(local, member_id)["status"] == "suppressed"
    assert local.outbox() == []

    # When an administrator exports her record (a subject access request)
    exported = admin(local, "GET", f"/admin/members/{member_id}/export")

    # Then it holds her profile, her consents with the notice versions, preferences, groups, suppression
    assert exported.status == 200, exported.text
    export = exported.json()
    profile = export["profile"]
    assert (profile["id"], profile["email"], profile["name"], profile["phone"]) == (
        member_id,
        person.email,
        person.name,
        person.phone,
    )
    assert (profile["role"], profile["status"]) == ("patient", "suppressed")
    version = notice_version(local)
    assert sorted((c["kind"], c["notice_version"], c["given"]) for c in export["consents"]) == [
        ("contact", version, False),
        ("contact", version, True),
        ("contact", version, True),
        ("health_data", version, True),
        ("health_data", version, True),
    ]
    assert {c["channel"] for c in export["consents"]} == {"web_form"}
    assert export["preferences"] == {"meeting_reminders": True, "newsletters": False}
    assert export["working_groups"] == [{"id": group_id, "name": group_name}]
    assert (export["suppression"]["reason"], export["suppression"]["suppressed"]) == ("hard_bounce", True)
    assert export["suppression"]["suppressed_at"] == suppression["suppressed_at"]
    assert ("member", "member.export") in {(e["actor"], e["action"]) for e in export["audit"]}

    # When an administrator erases her
    erased = admin(local, "DELETE", f"/admin/members/{member_id}")

    # Then the receipt says what went and what was kept; she is gone from the admin API
    assert erased.status == 200, erased.text
    receipt = erased.json()
    assert receipt["member_id"] == member_id and receipt["items_deleted"] >= 2
    assert any("suppression" in kept for kept in receipt["kept"])
    assert admin(local, "GET", f"/admin/members/{member_id}").status == 404
    assert admin(local, "GET", f"/admin/members?q={person.email}").json()["items"] == []
    assert member_id not in group_member_ids(local, group_id)

    # And DynamoDB Local's tables, read directly, hold neither her address, her name nor her phone
    assert_nowhere(dynamodb, person)
    # and nor does Amazon's block list any more
    assert not on_amazons_block_list(local, person.email)


def on_amazons_block_list(local: LocalMode, address: str) -> bool:
    """Whether SES's account-level suppression list (local mode's stand-in, in moto) holds `address`."""
    from infra.local.services import boto_client

    ses = boto_client("sesv2", local.endpoints["moto"])
    try:
        ses.get_suppressed_destination(EmailAddress=address)
    except ses.exceptions.NotFoundException:
        return False
    return True


def test_a_member_erases_themselves_from_a_link_sent_to_their_address(
    local: LocalMode, person: Person, dynamodb: Any
) -> None:
    # Given a confirmed member of a working group
    group_id, _ = create_group(local)
    assert sign_up(local, person, role="patient_and_carer", groups=[group_id]).status == 202
    confirm(local, the_one_email(local, person.email, "Confirm your email address"))
    member_id = member_id_of(local, person.email)
    assert group_member_ids(local, group_id) == [member_id]
    welcome = emails_to(local, person.email)[-1]

    # When they ask, from their preferences page, to have their details deleted
    page = local.get(link(welcome, "/members/preferences"), headers=BROWSER)
    local.clear_outbox()
    asked = local.post(form_action(page.text, 'value="erase"'), form={"kind": "erase"}, headers=BROWSER)
    assert asked.status == 202 and "Check your email" in asked.text

    # Then a link comes to their address; opening it shows a button and erases nothing
    erase_mail = the_one_email(local, person.email, "Please confirm that")
    erase_url = link(erase_mail, "/members/erase")
    confirm_page = local.get(erase_url, headers=BROWSER)
    assert confirm_page.status == 200, confirm_page.text
    assert "Yes, delete my details" in confirm_page.text
    assert detail(local, member_id)["status"] == "active"
    assert person.email in every_table(dynamodb)[MEMBERS.local_name]

    # When they press the button (a form post to the same link)
    done = local.post(form_action(confirm_page.text, "Yes, delete my details"), form=[], headers=BROWSER)

    # Then they are told it is done, and they are gone: from the admin API, from the group, and from
    # every table of DynamoDB Local
    assert done.status == 200, done.text
    assert "Your details have been deleted" in done.text
    assert admin(local, "GET", f"/admin/members/{member_id}").status == 404
    assert group_member_ids(local, group_id) == []
    assert_nowhere(dynamodb, person)

    # And pressing it again (a double click) is harmless, and sends nothing
    assert local.post(erase_url, form=[], headers=BROWSER).status == 200
    assert local.outbox() == [erase_mail]


# --- edges of the same path ----------------------------------------------------------------------


def test_saving_a_preferences_page_left_open_after_unsubscribing_is_not_a_server_error(
    local: LocalMode, person: Person
) -> None:
    # Given a member with their preferences page open in a tab
    assert sign_up(local, person, role="observer").status == 202
    confirm(local, the_one_email(local, person.email, "Confirm your email address"))
    member_id = member_id_of(local, person.email)
    welcome = emails_to(local, person.email)[-1]
    page = local.get(link(welcome, "/members/preferences"), headers=BROWSER)
    save_url = form_action(page.text, "Save my preferences")

    # And who meanwhile unsubscribes, with one click in their mail program
    unsubscribe_url = welcome["headers"]["List-Unsubscribe"].strip("<>")
    assert local.post(unsubscribe_url, body=b"List-Unsubscribe=One-Click", headers=MAIL_CLIENT).status == 200

    # When they press "Save my preferences" in the old tab
    saved = local.post(save_url, form=[("newsletters", "true")], headers=BROWSER)

    # Then they get a page that says why nothing changed and how to join again, not a server error
    assert 400 <= saved.status < 500, (saved.status, saved.text)
    assert "/members/signup" in saved.text
    seen = detail(local, member_id)
    assert seen["status"] == "unsubscribed"
    assert seen["preferences"] == {"meeting_reminders": True, "newsletters": False}


def test_someone_who_unsubscribes_before_confirming_and_later_rejoins_does_not_expire(
    local: LocalMode, person: Person, dynamodb: Any
) -> None:
    # Given someone who signed up, then used the unsubscribe link of the confirmation email instead
    assert sign_up(local, person, role="observer").status == 202
    confirmation = the_one_email(local, person.email, "Confirm your email address")
    member_id = member_id_of(local, person.email)
    unsubscribe_url = confirmation["headers"]["List-Unsubscribe"].strip("<>")
    assert local.post(unsubscribe_url, body=b"List-Unsubscribe=One-Click", headers=MAIL_CLIENT).status == 200
    assert detail(local, member_id)["status"] == "unsubscribed"

    # When they later sign up again, and confirm the rejoin email
    let_ten_minutes_pass(dynamodb, member_id)
    local.clear_outbox()
    assert sign_up(local, person, role="observer").status == 202
    confirm(local, the_one_email(local, person.email, "Confirm that you want to rejoin"))

    # Then they are an active member, for good: unlike an unconfirmed sign-up, neither their profile nor
    # their address pointer expires (else, 7 days after the first sign-up, DynamoDB's TTL deletes them
    # and every read already treats them as gone: the admin API would answer 404)
    assert detail(local, member_id)["status"] == "active"
    profile_key = {"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}}
    profile = dynamodb.get_item(TableName=MEMBERS.local_name, Key=profile_key, ConsistentRead=True)["Item"]
    pointer_key = {"pk": {"S": f"EMAIL#{profile['lookup_id']['S']}"}, "sk": {"S": "EMAIL"}}
    pointer = dynamodb.get_item(TableName=MEMBERS.local_name, Key=pointer_key, ConsistentRead=True)["Item"]
    assert "expires_at" not in profile
    assert "expires_at" not in pointer
