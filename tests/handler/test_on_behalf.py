"""Acting for a member who phoned, wrote or came in (issue 19): stop all emails, change what they hear
about, start emails again, and re-adding someone who unsubscribed; each recorded with how they told
us and who recorded it."""

from __future__ import annotations

import pytest

from tests.handler.test_lifecycle import ANN, join
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text


@pytest.fixture
def browser(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return ConsoleBrowser(aws, mint())


def record(aws, member_id):
    return aws.admin("GET", f"/admin/members/{member_id}").json()


def test_a_member_who_phoned_to_stop_emails_is_unsubscribed_with_how_and_who_recorded(aws, browser):
    ann = join(aws)
    page = browser.get(f"/console/members/{ann}")
    assert "Stop all emails to them" in text(page.body)
    form = browser.get(f"/console/members/{ann}/on-behalf/unsubscribe")
    assert form.status == 200 and "How did they tell you?" in text(form.body)
    # without saying how, the form comes back naming the question
    refused = browser.post(f"/console/members/{ann}/on-behalf/unsubscribe", {})
    assert refused.status == 400 and 'href="#how"' in refused.body
    assert record(aws, ann)["status"] == "active"
    done = browser.post(f"/console/members/{ann}/on-behalf/unsubscribe", {"how": "phone"})
    assert done.status == 303 and done.headers["Location"].endswith("done=unsubscribed_for")
    stored = record(aws, ann)
    assert stored["status"] == "unsubscribed"
    withdrawal = stored["consents"][-1]
    assert (withdrawal["kind"], withdrawal["given"], withdrawal["channel"]) == ("contact", False, "phone")
    assert withdrawal["recorded_by"] == console.claims()["sub"]
    shown = text(browser.get(f"/console/members/{ann}").body)
    assert "By phone, to an administrator" in shown
    # pressed twice: nothing more is written or audited
    again = browser.post(f"/console/members/{ann}/on-behalf/unsubscribe", {"how": "phone"})
    assert again.headers["Location"].endswith("done=already_unsubscribed")
    audited = [e for e in aws.items("audit") if e["action"] == "member.unsubscribed_for"]
    assert len(audited) == 1 and audited[0]["fields"] == ["phone"]


def test_what_a_member_hears_about_changes_on_their_behalf_and_an_unchanged_save_writes_nothing(aws, browser):
    ann = join(aws)
    saved = browser.post(f"/console/members/{ann}/on-behalf/choices", {"how": "letter", "newsletters": "yes"})
    assert saved.headers["Location"].endswith("done=choices_saved")
    assert record(aws, ann)["preferences"] == {"meeting_reminders": False, "newsletters": True}
    version = next(i for i in aws.items("members") if i["sk"] == "PROFILE")["version"]
    unchanged = browser.post(
        f"/console/members/{ann}/on-behalf/choices", {"how": "letter", "newsletters": "yes"}
    )
    assert unchanged.headers["Location"].endswith("done=choices_unchanged")
    assert next(i for i in aws.items("members") if i["sk"] == "PROFILE")["version"] == version
    audited = [e["fields"] for e in aws.items("audit") if e["action"] == "member.email_choices_for"]
    assert audited == [["letter", "meeting_reminders", "newsletters"]]


def test_someone_who_unsubscribed_and_came_back_in_person_gets_emails_again(aws, browser):
    ann = join(aws, groups=())
    chose = {"how": "phone", "newsletters": "yes"}  # news, and no meeting reminders
    assert browser.post(f"/console/members/{ann}/on-behalf/choices", chose).status == 303
    browser.post(f"/console/members/{ann}/on-behalf/unsubscribe", {"how": "email"})
    # adding them again by their address says where they are, and what to do
    refused = browser.post(
        "/console/members/new",
        {"name": "Ann Member", "email": ANN, "role": "observer", "consent_contact_in_person": "yes"},
    )
    assert refused.status == 409 and "Start emails to them again" in text(refused.body)
    # starting again needs their agreement, ticked
    unticked = browser.post(f"/console/members/{ann}/on-behalf/start", {"how": "in_person"})
    assert unticked.status == 400 and 'href="#agreed"' in unticked.body
    started = browser.post(f"/console/members/{ann}/on-behalf/start", {"how": "in_person", "agreed": "yes"})
    assert started.headers["Location"].endswith("done=started_again")
    stored = record(aws, ann)
    assert stored["status"] == "active" and stored["unsubscribed_at"] is None
    agreed = stored["consents"][-1]
    assert (agreed["kind"], agreed["given"], agreed["channel"]) == ("contact", True, "in_person")
    # with their email choices as they were
    assert stored["preferences"] == {"meeting_reminders": False, "newsletters": True}
    # and they are emailed again
    assert aws.admin("POST", f"/admin/members/{ann}/preferences-link").json()["sent"] is True
    assert aws.sent()[-1].to == ANN


def test_an_action_that_does_not_exist_is_a_404(browser, aws):
    ann = join(aws)
    assert browser.get(f"/console/members/{ann}/on-behalf/erase-everyone").status == 404
