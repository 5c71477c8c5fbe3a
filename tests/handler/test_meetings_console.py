"""The meetings console pages (issue 16) as an administrator's browser drives them: every page of a
plenary with its working groups' report-backs renders, the forms make and change what they say, and a
form with a mistake comes back naming the field."""

from __future__ import annotations

import re

import pytest

from tests.handler.test_meetings import LOCATION, deliver, london, member, plan
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    monkeypatch.setattr("shared.meetings.mailing.time.sleep", lambda seconds: None)
    return ConsoleBrowser(aws, mint())


def signed_in_again(browser: ConsoleBrowser) -> None:
    """After the test's clock moves on days, the administrator signs in again (issued now, so the
    token library's own clock accepts it; lasting past the test clock's now)."""
    browser.cookies["mkcpp_console"] = mint(exp=int(browser.world.clock.now.timestamp()) + 3600)


def new_meeting(browser: ConsoleBrowser, **fields: str) -> str:
    """A meeting at 12:30 London time on the day 30 days from the test clock's now. Its 14-day
    reminder is due 16 days on at 12:30; the clock starts at the real time of day, so a test moves
    it 16 days and 14 hours to be past that moment whenever it runs (1 hour was not enough
    before 11:30)."""
    form = {
        "kind": "plenary",
        "title": "Winter plenary",
        "starts_at": london(browser.world, 30),
        "duration_minutes": "90",
        "location_name": LOCATION["name"],
        "location_address": LOCATION["address"],
        "audience_type": "all",
        **fields,
    }
    made = browser.post("/console/meetings/new", form)
    assert made.status == 303, made.body
    found = re.match(r"/console/meetings/([\w-]+)\?done=created$", made.headers["Location"])
    assert found, made.headers["Location"]
    return found.group(1)


def test_every_page_of_a_plenary_with_report_backs_renders_what_happened(aws, browser):
    ann = member(aws, "ann@example.org", "Ann Smith")
    aws.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    aws.admin("POST", "/admin/groups/patient-voice/members", json_body={"member_id": ann})
    from functions.members.services import member_admin

    member_admin().set_lead("patient-voice", ann, "test", aws.clock.now)
    bob = {
        "name": "Bob Jones",
        "role": "carer",
        "postal_address": "1 High St",
        "consent_contact_in_person": True,
        "consent_health_data_in_person": True,
        "privacy_notice_version": "2026-11",
    }
    assert aws.admin("POST", "/admin/members", json_body=bob).status == 201
    meeting = new_meeting(browser)
    aws.clock.advance(days=20, hours=1)  # ten days before: the lead is asked for the group's report
    plan(aws)
    deliver(aws)
    signed_in_again(browser)

    page = text(browser.get(f"/console/meetings/{meeting}").body)
    assert "Winter plenary" in page and "Patient voice" in page and "Mark as received" in page
    marked = browser.post(f"/console/meetings/{meeting}/report-backs/patient-voice")
    assert marked.status == 303
    page = text(browser.get(marked.headers["Location"]).body)
    assert "Mark as received" not in page

    listing = text(browser.get("/console/meetings").body)
    assert "Winter plenary" in listing
    assert "1 invited cannot be emailed" in listing, listing  # Bob, who needs a letter or a call
    letters = text(browser.get(f"/console/meetings/{meeting}/letters").body)
    assert "Bob Jones" in letters and "1 High St" in letters and "Ann Smith" not in letters
    for path in ("edit", "cancel", "preview", "attendance"):
        shown = browser.get(f"/console/meetings/{meeting}/{path}")
        assert shown.status == 200, (path, shown.body)
    assert browser.get("/console/meetings/new").status == 200
    assert browser.get("/console/meetings/series").status == 200
    assert browser.get("/console/announcements").status == 200


def test_a_meeting_form_with_a_mistake_comes_back_naming_the_field(browser):
    wrong = browser.post(
        "/console/meetings/new",
        {
            "kind": "plenary",
            "title": "",
            "starts_at": "tomorrow",
            "duration_minutes": "90",
            "location_name": "",
            "location_address": "",
            "audience_type": "all",
        },
    )
    assert wrong.status == 400
    page = text(wrong.body)
    assert "There is a problem" in page
    for field in ("title", "starts_at", "location_name"):
        assert f'href="#{field}"' in wrong.body, field
    assert browser.get("/console/meetings").status == 200  # nothing was made


def test_an_announcement_is_previewed_then_sent_once(aws, browser):
    ann = member(aws, "ann@example.org", "Ann Smith")
    aws.ddb.update_item(  # Ann chose news on her preferences page
        TableName="mkcpp-members",
        Key={"pk": {"S": f"MEMBER#{ann}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="SET preferences.newsletters = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )
    form = {"subject": "Coffee morning", "body": "Come along on Friday.", "audience_type": "newsletters"}
    preview = browser.post("/console/announcements", form)
    assert preview.status == 200 and "Coffee morning" in text(preview.body)
    assert not [m for m in aws.sent() if m.subject == "Coffee morning"]
    once = re.search(r'name="once" value="([^"]+)"', preview.body)
    assert once, "the preview's Send button carries its form's own token"
    send = {**form, "step": "send", "once": once.group(1)}
    assert browser.post("/console/announcements", send).status == 303
    assert browser.post("/console/announcements", send).status == 303  # the button clicked twice
    plan(aws)
    deliver(aws)
    assert [m.to for m in aws.sent() if m.subject == "Coffee morning"] == ["ann@example.org"]


def test_a_double_clicked_form_makes_one_meeting_and_a_retried_api_call_one_series(aws, browser):
    form = browser.get("/console/meetings/new").body
    once = re.search(r'name="once" value="([^"]+)"', form)
    assert once
    fields = {
        "kind": "plenary",
        "title": "Spring plenary",
        "starts_at": london(aws, 30),
        "duration_minutes": "90",
        "location_name": LOCATION["name"],
        "location_address": LOCATION["address"],
        "audience_type": "all",
        "once": once.group(1),
    }
    first = browser.post("/console/meetings/new", fields)
    second = browser.post("/console/meetings/new", fields)
    assert first.status == second.status == 303
    assert first.headers["Location"] == second.headers["Location"]
    listed = aws.admin("GET", "/admin/meetings").json()["items"]
    assert [m["title"] for m in listed] == ["Spring plenary"]
    # the form shown again is a new form: it makes another meeting
    again = browser.get("/console/meetings/new").body
    assert re.search(r'name="once" value="([^"]+)"', again).group(1) != once.group(1)

    series = {
        "title": "Plenary",
        "duration_minutes": 90,
        "location": LOCATION,
        "audience": {"type": "all"},
        "rule": {
            "weekday": "TU",
            "nth": 2,
            "time": "12:30",
            "every_months": 2,
            "first_month": london(aws, 40)[:7],
            "until": london(aws, 380)[:10],  # inside the list's 400 days ahead, at any hour
        },
    }
    key = {"Idempotency-Key": "series-2027-retried-once"}
    made = aws.admin("POST", "/admin/meetings/series", json_body=series, headers=key)
    retried = aws.admin("POST", "/admin/meetings/series", json_body=series, headers=key)
    assert made.status == retried.status == 201
    assert [m["id"] for m in made.json()["items"]] == [m["id"] for m in retried.json()["items"]]
    listed = aws.admin("GET", "/admin/meetings").json()["items"]
    assert len(listed) == 1 + len(made.json()["items"])


@pytest.mark.parametrize("audience", ["all", "working_group", "roles"])
def test_a_member_whose_emails_bounce_stays_invited_to_be_phoned_or_written_to(aws, browser, audience):
    """Bob's address bounced for good: he gets no more email, but he is still a member. The minutes
    still list him, as not reachable by email, and the Secretary gets his letter, for every kind of
    audience."""
    from tests.handler.test_lifecycle import ses_event

    member(aws, "ann@example.org", "Ann Smith", role="patient", consent_health_data=True)
    bob = member(
        aws,
        "bob@example.org",
        "Bob Jones",
        role="patient",
        consent_health_data=True,
    )
    patched = aws.admin(  # he gave his address at a meeting
        "PATCH", f"/admin/members/{bob}", json_body={"postal_address": "2 Mill Lane\nOlney\nMK46 4AA"}
    )
    assert patched.status == 200, patched.body
    aws.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    for who in (m["id"] for m in aws.members()):
        aws.admin("POST", "/admin/groups/patient-voice/members", json_body={"member_id": who})
    event, _ = ses_event("sqs_bounce_permanent", "bob@example.org")
    assert aws.invoke("member_bounces", event) == {"batchItemFailures": []}
    assert next(m for m in aws.members() if m["id"] == bob)["status"] == "suppressed"

    fields = {
        "all": {},
        "working_group": {
            "kind": "working_group",
            "audience_type": "working_group",
            "audience_group": "patient-voice",
        },
        "roles": {"audience_type": "roles", "audience_roles": "patient"},
    }[audience]
    meeting = new_meeting(browser, **fields)
    aws.clock.advance(days=16, hours=14)  # the 14-day reminder is due (see new_meeting)
    plan(aws)
    deliver(aws)
    signed_in_again(browser)
    assert {m.to for m in aws.sent() if "Winter plenary" in m.subject} == {"ann@example.org"}

    sheet = aws.admin("GET", f"/admin/meetings/{meeting}/attendance").json()
    by_name = {p["name"]: p for p in sheet["people"]}
    assert set(by_name) == {"Ann Smith", "Bob Jones"}
    assert by_name["Bob Jones"]["email_bounces"] and not by_name["Bob Jones"]["reachable_by_email"]
    assert by_name["Ann Smith"]["reachable_by_email"] and not by_name["Ann Smith"]["email_bounces"]
    page = text(browser.get(f"/console/meetings/{meeting}/attendance").body)
    assert "Bob Jones No: emails to them bounce. Phone or post" in page, page
    letters = text(browser.get(f"/console/meetings/{meeting}/letters").body)
    assert "Bob Jones Emails bounce" in letters and "Dear Bob Jones" in letters and "Mill Lane" in letters
    assert "Ann Smith" not in letters
    assert "1 invited cannot be emailed" in text(browser.get("/console/meetings").body)
    # and the Secretary can record that he came
    marked = aws.admin("POST", f"/admin/meetings/{meeting}/attendance", json_body={"marks": {bob: "present"}})
    assert marked.status == 200, marked.body


def test_a_bounced_member_stays_in_their_group_page_and_a_record_from_before_is_mended(aws, browser):
    """On the group's page a member whose emails bounce is marked, is not offered as its lead, and
    can be added back after a mistaken removal. A member suppressed before suppression kept group
    items (none are left) is whole again when the suppression is lifted."""
    from tests.handler.test_lifecycle import ses_event

    member(aws, "ann@example.org", "Ann Smith")
    bob = member(aws, "bob@example.org", "Bob Jones")
    aws.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    for who in (m["id"] for m in aws.members()):
        aws.admin("POST", "/admin/groups/patient-voice/members", json_body={"member_id": who})
    assert aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", "bob@example.org")[0]) == {
        "batchItemFailures": []
    }
    page = text(browser.get("/console/groups/patient-voice").body)
    assert "Bob Jones (emails to them bounce: phone or post)" in page, page
    assert "Make Bob Jones the lead" not in page and "Make Ann Smith the lead" in page

    # removed by mistake, and added back by name
    removed = browser.post(f"/console/groups/patient-voice/members/{bob}/remove")
    assert removed.status in (200, 303), removed.body
    added = browser.post("/console/groups/patient-voice/members", {"member_id": bob})
    assert added.status == 303, added.body
    assert "Bob Jones" in text(browser.get("/console/groups/patient-voice").body)

    # a record from before: suppressed, with its group item gone
    aws.ddb.delete_item(
        TableName="mkcpp-members", Key={"pk": {"S": f"MEMBER#{bob}"}, "sk": {"S": "GROUP#patient-voice"}}
    )
    assert "Bob Jones" not in text(browser.get("/console/groups/patient-voice").body)
    lifted = aws.admin("DELETE", f"/admin/members/{bob}/suppression")
    assert lifted.status == 200, lifted.body
    assert "Bob Jones" in text(browser.get("/console/groups/patient-voice").body)


def test_the_minutes_say_who_was_told_before_their_emails_began_to_bounce(aws, browser):
    from tests.handler.test_lifecycle import ses_event

    member(aws, "bob@example.org", "Bob Jones")
    meeting = new_meeting(browser)
    aws.clock.advance(days=16, hours=14)  # the 14-day reminder goes (see new_meeting)
    plan(aws)
    deliver(aws)
    assert aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", "bob@example.org")[0]) == {
        "batchItemFailures": []
    }
    signed_in_again(browser)
    page = text(browser.get(f"/console/meetings/{meeting}/attendance").body)
    assert "Bob Jones Yes (emails to them bounce now: phone or post)" in page, page


def test_an_announcement_offers_letters_for_a_member_whose_emails_bounce(aws, browser):
    from tests.handler.test_lifecycle import ses_event

    member(aws, "ann@example.org", "Ann Smith")
    member(aws, "bob@example.org", "Bob Jones")
    aws.admin("POST", "/admin/groups", json_body={"name": "Patient voice", "purpose": "Members' views"})
    for who in (m["id"] for m in aws.members()):
        aws.admin("POST", "/admin/groups/patient-voice/members", json_body={"member_id": who})
    assert aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", "bob@example.org")[0]) == {
        "batchItemFailures": []
    }
    reply = aws.admin(
        "POST",
        "/admin/announcements",
        json_body={
            "subject": "Leaflet",
            "body": "It is ready.",
            "audience": {"type": "working_group", "id": "patient-voice"},
        },
    )
    assert reply.status == 201, reply.body
    deliver(aws)
    listing = browser.get("/console/announcements").body
    assert f'href="/console/announcements/{reply.json()["id"]}/letters"' in listing
    letters = text(browser.get(f"/console/announcements/{reply.json()['id']}/letters").body)
    assert "1 member meant to get this has no email, or emails to them bounce" in letters, letters


def test_the_list_to_phone_or_write_to_keeps_a_member_whose_emails_bounce(aws, browser):
    """'Members without email' is who the Secretary phones or writes to: a member whose emails bounce
    for good is on it, as on the meeting letters, with why; an unsubscribed one is not."""
    from tests.handler.test_lifecycle import ses_event
    from tests.handler.test_post import add

    add(aws, "Ann Smith", "12 Mill Lane\nOlney\nMK46 4AA")
    member(aws, "bob@example.org", "Bob Jones")
    member(aws, "cy@example.org", "Cy Brown")
    assert aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", "bob@example.org")[0]) == {
        "batchItemFailures": []
    }

    page = text(browser.get("/console/offline-members").body)
    assert "Ann Smith – 12 Mill Lane Olney MK46 4AA – No email address" in page, page
    assert "Bob Jones – – – Emails to them bounce" in page, page
    assert "Cy Brown" not in page
    assert "2 members to phone or write to" in page
    assert "2 to phone or write to (no email address, or emails to them bounce)" in text(
        browser.get("/console/members").body
    )
    listed = aws.admin("GET", "/admin/offline-members")
    assert sorted((m["name"], m["status"]) for m in listed.json()["items"]) == [
        ("Ann Smith", "active"),
        ("Bob Jones", "suppressed"),
    ]


def test_a_sign_up_never_confirmed_has_no_feed_page_once_it_has_expired(aws, browser):
    """An unconfirmed sign-up is not a member: past its week, before DynamoDB's TTL deletes it, its
    feed page is a 404, as it is absent from every list of members."""
    body = {
        "name": "Bob Jones",
        "email": "bob@example.org",
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": "2026-11",
    }
    assert aws.request("POST", "/members", json_body=body).status == 202
    (pending,) = [
        m["pk"].removeprefix("MEMBER#") for m in aws.members() if m["status"] == "pending_confirmation"
    ]
    assert browser.get(f"/console/meetings/feeds/{pending}").status == 200
    aws.clock.advance(days=8)
    signed_in_again(browser)
    assert browser.get(f"/console/meetings/feeds/{pending}").status == 404
    assert browser.post(f"/console/meetings/feeds/{pending}").status == 404


def test_an_administrator_stops_the_private_feed_of_a_member_whose_emails_bounce(aws, browser):
    """Ann's emails bounce, so she cannot reach her preferences page (it needs an emailed link) to
    stop her private calendar feed: an administrator can, from her page, with a button."""
    from tests.handler.test_lifecycle import ses_event

    ann = member(aws, "ann@example.org", "Ann Smith")
    assert aws.admin("POST", f"/admin/members/{ann}/preferences-link").status == 200
    token = aws.sent()[-1].token("/members/preferences")
    made = aws.request(
        "POST", "/meetings/calendar", query={"token": token}, form={"action": "make"}, accept="text/html"
    )
    feed = made.body.split('id="feed" value="')[1].split('"')[0].rsplit("/", 1)[1]
    assert aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", "ann@example.org")[0]) == {
        "batchItemFailures": []
    }

    assert f'href="/console/meetings/feeds/{ann}"' in browser.get(f"/console/members/{ann}").body
    page = text(browser.get(f"/console/meetings/feeds/{ann}").body)
    assert "They have a private calendar link" in page and "Emails to them bounce, so they cannot." in page
    assert aws.request("GET", f"/meetings/feeds/{feed}").status == 200  # the page changed nothing
    # an address that says "stopped" (copied, or from before) says nothing beside a live feed
    assert "The feed was stopped" not in text(
        browser.get(f"/console/meetings/feeds/{ann}?done=feed_stopped").body
    )

    stopped = browser.post(f"/console/meetings/feeds/{ann}")
    assert stopped.status == 303, stopped.body
    after = text(browser.get(stopped.headers["Location"]).body)
    assert "The feed was stopped." in after and "They have no private calendar feed." in after
    assert aws.request("GET", f"/meetings/feeds/{feed}").status == 404
    assert "Stopped the member's private calendar feed" in text(browser.get(f"/console/members/{ann}").body)
    # stopping again changes nothing, and says so; a page about no one is a 404
    again = browser.post(f"/console/meetings/feeds/{ann}")
    assert again.status == 303
    assert "nothing to stop" in text(browser.get(again.headers["Location"]).body)
    assert browser.get("/console/meetings/feeds/00000000-0000-4000-8000-000000000000").status == 404
    assert browser.post("/console/meetings/feeds/not-a-member").status == 404
