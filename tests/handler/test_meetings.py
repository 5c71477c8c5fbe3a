"""Meetings (issue 16): times in London, reminders exactly once, calendars that apps accept,
changes and cancellations, apologies, attendance, letters, report-backs and announcements.

Driven through the real handlers against moto: the admin API creates meetings, the `meeting-reminders`
schedule's function plans, and the mail queue's consumer sends, page by page, as AWS would run them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.client
import icalendar
import pytest

from tests.handler.test_signup import confirm, json_event, sign_up
from tests.support.env import queue_url
from tests.support.events import sqs_record

MAIL_QUEUE = queue_url("mkcpp-local-meeting-mail")
MAIL_QUEUE_ARN = "arn:aws:sqs:eu-west-2:123456789012:mkcpp-local-meeting-mail"
LOCATION = {
    "name": "Education Centre, Milton Keynes University Hospital",
    "address": "Standing Way, Eaglestone, MK6 5LD",
    "accessibility": "Step-free access; hearing loop",
}


@pytest.fixture
def site(aws, monkeypatch):
    # SES's rate is 1 a second in config: the sender waits between emails, which tests need not do
    waits: list[float] = []
    monkeypatch.setattr("shared.meetings.mailing.time.sleep", waits.append)
    aws.waits = waits
    return aws


def member(aws, address: str, name: str, role: str = "observer", **extra: Any) -> str:
    sign_up(aws, json_event(email=address, name=name, role=role, **extra))
    confirm(aws, aws.sent()[-1].token("/members/confirm"))
    return next(m["id"] for m in aws.members() if m["name"] == name)


def create(aws, starts_at: str, **extra: Any) -> dict[str, Any]:
    body = {
        "kind": "plenary",
        "title": "Plenary",
        "starts_at": starts_at,
        "duration_minutes": 90,
        "location": LOCATION,
        "agenda": "News from the working groups",
        "audience": {"type": "all"},
        **extra,
    }
    reply = aws.admin("POST", "/admin/meetings", json_body=body)
    assert reply.status == 201, reply
    return reply.json()


def london(aws, days: float, hour: int = 12, minute: int = 30) -> str:
    """A London wall-clock time `days` from the test clock's now."""
    from zoneinfo import ZoneInfo

    moment = (aws.clock.now + timedelta(days=days)).astimezone(ZoneInfo("Europe/London"))
    return moment.replace(hour=hour, minute=minute).strftime("%Y-%m-%dT%H:%M")


def plan(aws) -> dict[str, Any]:
    return aws.invoke("meeting_planner", {"kind": "meeting_reminders"})


def deliver(aws, *, fail_after: int | None = None) -> int:
    """Hand every queued mail job to the sender, as the event source mapping would; a failed one is
    put back (as SQS would redeliver it). Returns how many jobs were handled."""
    sqs = boto3.client("sqs", region_name="eu-west-2")
    handled = 0
    while True:
        messages = sqs.receive_message(QueueUrl=MAIL_QUEUE, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            event = {"Records": [sqs_record(message, MAIL_QUEUE_ARN)]}
            result = aws.invoke("meeting_sender", event)
            sqs.delete_message(QueueUrl=MAIL_QUEUE, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
            if result["batchItemFailures"]:
                if fail_after is not None:
                    return handled  # the caller retries (the message comes back after its timeout)
                sqs.send_message(QueueUrl=MAIL_QUEUE, MessageBody=message["Body"])


def reminders(aws, meeting_id: str) -> list[Any]:
    return [m for m in aws.sent() if m.calendar and meeting_id in m.calendar.decode()]


def event_of(received: Any) -> Any:
    (event,) = icalendar.Calendar.from_ical(received.calendar).walk("VEVENT")
    return event


# --- times ------------------------------------------------------------------------------------


def test_a_meeting_is_entered_in_london_time_and_stored_unambiguously(site):
    winter = create(site, "2027-01-12T12:30")
    summer = create(site, "2027-07-13T12:30")
    assert winter["starts_at"] == "2027-01-12T12:30:00Z"  # GMT
    assert summer["starts_at"] == "2027-07-13T11:30:00Z"  # BST
    # either side of the March and October changes
    assert create(site, "2027-03-27T12:30")["starts_at"] == "2027-03-27T12:30:00Z"
    assert create(site, "2027-03-29T12:30")["starts_at"] == "2027-03-29T11:30:00Z"
    assert create(site, "2027-10-30T12:30")["starts_at"] == "2027-10-30T11:30:00Z"
    assert create(site, "2027-11-01T12:30")["starts_at"] == "2027-11-01T12:30:00Z"
    assert len({winter["uid"], summer["uid"]}) == 2


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("2027-03-28T01:30", "does not exist"),
        ("2027-10-31T01:30", "happens twice"),
        ("2027-01-12", "Enter the time as well as the date"),  # not midnight by default
    ],
)
def test_a_time_that_does_not_exist_or_exists_twice_is_a_400_naming_it(site, when, said):
    reply = site.admin(
        "POST",
        "/admin/meetings",
        json_body={"title": "Plenary", "starts_at": when, "location": LOCATION},
    )
    assert reply.status == 400
    (error,) = reply.json()["errors"]
    assert error["field"] == "starts_at" and said in error["message"]


def test_a_series_makes_one_meeting_per_occurrence_each_its_own(site):
    reply = site.admin(
        "POST",
        "/admin/meetings/series",
        json_body={
            "rule": {
                "every_months": 2,
                "weekday": "TU",
                "nth": 2,
                "time": "12:30",
                "first_month": "2027-01",
                "until": "2027-12-31",
            },
            "location": LOCATION,
        },
    )
    assert reply.status == 201
    made = reply.json()["items"]
    # the second Tuesday of January, March, May, July, September and November 2027
    assert [m["starts_at"][:10] for m in made] == [
        "2027-01-12",
        "2027-03-09",
        "2027-05-11",
        "2027-07-13",
        "2027-09-14",
        "2027-11-09",
    ]
    assert {m["starts_at"][11:16] for m in made} == {"12:30", "11:30"}  # GMT, then BST, then GMT
    assert len({m["id"] for m in made}) == len({m["uid"] for m in made}) == 6


# --- reminders, exactly once ---------------------------------------------------------------------


def test_reminders_go_once_to_each_opted_in_member_however_often_the_schedule_fires(site):
    ann = member(site, "ann@example.org", "Ann Smith")
    bob = member(site, "bob@example.org", "Bob Jones")
    member(site, "cat@example.org", "Cat No Reminders")
    cat = next(m for m in site.members() if m["name"] == "Cat No Reminders")
    site.ddb.update_item(
        TableName="mkcpp-members",
        Key={"pk": {"S": f"MEMBER#{cat['id']}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET preferences.meeting_reminders = :no",
        ExpressionAttributeValues={":no": {"BOOL": False}},
    )
    # a meeting made 13 days ahead: its 14-day reminder is due at once
    meeting = create(site, london(site, 13))
    # the schedule fires twice, and the queue is delivered
    assert plan(site)["queued"] == 1
    assert plan(site)["queued"] == 0
    deliver(site)
    sent = reminders(site, meeting["id"])
    assert sorted(m.to for m in sent) == ["ann@example.org", "bob@example.org"]
    # redelivering the same job sends nothing more
    boto3.client("sqs", region_name="eu-west-2").send_message(
        QueueUrl=MAIL_QUEUE,
        MessageBody=json.dumps({"job": "reminder", "meeting": meeting["id"], "offset": 14}),
    )
    deliver(site)
    assert len(reminders(site, meeting["id"])) == 2
    # and the SES rate is kept between sends
    assert all(wait >= 2 / 1 for wait in site.waits)
    del ann, bob


def test_the_invitation_is_a_calendar_that_mail_programs_accept(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    (email,) = reminders(site, meeting["id"])
    # multipart/mixed: the alternatives (text, HTML, calendar), and the same .ics attached
    assert email.parts[:5] == (
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    )
    assert email.calendar_method == "REQUEST"
    ((name, kind, data),) = email.attachments
    assert name == "invite.ics" and kind == "application/ics" and data == email.calendar
    calendar = icalendar.Calendar.from_ical(email.calendar)
    assert calendar["METHOD"] == "REQUEST"
    event = event_of(email)
    assert str(event["UID"]) == meeting["uid"] and int(event["SEQUENCE"]) == 0
    assert "RRULE" not in event
    assert str(event["ORGANIZER"]) == "mailto:no-reply@mkcpp.org.uk"
    assert not isinstance(event["ATTENDEE"], list)  # the recipient alone
    assert str(event["ATTENDEE"]) == "mailto:ann@example.org"
    assert event.decoded("DTSTART").tzinfo is not None
    (zone,) = calendar.walk("VTIMEZONE")
    assert {c.name for c in zone.subcomponents} == {"DAYLIGHT", "STANDARD"}
    # the email itself says it all in plain words, with the apologies link and unsubscribing
    assert "Education Centre" in email.text and "Step-free access" in email.text
    assert "/meetings/apologies?token=" in email.text
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_late_schedule_sends_only_the_latest_due_reminder_and_none_after_the_meeting(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 20))
    # the schedule did not run until 1 day before (downtime): the 14-day reminder is stale
    site.clock.advance(days=19)
    report = plan(site)
    assert report["queued"] == 1 and report["skipped"] == 1
    deliver(site)
    (email,) = reminders(site, meeting["id"])
    assert "tomorrow" in email.subject
    # after the meeting has started, nothing more goes
    site.clock.advance(days=2)
    assert plan(site)["queued"] == 0
    deliver(site)
    assert len(reminders(site, meeting["id"])) == 1


def test_a_sender_that_fails_half_way_sends_the_rest_on_retry_and_nobody_twice(site, monkeypatch):
    for n in range(5):
        member(site, f"m{n}@example.org", f"Member {n}")
    meeting = create(site, london(site, 13))
    plan(site)
    from shared.email import mailer as mail_module

    real = mail_module.Mailer.send
    calls = {"n": 0}

    def flaky(self, email, suppression_checked=False):
        calls["n"] += 1
        if calls["n"] == 3:
            raise mail_module.EmailNotSent("Throttling")
        return real(self, email, suppression_checked)

    monkeypatch.setattr(mail_module.Mailer, "send", flaky)
    deliver(site)  # the failed page is put back, and sent again
    assert sorted(m.to for m in reminders(site, meeting["id"])) == [f"m{n}@example.org" for n in range(5)]


def test_a_sender_killed_between_claiming_and_sending_is_taken_over_after_the_lease(site, monkeypatch):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    from shared.email import mailer as mail_module

    def killed(self, email, suppression_checked=False):
        raise SystemExit("the sender died after claiming")

    monkeypatch.setattr(mail_module.Mailer, "send", killed)
    sqs = boto3.client("sqs", region_name="eu-west-2")
    (message,) = sqs.receive_message(QueueUrl=MAIL_QUEUE).get("Messages", [])
    from functions.meetings.services import mailing

    job = json.loads(message["Body"])
    with pytest.raises(SystemExit):
        mailing().handle(job, site.clock.now)
    monkeypatch.undo()
    monkeypatch.setattr("shared.meetings.mailing.time.sleep", lambda _: None)
    # redelivered too soon (within the lease): the claim is another sender's, nothing goes

    assert mailing().handle(json.loads(message["Body"]), site.clock.now).sent == 0
    # once the queue's visibility timeout has passed, the retry takes the claim over and sends
    site.clock.advance(seconds=721)
    assert mailing().handle(json.loads(message["Body"]), site.clock.now).sent == 1
    assert len(reminders(site, meeting["id"])) == 1


def test_a_member_who_joins_after_a_reminder_gets_the_next_one(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    member(site, "bob@example.org", "Bob Jones")
    site.clock.advance(days=11, hours=14)  # now the 2-day reminder is due (at 12:30, from any hour)
    plan(site)
    deliver(site)
    sent = reminders(site, meeting["id"])
    assert sorted(m.to for m in sent) == ["ann@example.org", "ann@example.org", "bob@example.org"]


# --- changes and cancellations -------------------------------------------------------------------


def test_quick_edits_go_out_as_one_update_saying_what_changed_and_calendars_update(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    (first,) = reminders(site, meeting["id"])
    # two quick edits: the time, then the place
    site.admin(
        "PATCH", f"/admin/meetings/{meeting['id']}", json_body={"starts_at": london(site, 13, hour=13)}
    )
    site.clock.advance(minutes=2)
    place = {**LOCATION, "name": "Postgraduate Centre"}
    site.admin("PATCH", f"/admin/meetings/{meeting['id']}", json_body={"location": place})
    site.clock.advance(minutes=2)
    plan(site)
    deliver(site)
    assert len(reminders(site, meeting["id"])) == 1  # not yet: the edits have not settled
    site.clock.advance(minutes=4)
    assert plan(site)["updates"] == 1
    deliver(site)
    update = reminders(site, meeting["id"])[-1]
    assert update.subject.startswith("Changed:")
    assert "12:30pm" in update.text and "1:30pm" in update.text  # old and new
    assert "Education Centre" in update.text and "Postgraduate Centre" in update.text
    assert str(event_of(update)["UID"]) == str(event_of(first)["UID"])
    assert int(event_of(update)["SEQUENCE"]) > int(event_of(first)["SEQUENCE"])
    # and no second 14-day reminder for the moved meeting
    plan(site)
    deliver(site)
    assert len(reminders(site, meeting["id"])) == 2


def test_an_unchanged_edit_writes_nothing_and_tells_nobody(site):
    meeting = create(site, london(site, 13))
    reply = site.admin("PATCH", f"/admin/meetings/{meeting['id']}", json_body={"title": "Plenary"})
    assert reply.status == 200 and reply.json()["version"] == meeting["version"]


def test_a_cancellation_goes_out_at_once_and_removes_it_from_calendars(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    (first,) = reminders(site, meeting["id"])
    reply = site.admin(
        "POST", f"/admin/meetings/{meeting['id']}/cancel", json_body={"reason": "The room flooded"}
    )
    assert reply.status == 200 and reply.json()["status"] == "cancelled"
    deliver(site)
    cancel = reminders(site, meeting["id"])[-1]
    assert cancel.calendar_method == "CANCEL" and cancel.subject.startswith("Cancelled:")
    assert "The room flooded" in cancel.text
    event = event_of(cancel)
    assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]) == str(event_of(first)["UID"])
    assert int(event["SEQUENCE"]) > int(event_of(first)["SEQUENCE"])
    assert icalendar.Calendar.from_ical(cancel.calendar)["METHOD"] == "CANCEL"
    # a subscriber to the public feed sees it cancelled until it has passed; the public list and
    # sign-up's "next meeting" no longer offer it
    (shown,) = [
        e
        for e in icalendar.Calendar.from_ical(site.request("GET", "/meetings.ics").body).walk("VEVENT")
        if str(e["UID"]) == meeting["uid"]
    ]
    assert str(shown["STATUS"]) == "CANCELLED" and str(shown["SUMMARY"]).startswith("Cancelled: ")
    assert str(shown["TRANSP"]) == "TRANSPARENT"  # no longer busy time
    assert str(shown["SEQUENCE"]) == str(event["SEQUENCE"])
    assert site.request("GET", "/meetings").json()["items"] == []
    # cancelling again tells nobody again; no reminder goes for a cancelled meeting
    site.admin("POST", f"/admin/meetings/{meeting['id']}/cancel")
    site.clock.advance(days=12)
    plan(site)
    deliver(site)
    assert len(reminders(site, meeting["id"])) == 2


# --- the public view and feeds ---------------------------------------------------------------------


def test_the_public_list_and_feed_show_public_meetings_only(site):
    plenary = create(site, london(site, 20))
    site.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    site.admin("POST", "/admin/groups", json_body={"name": "Open door", "purpose": "Anyone", "public": True})
    private = create(
        site,
        london(site, 21),
        kind="working_group",
        title="Patient voice",
        audience={"type": "working_group", "id": "patient-voice"},
    )
    public = create(
        site,
        london(site, 22),
        kind="working_group",
        title="Open door",
        audience={"type": "working_group", "id": "open-door"},
    )
    listed = site.request("GET", "/meetings").json()["items"]
    assert [m["id"] for m in listed] == [plenary["id"], public["id"]]
    feed = site.request("GET", "/meetings.ics")
    assert feed.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.body)
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {plenary["uid"], public["uid"]}
    assert all("ATTENDEE" not in e and "ORGANIZER" not in e for e in events)
    assert private["uid"] not in feed.body


def test_a_group_made_public_or_private_later_moves_its_meetings_within_a_minute(site):
    site.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    meeting = create(
        site,
        london(site, 21),
        kind="working_group",
        title="Patient voice",
        audience={"type": "working_group", "id": "patient-voice"},
    )

    def listed() -> list[str]:
        return [m["id"] for m in site.request("GET", "/meetings").json()["items"]]

    assert listed() == []
    site.admin("PATCH", "/admin/groups/patient-voice", json_body={"public": True})
    plan(site)  # the next minute's run
    assert listed() == [meeting["id"]]
    plan(site)
    assert listed() == [meeting["id"]]
    site.admin("PATCH", "/admin/groups/patient-voice", json_body={"public": False})
    plan(site)
    assert listed() == [] and meeting["uid"] not in site.request("GET", "/meetings.ics").body
    # a meeting cancelled while its group was private never appears in the public feed later
    site.admin("POST", f"/admin/meetings/{meeting['id']}/cancel")
    site.admin("PATCH", "/admin/groups/patient-voice", json_body={"public": True})
    plan(site)
    assert meeting["uid"] not in site.request("GET", "/meetings.ics").body


def test_two_changes_to_a_feed_at_once_leave_one_link_that_works(aws, monkeypatch):
    """A member makes a new link while an administrator stops the old one (or a double click makes
    two): the change that read a link already replaced reads again, so no second link is left
    resolving to the member, unseen and unstoppable."""
    from infra.declaration import TABLES
    from shared.meetings.repository import MeetingRepository

    table = next(t.local_name for t in TABLES if t.key == "meetings")
    repo = MeetingRepository(boto3.client("dynamodb", region_name="eu-west-2"), table)
    now = datetime.now(UTC)
    repo.set_feed("m1", "link-a", now)
    read = repo.feed_token_of
    stale = iter(["link-a"])  # read before another change replaced link-a with link-b ...
    repo.set_feed("m1", "link-b", now)
    monkeypatch.setattr(repo, "feed_token_of", lambda member_id: next(stale, None) or read(member_id))
    assert repo.set_feed("m1", "link-c", now)  # ... so this one's first write is refused, and retried
    assert [repo.member_of_feed(t) for t in ("link-a", "link-b", "link-c")] == [None, None, "m1"]
    assert read("m1") == "link-c"
    # stopping on a stale read stops the link there is now
    stale = iter(["link-b"])
    assert repo.set_feed("m1", None, now)
    assert repo.member_of_feed("link-c") is None and read("m1") is None
    assert not repo.set_feed("m1", None, now)


def test_a_member_makes_and_revokes_a_private_feed_with_their_groups_meetings(site):
    site.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    sign_up(
        site,
        json_event(
            email="ann@example.org", name="Ann Smith", role="observer", working_groups=["patient-voice"]
        ),
    )
    confirm(site, site.sent()[-1].token("/members/confirm"))
    group_meeting = create(
        site,
        london(site, 21),
        kind="working_group",
        title="Patient voice",
        audience={"type": "working_group", "id": "patient-voice"},
    )
    ann = next(m for m in site.members() if m["name"] == "Ann Smith")
    preferences = site.admin("POST", f"/admin/members/{ann['id']}/preferences-link")
    assert preferences.status == 200
    token = site.sent()[-1].token("/members/preferences")
    # the calendar page shows a button; a GET makes nothing
    page = site.request("GET", "/meetings/calendar", query={"token": token}, accept="text/html")
    assert page.status == 200 and "Make my calendar link" in page.body
    made = site.request(
        "POST", "/meetings/calendar", query={"token": token}, form={"action": "make"}, accept="text/html"
    )
    feed_url = made.body.split('id="feed" value="')[1].split('"')[0]
    feed_token = feed_url.rsplit("/", 1)[1]
    feed = site.request("GET", f"/meetings/feeds/{feed_token}")
    assert group_meeting["uid"] in feed.body
    # revoked: the old address is gone for good
    site.request(
        "POST", "/meetings/calendar", query={"token": token}, form={"action": "stop"}, accept="text/html"
    )
    assert site.request("GET", f"/meetings/feeds/{feed_token}").status == 404
    # made again; then her emails start to bounce: her calendar still reads her feed (it is not email)
    made = site.request(
        "POST", "/meetings/calendar", query={"token": token}, form={"action": "make"}, accept="text/html"
    )
    feed_token = made.body.split('id="feed" value="')[1].split('"')[0].rsplit("/", 1)[1]
    from tests.handler.test_lifecycle import ses_event

    assert site.invoke("member_bounces", ses_event("sqs_bounce_permanent", "ann@example.org")[0]) == {
        "batchItemFailures": []
    }
    assert group_meeting["uid"] in site.request("GET", f"/meetings/feeds/{feed_token}").body
    # her group's meeting is cancelled: her feed shows it cancelled, not gone without a word
    site.admin("POST", f"/admin/meetings/{group_meeting['id']}/cancel")
    mine = icalendar.Calendar.from_ical(site.request("GET", f"/meetings/feeds/{feed_token}").body)
    (shown,) = [e for e in mine.walk("VEVENT") if str(e["UID"]) == group_meeting["uid"]]
    assert str(shown["STATUS"]) == "CANCELLED"


# --- apologies, attendance, letters, report-backs --------------------------------------------------


def test_apologies_are_never_recorded_by_opening_the_link_only_by_the_button(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    (email,) = reminders(site, meeting["id"])
    token = email.token("/meetings/apologies")
    # a link scanner opens it: a page with a button, nothing recorded
    for _ in range(2):
        page = site.request("GET", "/meetings/apologies", query={"token": token}, accept="text/html")
        assert page.status == 200 and "Send my apologies" in page.body
    sheet = site.admin("GET", f"/admin/meetings/{meeting['id']}/attendance").json()
    assert [p["apologies"] for p in sheet["people"]] == [False]
    done = site.request(
        "POST", "/meetings/apologies", query={"token": token}, form={"action": "send"}, accept="text/html"
    )
    assert "your apologies are noted" in done.body.lower()
    sheet = site.admin("GET", f"/admin/meetings/{meeting['id']}/attendance").json()
    assert [p["apologies"] for p in sheet["people"]] == [True]
    # and undone
    site.request(
        "POST", "/meetings/apologies", query={"token": token}, form={"action": "withdraw"}, accept="text/html"
    )
    sheet = site.admin("GET", f"/admin/meetings/{meeting['id']}/attendance").json()
    assert [p["apologies"] for p in sheet["people"]] == [False]


def test_attendance_for_the_minutes_names_who_came_and_who_could_not_be_emailed(site):
    ann = member(site, "ann@example.org", "Ann Smith")
    offline = site.admin(
        "POST",
        "/admin/members",
        json_body={
            "name": "Dot Post",
            "role": "observer",
            "postal_address": "1 High Street\nMilton Keynes\nMK1 1AA",
            "consent_contact_in_person": True,
            "privacy_notice_version": "2026-11",
        },
    ).json()
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    marks = {ann: "present", offline["id"]: "apologies"}
    sheet = site.admin(
        "POST", f"/admin/meetings/{meeting['id']}/attendance", json_body={"marks": marks}
    ).json()
    by_name = {p["name"]: p for p in sheet["people"]}
    assert by_name["Ann Smith"]["attendance"] == "present" and by_name["Ann Smith"]["reachable_by_email"]
    assert by_name["Dot Post"]["attendance"] == "apologies" and not by_name["Dot Post"]["reachable_by_email"]


def test_announcements_go_once_to_members_who_chose_news(site):
    ann = member(site, "ann@example.org", "Ann Smith")
    member(site, "bob@example.org", "Bob Jones")
    site.ddb.update_item(  # Ann chose news on her preferences page
        TableName="mkcpp-members",
        Key={"pk": {"S": f"MEMBER#{ann}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET preferences.newsletters = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )
    reply = site.admin(
        "POST",
        "/admin/announcements",
        json_body={"subject": "Our new leaflet", "body": "It is ready.\n\nCome and see."},
    )
    assert reply.status == 201 and reply.json()["status"] == "sending"
    deliver(site)
    news = [m for m in site.sent() if m.subject == "Our new leaflet"]
    assert [m.to for m in news] == ["ann@example.org"]
    assert news[0].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    listed = site.admin("GET", "/admin/announcements").json()["items"]
    assert listed[0]["sent"] == 1 and listed[0]["status"] == "sent" and listed[0]["bounced"] == 0


def test_an_announcement_counts_the_addresses_that_bounced_for_good(site, monkeypatch):
    from tests.handler.test_lifecycle import ses_event

    ann = member(site, "ann@example.org", "Ann Smith")
    bob = member(site, "bob@example.org", "Bob Jones")
    for member_id in (ann, bob):  # both chose news
        site.ddb.update_item(
            TableName="mkcpp-members",
            Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET preferences.newsletters = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )
    reply = site.admin(
        "POST", "/admin/announcements", json_body={"subject": "Leaflet", "body": "It is ready."}
    )
    announcement = reply.json()["id"]
    tags: list[Any] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation, params):  # type: ignore[no-untyped-def]
        if operation == "SendEmail":
            tags.append(params.get("EmailTags"))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    deliver(site)
    # each email carries its mailing's reference, which SES hands back with a bounce
    ref = {"Name": "ref", "Value": f"announcement-{announcement}"}
    assert len(tags) == 2 and all(ref in t and {"Name": "kind", "Value": "announcement"} in t for t in tags)
    assert sorted(m.to for m in site.sent() if m.subject == "Leaflet") == [
        "ann@example.org",
        "bob@example.org",
    ]

    # When Ann's address bounces for good, SES's event carrying the email's tags (twice: SQS redelivers)
    event, message = ses_event("sqs_bounce_permanent", "ann@example.org")
    message["mail"]["tags"]["kind"] = ["announcement"]
    message["mail"]["tags"]["ref"] = [f"announcement-{announcement}"]
    body = json.loads(event["Records"][0]["body"])
    body["Message"] = json.dumps(message)
    event["Records"][0]["body"] = json.dumps(body)
    for _ in range(2):
        assert site.invoke("member_bounces", event) == {"batchItemFailures": []}

    # Then the announcement says one bounced, and the other announcements none
    listed = site.admin("GET", "/admin/announcements").json()["items"]
    assert [(a["sent"], a["bounced"]) for a in listed] == [(2, 1)]
    # and an event whose tag is not one of ours counts nowhere
    message["mail"]["tags"]["ref"] = ["<script>"]
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = "bob@example.org"
    body["Message"] = json.dumps(message)
    event["Records"][0]["body"] = json.dumps(body)
    assert site.invoke("member_bounces", event) == {"batchItemFailures": []}
    assert [a["bounced"] for a in site.admin("GET", "/admin/announcements").json()["items"]] == [1]


def test_each_lead_is_asked_for_a_report_back_and_chased_once(site):
    ann = member(site, "ann@example.org", "Ann Smith")
    site.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    site.admin("POST", "/admin/groups/patient-voice/members", json_body={"member_id": ann})
    site.admin("PATCH", "/admin/groups/patient-voice", json_body={"lead_contact": "Ann"})
    from functions.members.services import member_admin

    member_admin().set_lead("patient-voice", ann, "test", site.clock.now)
    meeting = create(site, london(site, 30))
    site.clock.advance(days=20, hours=14)  # 10 days before (the meeting is at 12:30; from any hour)
    plan(site)
    deliver(site)
    asks = [m for m in site.sent() if "report" in m.subject.lower()]
    assert [m.to for m in asks] == ["ann@example.org"]
    site.clock.advance(days=4, hours=1)
    plan(site)
    plan(site)
    deliver(site)
    asks = [m for m in site.sent() if "report" in m.subject.lower()]
    assert len(asks) == 2 and asks[1].subject.startswith("Reminder:")
    site.admin("POST", f"/admin/meetings/{meeting['id']}/report-backs/patient-voice")
    site.clock.advance(days=2)
    plan(site)
    deliver(site)
    assert len([m for m in site.sent() if "report" in m.subject.lower()]) == 2


def test_a_members_meeting_records_are_in_their_export_and_erased_with_them(site):
    ann = member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    token = reminders(site, meeting["id"])[0].token("/meetings/apologies")
    site.request(
        "POST", "/meetings/apologies", query={"token": token}, form={"action": "send"}, accept="text/html"
    )
    export = site.admin("GET", f"/admin/members/{ann}/export").json()
    (held,) = export["elsewhere"]["meetings"]["meetings"]
    assert held["meeting_id"] == meeting["id"] and held["apologies"] is True and held["emails"]
    assert site.admin("DELETE", f"/admin/members/{ann}").status == 200
    left = [i for i in site.items("meetings") if ann in json.dumps(i)]
    assert left == []


def test_a_sender_killed_mid_page_sends_nobody_twice_on_the_retry(site, monkeypatch):
    for n in range(5):
        member(site, f"m{n}@example.org", f"Member {n}")
    meeting = create(site, london(site, 13))
    plan(site)
    from functions.meetings.services import mailing
    from shared.email import mailer as mail_module

    real = mail_module.Mailer.send
    seconds = iter(range(1000))  # SES's rate: a second passes between emails
    monkeypatch.setattr(mailing(), "_monotonic", lambda: float(next(seconds)))
    calls = {"n": 0}

    def dies_at_the_fourth(self, email, suppression_checked=False):
        calls["n"] += 1
        if calls["n"] == 4:
            raise SystemExit("the sender died mid-page")
        return real(self, email, suppression_checked)

    monkeypatch.setattr(mail_module.Mailer, "send", dies_at_the_fourth)
    sqs = boto3.client("sqs", region_name="eu-west-2")
    (message,) = sqs.receive_message(QueueUrl=MAIL_QUEUE).get("Messages", [])
    with pytest.raises(SystemExit):
        mailing().handle(json.loads(message["Body"]), site.clock.now)
    assert len(reminders(site, meeting["id"])) == 3
    monkeypatch.setattr(mail_module.Mailer, "send", real)
    site.clock.advance(seconds=721)  # the lease has passed: the retry takes the page over
    mailing().handle(json.loads(message["Body"]), site.clock.now)
    assert sorted(m.to for m in reminders(site, meeting["id"])) == [f"m{n}@example.org" for n in range(5)]


def test_a_planner_run_that_fails_before_queuing_loses_nothing(site, monkeypatch):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    from shared.meetings.jobs import Jobs

    real = Jobs.put

    def queue_down(self, jobs):
        raise RuntimeError("SQS is unavailable")

    monkeypatch.setattr(Jobs, "put", queue_down)
    with pytest.raises(RuntimeError):
        plan(site)
    monkeypatch.setattr(Jobs, "put", real)
    plan(site)  # the next minute's run, or the retry
    deliver(site)
    assert [m.to for m in reminders(site, meeting["id"])] == ["ann@example.org"]


def test_an_announcement_retried_after_a_failure_counts_each_email_once(site, monkeypatch):
    for n in range(5):
        member_id = member(site, f"n{n}@example.org", f"News {n}")
        site.ddb.update_item(
            TableName="mkcpp-members",
            Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET preferences.newsletters = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )
    from shared.email import mailer as mail_module

    real = mail_module.Mailer.send
    calls = {"n": 0}

    def flaky(self, email, suppression_checked=False):
        calls["n"] += 1
        if calls["n"] == 3:
            raise mail_module.EmailNotSent("Throttling")
        return real(self, email, suppression_checked)

    monkeypatch.setattr(mail_module.Mailer, "send", flaky)
    site.admin("POST", "/admin/announcements", json_body={"subject": "Leaflet", "body": "It is ready."})
    deliver(site)  # the failed page comes back and sends the one left
    assert len([m for m in site.sent() if m.subject == "Leaflet"]) == 5
    (listed,) = site.admin("GET", "/admin/announcements").json()["items"]
    assert (listed["sent"], listed["suppressed"], listed["status"]) == (5, 0, "sent")


def test_an_erased_members_apologies_link_writes_nothing_of_theirs_again(site):
    ann = member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    plan(site)
    deliver(site)
    (email,) = reminders(site, meeting["id"])
    token = email.token("/meetings/apologies")
    assert site.admin("DELETE", f"/admin/members/{ann}").status == 200
    pressed = site.request(
        "POST", "/meetings/apologies", query={"token": token}, form={"action": "send"}, accept="text/html"
    )
    assert pressed.status == 400
    assert [i for i in site.items("meetings") if ann in f"{i['pk']} {i['sk']}"] == []


def test_the_organisers_note_goes_to_the_invited_not_to_the_public_feed(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13), note="The door code is 4321")
    plan(site)
    deliver(site)
    (email,) = reminders(site, meeting["id"])
    assert "4321" in email.text and "4321" in email.calendar.decode().replace("\r\n ", "")
    public = site.request("GET", "/meetings.ics")
    assert meeting["uid"] in public.body and "4321" not in public.body.replace("\r\n ", "")


def test_attendance_is_marked_only_for_the_invited(site):
    member(site, "ann@example.org", "Ann Smith")
    meeting = create(site, london(site, 13))
    path = f"/admin/meetings/{meeting['id']}/attendance"
    for marks in ({"": "present"}, {"x#y": "present"}, {"a" * 5000: "present"}):
        refused = site.admin("POST", path, json_body={"marks": marks})
        assert refused.status == 400 and refused.json()["errors"][0]["field"].startswith("marks"), refused
    stranger = "00000000-0000-4000-8000-000000000000"
    refused = site.admin("POST", path, json_body={"marks": {stranger: "present"}})
    assert refused.status == 400 and "invited" in refused.body
    assert [i for i in site.items("meetings") if "PERSON#" in i["sk"]] == []


def test_an_idempotency_key_we_could_not_honour_is_refused_not_ignored(site):
    body = {
        "kind": "plenary",
        "title": "Plenary",
        "starts_at": london(site, 20),
        "duration_minutes": 90,
        "location": LOCATION,
        "audience": {"type": "all"},
    }
    refused = site.admin("POST", "/admin/meetings", json_body=body, headers={"Idempotency-Key": "abc123"})
    assert refused.status == 400 and refused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert site.admin("GET", "/admin/meetings").json()["items"] == []


def test_a_meeting_in_the_hour_the_clocks_go_back_is_at_its_own_instant_in_calendars(site):
    # 01:30 UTC on 31 October 2027 is the second 01:30 in London that night (GMT, after the change)
    created = create(site, "2027-10-31T01:30Z", title="Late one")
    feed = icalendar.Calendar.from_ical(site.request("GET", "/meetings.ics").body)
    (event,) = [e for e in feed.walk("VEVENT") if str(e["UID"]) == created["uid"]]
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
