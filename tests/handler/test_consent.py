"""Issue 7: consent that can be withdrawn, details members correct themselves, the grace period after
unsubscribing, and one status vocabulary. Through the real handlers, against moto."""

from __future__ import annotations

import csv
import io
import json

from tests.handler.test_lifecycle import ANN, follow, join, last_to, token_of

NOTICE = "2026-11"


def preferences_token(aws):
    return last_to(aws, ANN).token("/members/preferences")


def profile(aws, member_id):
    (found,) = [m for m in aws.members() if m["id"] == member_id]
    return found


def post_preferences(aws, token, **form):
    return aws.request("POST", "/members/preferences", query={"token": token}, form=form, accept="text/html")


# --- withdrawing health-data consent ----------------------------------------------------------------


def test_a_carer_withdraws_health_consent_from_a_separate_form_on_the_preferences_page(aws):
    # Given Ann, who joined as a carer and agreed that we may record it
    member_id = join(aws, role="carer")
    token = preferences_token(aws)
    page = aws.request("GET", "/members/preferences", query={"token": token}, accept="text/html")
    assert 'name="action" value="withdraw_health_consent"' in page.body
    assert "Withdraw my agreement" in page.body

    # When she presses the withdrawal button
    aws.clock.advance(minutes=5)
    done = post_preferences(aws, token, action="withdraw_health_consent")

    # Then the page says so, under its heading, and the withdrawal form has gone
    shown = follow(aws, done)
    assert "We no longer list you as a patient or carer" in shown.body
    assert "withdraw_health_consent" not in shown.body
    # And the record holds a withdrawal (given: false, when, how, under the notice we show) and no carer
    stored = profile(aws, member_id)
    assert stored["role"] == "not_stated"
    withdrawal = stored["consents"][-1]
    assert withdrawal == {
        "kind": "health_data",
        "given": False,
        "notice_version": NOTICE,
        "at": aws.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": "web_form",
        "recorded_by": None,  # by the member, not an administrator on their behalf
    }
    assert aws.admin("GET", "/admin/members", query={"role": "carer"}).json()["items"] == []
    # And an administrator cannot put the carer role back without new consent
    refused = aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"role": "carer"})
    assert refused.status == 400
    assert refused.json()["errors"][0]["field"] == "consent_health_data_in_person"


def test_an_admin_changing_a_patient_to_observer_records_the_withdrawal(aws):
    member_id = join(aws, role="patient")
    changed = aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"role": "observer"}).json()
    assert changed["role"] == "observer"
    last = changed["consents"][-1]
    assert (last["kind"], last["given"], last["channel"], last["notice_version"]) == (
        "health_data",
        False,
        "administrator",
        NOTICE,
    )
    # an observer changed to another non-health role records nothing more
    again = aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"role": "hospital_staff"}).json()
    assert len(again["consents"]) == len(changed["consents"])


def test_the_sign_up_form_offers_rather_not_say_and_accepts_it(aws):
    form = aws.request("GET", "/members/signup", accept="text/html")
    assert 'value="not_stated"' in form.body and "I&#39;d rather not say" in form.body
    member_id = join(aws, role="not_stated")
    stored = profile(aws, member_id)
    assert stored["role"] == "not_stated"
    assert {c["kind"] for c in stored["consents"]} == {"contact"}


# --- members correct their own details ---------------------------------------------------------------


def test_a_member_sees_and_corrects_their_name_phone_organisation_and_role(aws):
    member_id = join(aws, role="observer", name="Ann Mistyped")
    token = preferences_token(aws)
    page = aws.request("GET", "/members/preferences", query={"token": token}, accept="text/html")
    assert 'value="Ann Mistyped"' in page.body and 'value="07700 900123"' in page.body
    assert 'value="observer" checked' in page.body

    # When she corrects her name, clears her phone, adds an organisation
    saved = post_preferences(
        aws, token, action="save", name="Ann Member", phone="", organisation="MK Hospice", role="observer"
    )
    assert saved.status == 303
    stored = profile(aws, member_id)
    assert (stored["name"], stored.get("phone"), stored["organisation"]) == ("Ann Member", None, "MK Hospice")

    # When she says she is a patient without ticking the health-data box, the page asks her to
    refused = post_preferences(aws, token, name="Ann Member", role="patient")
    assert refused.status == 400
    assert "tick the box to agree that we may store it" in refused.body
    assert 'aria-invalid="true"' in refused.body and 'value="patient" checked' in refused.body
    assert profile(aws, member_id)["role"] == "observer"

    # And with the box ticked, the role and a consent under the notice the server shows are recorded
    saved = post_preferences(aws, token, name="Ann Member", role="patient", consent_health_data="true")
    assert saved.status == 303
    stored = profile(aws, member_id)
    assert stored["role"] == "patient"
    given = stored["consents"][-1]
    assert (given["kind"], given["given"], given["channel"], given["notice_version"]) == (
        "health_data",
        True,
        "web_form",
        NOTICE,
    )


def test_a_bad_detail_shows_the_page_again_naming_the_field(aws):
    member_id = join(aws, role="observer")
    token = preferences_token(aws)
    refused = post_preferences(aws, token, name="", phone="ring me")
    assert refused.status == 400 and "There is a problem" in refused.body
    assert "Enter your name" in refused.body and "Enter a phone number" in refused.body
    as_json = aws.request("POST", "/members/preferences", query={"token": token}, json_body={"phone": "x"})
    assert as_json.status == 400 and as_json.json()["errors"][0]["field"] == "phone"
    assert profile(aws, member_id)["name"] == "Ann Member"


# --- the grace period after unsubscribing -----------------------------------------------------------


def unsubscribe(aws):
    url = aws.sent()[-1].headers["List-Unsubscribe"].strip("<>")
    return aws.request(
        "POST",
        "/members/unsubscribe",
        query={"token": token_of(url)},
        form={"List-Unsubscribe": "One-Click"},
        accept="text/html",
    )


def run_retention(aws):
    return aws.invoke("member_retention", {"kind": "member_retention"})


def test_the_profile_and_health_role_go_when_the_grace_period_ends(aws):
    # Given Ann, a patient in a working group, who unsubscribed
    member_id = join(aws, role="patient", name="Ann Patient")
    aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"organisation": "MK Hospice"})
    unsubscribe(aws)
    # When the nightly run happens within the 30 days, nothing changes (she may rejoin as she was)
    aws.clock.advance(days=29)
    assert run_retention(aws)["profiles_removed"] == 0
    assert profile(aws, member_id)["role"] == "patient"
    # When it runs after 30 days
    aws.clock.advance(days=2)
    assert run_retention(aws)["profiles_removed"] == 1
    # Then her name, address, phone, organisation and role are gone; what honours her wish stays
    stored = profile(aws, member_id)
    for gone in ("name", "email", "phone", "organisation"):
        assert gone not in stored
    assert stored["role"] == "not_stated" and stored["status"] == "unsubscribed"
    assert stored["lookup_id"] and stored["profile_removed_at"]
    # her agreement to be contacted stays as evidence; her agreement that we may record that she is a
    # patient would still say that she is one, so it goes
    # (her agreement to be contacted, and its withdrawal when she unsubscribed)
    assert [(c["kind"], c["given"]) for c in stored["consents"]] == [("contact", True), ("contact", False)]
    text = json.dumps(aws.items("members"))
    for personal in ("Ann Patient", ANN, "07700", "MK Hospice", "patient"):
        assert personal not in text
    # And it is audited, naming no one; a second run changes nothing
    assert [e["actor"] for e in aws.items("audit") if e["action"] == "member.profile_removed"] == [
        "retention"
    ]
    assert run_retention(aws)["profiles_removed"] == 0

    # When she signs up again later, her address's owner is asked to confirm, and she is back
    aws.clear_idempotency()
    body = {
        "name": "Ann Back",
        "email": ANN,
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": NOTICE,
    }
    assert aws.request("POST", "/members", json_body=body).status == 202
    confirm = last_to(aws, ANN)
    assert "rejoin" in confirm.subject
    aws.request("POST", "/members/confirm", form={"token": confirm.token("/members/confirm")})
    back = aws.admin("GET", f"/admin/members/{member_id}").json()
    assert (back["status"], back["name"], back["email"], back["role"]) == (
        "active",
        "Ann Back",
        ANN,
        "observer",
    )


def test_an_unsubscribed_member_removes_their_details_at_once_from_the_unsubscribe_page(aws):
    member_id = join(aws, role="carer", name="Ann Carer")
    done = unsubscribe(aws)
    assert "Remove my details now" in done.body and "30 days" in done.body
    form_action = done.body.split('<form method="post" action="')[1].split('"')[0].replace("&amp;", "&")
    removed = aws.request(
        "POST",
        "/members/preferences",
        query={"token": token_of(form_action)},
        form={"action": "remove_profile"},
        accept="text/html",
    )
    shown = follow(aws, removed)
    assert "We have removed your name, contact details and how you describe yourself" in shown.body
    assert "Remove my details now" not in shown.body
    stored = profile(aws, member_id)
    assert "name" not in stored and stored["role"] == "not_stated"
    assert [(c["kind"], c["given"]) for c in stored["consents"]] == [("contact", True), ("contact", False)]
    assert {e["actor"] for e in aws.items("audit") if e["action"] == "member.profile_removed"} == {"member"}
    # and her copy of her data says the same: nothing left that says she is a carer
    exported = aws.admin("GET", f"/admin/members/{member_id}/export").json()
    assert [(c["kind"], c["given"]) for c in exported["consents"]] == [("contact", True), ("contact", False)]
    assert exported["profile"]["role"] == "not_stated"


def test_an_active_member_cannot_remove_their_profile_without_unsubscribing(aws):
    member_id = join(aws)
    refused = post_preferences(aws, preferences_token(aws), action="remove_profile")
    assert refused.status == 409
    assert "still a member" in refused.body and "not receiving emails" not in refused.body
    assert profile(aws, member_id)["name"] == "Ann Member"


# --- one status vocabulary, and consent in the CSV ---------------------------------------------------


def test_one_status_vocabulary_from_sign_up_to_the_admin_filter(aws):
    body = {
        "name": "Pat",
        "email": "pat@example.org",
        "role": "observer",
        "consent_contact": True,
        "privacy_notice_version": NOTICE,
    }
    answered = aws.request("POST", "/members", json_body=body).json()["status"]
    listed = aws.admin("GET", "/admin/members", query={"status": answered}).json()["items"]
    assert [m["status"] for m in listed] == [answered] == ["pending_confirmation"]
    assert aws.admin("GET", "/admin/members", query={"status": "pending"}).status == 400


def test_the_csv_shows_each_members_consent(aws):
    join(aws, role="carer", email="ann@example.org", name="Ann")
    join(aws, role="observer", email="bob@example.org", name="Bob")
    rows = {
        r["name"]: r
        for r in csv.DictReader(
            io.StringIO(aws.admin("GET", "/admin/members.csv").body.removeprefix("\ufeff"))
        )
    }
    assert rows["Ann"]["contact_consent"] == "given" and rows["Ann"]["contact_consent_at"]
    assert rows["Ann"]["health_consent"] == "given" and rows["Ann"]["health_consent_at"]
    assert rows["Bob"]["health_consent"] == "" and rows["Bob"]["notice_version"] == NOTICE


def test_the_csv_never_shows_that_someone_once_said_they_were_a_patient_or_carer(aws):
    # Given Cat, a patient an administrator changed to hospital staff, and Dan, a carer who withdrew
    # his health consent himself: both records hold a "given" and then a "withdrawn" health consent
    cat = join(aws, role="patient", email="cat@example.org", name="Cat")
    aws.admin("PATCH", f"/admin/members/{cat}", json_body={"role": "hospital_staff"})
    join(aws, role="carer", email="dan@example.org", name="Dan")
    post_preferences(
        aws, last_to(aws, "dan@example.org").token("/members/preferences"), action="withdraw_health_consent"
    )
    # When an administrator downloads the members list
    download = aws.admin("GET", "/admin/members.csv").body.removeprefix("\ufeff")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(download))}
    # Then nothing in their rows says they were ever patients or carers: the health columns are blank
    for name in ("Cat", "Dan"):
        row = rows[name]
        assert (row["health_consent"], row["health_consent_at"]) == ("", ""), row
        assert row["role"] in ("hospital_staff", "not_stated")
        assert row["contact_consent"] == "given"
    assert "withdrawn" not in download


# --- logs -------------------------------------------------------------------------------------------


def test_no_role_or_name_reaches_the_logs_from_consent_and_retention(aws, capsys, caplog):
    member_id = join(aws, role="patient", name="Ann Logged")
    token = preferences_token(aws)
    post_preferences(aws, token, name="Ann Logged", role="carer")
    post_preferences(aws, token, action="withdraw_health_consent")
    aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"role": "patient"})
    unsubscribe(aws)
    aws.clock.advance(days=31)
    run_retention(aws)

    from shared.observability import logger

    lines = [logger.registered_formatter.format(record) for record in caplog.records]
    printed = capsys.readouterr()
    everything = "\n".join([*lines, printed.out, printed.err]).lower()
    assert "preferences saved" in everything and "profiles removed" in everything
    # (a withdrawal is logged like any save: only a patient or carer can withdraw, so naming it,
    # in a line or in a metric beside it, would say who was one)
    for secret in ("ann logged", ANN, "07700", "patient", "carer", '"role"', "health", "withdr"):
        assert secret not in everything, f"{secret!r} reached the logs"
