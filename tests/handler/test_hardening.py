"""Issue 6: what a fuzzer, an attacker and a double-clicking member did to membership, each reproduced.

Every test here failed on the code before the fix (a 500, a stored record that no longer validated, a
lost update, a relayed header), and passes now.
"""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest

from shared.dynamo import encode_cursor, to_item
from tests.handler.test_lifecycle import ANN, join, make_group
from tests.support.events import ADMIN, http_event

PUBLIC_POSTS = ("/members", "/members/preferences", "/members/data-requests")


def raw_request(
    aws, method, path, *, body, content_type=None, base64_encoded=False, accept="application/json"
):
    """A request with exactly this body (bytes or text), as API Gateway would pass it on."""
    name, event = http_event(
        method, path, accept=accept, query={"token": "x"} if path != "/members" else None
    )
    if content_type is None:
        event["headers"].pop("content-type", None)
    else:
        event["headers"]["content-type"] = content_type
    if isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = body
        event["isBase64Encoded"] = base64_encoded
    return aws.invoke(name, event)


def signup_page_works(aws):
    return aws.request("GET", "/members/signup", accept="text/html").status == 200


# --- 1. one bad admin request must not brick the public sign-up page -------------------------------


@pytest.mark.parametrize(
    "patch",
    [
        {"purpose": None},
        {"name": None},
        {"name": ""},
        {"name": "\u0010Journal"},
        {"name": "Line\r\nBreak"},
        {"meeting_place": "Room 1\nBcc: x@example.org"},
        {"name": "\u202egpj.exe"},
        {"colour": "red"},
        {"id": "renamed"},
    ],
)
def test_a_bad_group_change_is_a_400_naming_the_field_and_the_form_still_works(aws, patch):
    # Given an open working group the sign-up form lists
    group = make_group(aws)
    # When an administrator sends a change that would not leave a valid record
    response = aws.admin("PATCH", f"/admin/groups/{group}", json_body=patch)
    # Then it is refused, naming the field, and nothing changed
    assert response.status == 400, response
    assert [e["field"] for e in response.json()["errors"]] == list(patch)
    (stored,) = [i for i in aws.items("members") if i["pk"] == "GROUPS"]
    assert stored["name"] == "Patient Journal" and stored["purpose"] == "Fast feedback"
    # And the public form, and closing the group, still work
    assert signup_page_works(aws)
    assert aws.admin("POST", f"/admin/groups/{group}/close").status == 200


def test_a_group_can_still_clear_its_optional_fields_and_an_unknown_group_is_404(aws):
    group = make_group(aws, meeting_place="Room 1")
    cleared = aws.admin("PATCH", f"/admin/groups/{group}", json_body={"meeting_place": ""})
    assert cleared.status == 200 and cleared.json()["meeting_place"] is None
    assert aws.admin("PATCH", "/admin/groups/no-such-group", json_body={"name": "X"}).status == 404


def test_a_group_edit_that_changes_nothing_writes_nothing(aws):
    # Given a group, as an administrator sees it
    group = make_group(aws, meeting_place="Room 1")
    before = aws.admin("GET", "/admin/groups").json()["items"][0]
    audited = len(aws.items("audit"))
    # When the same values are saved again, or an empty change is sent
    for patch in ({}, {"name": "Patient Journal", "meeting_place": "Room 1"}):
        response = aws.admin("PATCH", f"/admin/groups/{group}", json_body=patch)
        # Then the answer is the group as it was: same version, same time of last change
        assert response.status == 200, response
        assert response.json() == before
    # And nothing was stored or audited
    assert aws.admin("GET", "/admin/groups").json()["items"][0] == before
    assert len(aws.items("audit")) == audited
    # While a real change still lands, with a new version, and is audited
    changed = aws.admin("PATCH", f"/admin/groups/{group}", json_body={"meeting_place": "Room 2"}).json()
    assert (changed["meeting_place"], changed["version"]) == ("Room 2", before["version"] + 1)
    assert len(aws.items("audit")) == audited + 1
    # And closing a group twice is one closing in the audit trail
    for _ in range(2):
        assert aws.admin("POST", f"/admin/groups/{group}/close").status == 200
    assert [e["action"] for e in aws.items("audit")].count("group.close") == 1


def test_a_member_edit_that_changes_nothing_writes_nothing(aws):
    # Given a member (a carer, with her agreement recorded), as an administrator sees her
    group = make_group(aws)
    member_id = join(aws, groups=[group])
    before = aws.admin("GET", f"/admin/members/{member_id}").json()
    (stored,) = aws.members()
    audited = len(aws.items("audit"))
    # When an empty change is sent, or the same values are saved again
    same = {"name": "Ann Member", "phone": "07700 900123", "role": "carer", "working_groups": [group]}
    for patch in ({}, same, {"organisation": ""}):
        response = aws.admin("PATCH", f"/admin/members/{member_id}", json_body=patch)
        # Then the answer is the member as she was
        assert response.status == 200, response
        assert response.json() == before
    # And nothing was written (same version: not even her health-data agreement was touched) or audited
    assert aws.members() == [stored]
    assert len(aws.items("audit")) == audited
    # While a real change lands, with a new version, and the audit names only what changed
    changed = aws.admin("PATCH", f"/admin/members/{member_id}", json_body={**same, "phone": "07700 900999"})
    assert changed.status == 200 and changed.json()["phone"] == "07700 900999"
    (after,) = aws.members()
    assert after["version"] == stored["version"] + 1 and after["consents"] == stored["consents"]
    updates = [e for e in aws.items("audit") if e["action"] == "member.update"]
    assert [e["fields"] for e in updates] == [["phone"]]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"role": None}, "role"),
        ({"working_groups": None}, "working_groups"),
        ({"name": None}, "name"),
        ({"name": "Eve\r\nBcc: victim@example.org"}, "name"),
        ({"email": "new@example.org"}, "email"),
        ({"preferences": {"newsletters": True}}, "preferences"),
        ({"status": "active"}, "status"),
        ({"postal_address": "1 High St\u0000"}, "postal_address"),
    ],
)
def test_a_bad_member_change_is_a_400_and_the_member_stays_readable_exportable_and_erasable(
    aws, patch, field
):
    member_id = join(aws)
    response = aws.admin("PATCH", f"/admin/members/{member_id}", json_body=patch)
    assert response.status == 400, response
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert list(errors) == [field]
    if field == "email":
        assert "confirm" in errors["email"]  # says how an address is changed instead
    # The member can still be read, listed, downloaded, exported and erased
    assert aws.admin("GET", f"/admin/members/{member_id}").status == 200
    assert aws.admin("GET", "/admin/members").status == 200
    assert aws.admin("GET", "/admin/members.csv").status == 200
    assert aws.admin("GET", f"/admin/members/{member_id}/export").status == 200
    assert aws.admin("DELETE", f"/admin/members/{member_id}").status == 200


def test_patch_on_an_unknown_member_is_404(aws):
    missing = "00000000-0000-4000-8000-000000000000"
    assert aws.admin("PATCH", f"/admin/members/{missing}", json_body={"name": "X"}).status == 404


def test_a_record_that_somehow_does_not_validate_is_skipped_not_fatal(aws):
    # Given a group and a member written straight into the table, bypassing the model
    members = next(t for t in aws.ddb.list_tables()["TableNames"] if "members" in t)
    aws.ddb.put_item(
        TableName=members,
        Item=to_item({"pk": "GROUPS", "sk": "GROUP#broken", "id": "broken", "name": "No purpose"}),
    )
    member_id = join(aws)
    aws.ddb.update_item(
        TableName=members,
        Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="REMOVE #r",
        ExpressionAttributeNames={"#r": "role"},
    )
    # Then the public form and the admin lists still answer, without the broken records
    assert signup_page_works(aws)
    assert aws.admin("GET", "/admin/groups").status == 200
    listed = aws.admin("GET", "/admin/members")
    assert listed.status == 200 and member_id not in listed.body
    # And the broken member can still be erased
    assert aws.admin("DELETE", f"/admin/members/{member_id}").status == 200
    assert not [i for i in aws.items("members") if i["pk"] == f"MEMBER#{member_id}"]


# --- 2. malformed bodies are 4xx for anyone --------------------------------------------------------

BAD_BODIES = [
    pytest.param(b"\xff\xfe{bad", "application/json", id="invalid-utf8-json"),
    pytest.param(b"name=\xff\xfe", "application/x-www-form-urlencoded", id="invalid-utf8-form"),
    pytest.param(b"\xc3\x28", None, id="invalid-utf8-no-content-type"),
    pytest.param("name=%FF%FE", "application/x-www-form-urlencoded", id="percent-encoded-invalid-utf8"),
    pytest.param("[" * 100_000 + "]" * 100_000, "application/json", id="json-100000-deep"),
    pytest.param('{"name": ' + "9" * 5000 + "}", "application/json", id="5000-digit-integer"),
    pytest.param("name=Ann", "multipart/form-data", id="multipart-without-boundary"),
    pytest.param("a,b", "text/csv", id="unknown-content-type"),
    pytest.param("x" * 40_000, "application/json", id="too-large"),
]


@pytest.mark.parametrize("path", PUBLIC_POSTS)
@pytest.mark.parametrize(("body", "content_type"), BAD_BODIES)
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_an_unreadable_body_is_a_4xx_for_json_clients_and_browsers(aws, path, body, content_type, accept):
    response = raw_request(aws, "POST", path, body=body, content_type=content_type, accept=accept)
    assert 400 <= response["statusCode"] < 500, response["body"][:300]
    if accept == "text/html":
        assert response["headers"]["Content-Type"].startswith("text/html")
    else:
        assert json.loads(response["body"])["errors"][0]["field"] == "body"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


def test_a_multipart_form_with_a_boundary_is_read_like_a_form(aws):
    body = b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n'
    response = raw_request(
        aws, "POST", "/members/preferences", body=body, content_type="multipart/form-data; boundary=XyZ"
    )
    # read as a form: the missing token is what is refused (the link), not the body
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["message"].startswith("This link does not work")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        encode_cursor({"part": "x"}),
        encode_cursor({"part": 0, "key": {"pk": {"S": "x"}}}),
        encode_cursor({"part": 0, "key": {"pk": {"N": "1"}, "sk": 1, "status": {}, "listed_at": []}}),
        encode_cursor({"target": {"B": "eA=="}, "sk": {"S": "x"}, "month": {"S": "2026-11"}}),
        encode_cursor({"offset": "ten"}),
        encode_cursor({"offset": -5}),
        base64.urlsafe_b64encode(b"[" * 5000).decode(),
    ],
)
@pytest.mark.parametrize("path", ["/admin/audit", "/admin/members", "/admin/members?group=patient-journal"])
def test_a_crafted_cursor_is_a_400_naming_it(aws, path, cursor):
    make_group(aws)
    path, _, query = path.partition("?")
    params = dict(item.split("=") for item in query.split("&") if item)
    response = aws.admin("GET", path, query={**params, "cursor": cursor})
    assert response.status == 400, response
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]


# --- 3, 4, 5. concurrency and idempotency ----------------------------------------------------------


def test_an_identical_sign_up_still_in_progress_answers_202(aws, monkeypatch):
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    from functions.members import signup_routes

    def in_progress(**_):
        raise IdempotencyAlreadyInProgressError("the first click is still being handled")

    monkeypatch.setattr(signup_routes, "idempotent_sign_up", lambda: in_progress)
    response = aws.request("POST", "/members", json_body={"name": "Ann"} | SIGNUP)
    assert response.status == 202 and response.json() == {"status": "pending_confirmation"}


SIGNUP = {
    "email": ANN,
    "role": "observer",
    "consent_contact": True,
    "privacy_notice_version": "2026-11",
}


def test_an_admin_edit_racing_a_preference_save_is_not_lost(aws, monkeypatch):
    # Given Ann, and her preferences page open
    member_id = join(aws)
    token = next(m for m in aws.sent() if m.to == ANN and "/members/preferences" in m.text).token(
        "/members/preferences"
    )
    # When an administrator's edit lands between her save's read and its write
    from shared.members.repository import MemberRepository

    original = MemberRepository.require
    raced: list[bool] = []

    def require_then_race(self, member_id_, now):
        member = original(self, member_id_, now)
        if not raced:
            raced.append(True)
            assert (
                aws.admin(
                    "PATCH", f"/admin/members/{member_id}", json_body={"organisation": "MK Hospice"}
                ).status
                == 200
            )
        return member

    monkeypatch.setattr(MemberRepository, "require", require_then_race)
    saved = aws.request(
        "POST",
        "/members/preferences",
        query={"token": token},
        form={"newsletters": "true"},
        accept="text/html",
    )
    # Then both changes are kept
    assert saved.status == 303
    (profile,) = [m for m in aws.members() if m["id"] == member_id]
    assert profile["organisation"] == "MK Hospice"
    assert profile["preferences"]["newsletters"] is True


def test_a_confirmed_member_signing_up_again_with_other_details_is_told_so(aws):
    # Given Ann, confirmed a moment ago
    join(aws, role="observer")
    before = len(aws.sent())
    # When she fills in the form again within 10 minutes, with different details
    again = aws.request("POST", "/members", json_body={**SIGNUP, "name": "Ann M", "role": "observer"})
    # Then the rules run (not the first answer replayed): she gets the already-a-member email
    assert again.status == 202
    assert [m.to for m in aws.sent()[before:]] == [ANN]
    # And a double click of that same form sends nothing more
    assert aws.request("POST", "/members", json_body={**SIGNUP, "name": "Ann M"}).status == 202
    assert len(aws.sent()) == before + 1


# --- 6. the name field cannot relay our email ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Eve\r\nBcc: victim@example.org\r\nSubject: hi", "Eve\u0000", "\u202eEve", "Eve\tTab", "Eve\u2028Adams"],
)
def test_a_name_with_line_breaks_or_controls_is_refused(aws, name):
    response = aws.request("POST", "/members", json_body={**SIGNUP, "name": name})
    assert response.status == 400
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    assert aws.sent() == [] and aws.members() == []


def test_the_email_to_an_unconfirmed_address_does_not_carry_the_submitted_name(aws):
    aws.request("POST", "/members", json_body={**SIGNUP, "name": "Visit evil.example now"})
    (confirmation,) = aws.sent()
    assert "evil" not in confirmation.text and "evil" not in confirmation.html
    assert confirmation.text.startswith("Hello,")


# --- 10. the smaller ones --------------------------------------------------------------------------


def test_a_token_with_extra_characters_in_its_signature_is_refused(aws):
    aws.request("POST", "/members", json_body={**SIGNUP, "name": "Ann"})
    token = aws.sent()[0].token("/members/confirm")
    payload, signature = token.split(".")
    for forged in (
        f"{payload}.{signature[:10]}!!{signature[10:]}",
        f"{payload}.{signature}=",
        f"{payload}!.{signature}",
    ):
        response = aws.request("GET", "/members/confirm", query={"token": forged}, accept="text/html")
        assert response.status == 400, forged
    assert aws.members()[0]["status"] == "pending_confirmation"


@pytest.mark.parametrize("groups", ["[x,admins]", "[admins,x]", "x,admins", "[editors]"])
def test_a_group_named_like_admins_is_not_admins(aws, groups):
    response = aws.request("GET", "/admin/members", claims={**ADMIN, "cognito:groups": groups})
    assert response.status == 403


def test_admin_json_is_never_cached_and_pages_ask_for_https(aws):
    listed = aws.admin("GET", "/admin/members")
    assert listed.headers["Cache-Control"] == "no-store"
    assert listed.headers["X-Content-Type-Options"] == "nosniff"
    page = aws.request("GET", "/members/signup", accept="text/html")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_csv_guards_formulas_after_a_separator_too(aws):
    aws.admin(
        "POST",
        "/admin/members",
        json_body={
            "name": "Ann;=1+1",
            "phone": "01908 123456",
            "role": "observer",
            "organisation": "x,@SUM(A1)",
            "consent_contact_in_person": True,
            "privacy_notice_version": "2026-11",
        },
    )
    rows = list(
        csv.DictReader(io.StringIO(aws.admin("GET", "/admin/members.csv").body.removeprefix("\ufeff")))
    )
    (row,) = rows
    for cell in (row["name"], row["organisation"]):
        for separator in (";", ","):
            for piece in cell.split(separator):
                assert piece.strip()[:1] not in ("=", "+", "-", "@"), cell


def test_an_admin_reading_a_member_is_audited(aws):
    member_id = join(aws)
    aws.admin("GET", f"/admin/members/{member_id}")
    actions = [e["action"] for e in aws.items("audit") if e["target"] == f"MEMBER#{member_id}"]
    assert "member.view" in actions


def test_a_bounce_retried_after_a_half_failed_suppression_still_marks_the_member(aws, monkeypatch):
    from shared.members.repository import MemberRepository
    from tests.handler.test_lifecycle import ses_event

    member_id = join(aws)
    event, _ = ses_event("sqs_bounce_permanent", ANN)
    # Given the first attempt suppresses the address, then fails before marking the member
    original = MemberRepository.mark_suppressed

    def fail(self, lookup_id, now):
        raise RuntimeError("DynamoDB timed out")

    monkeypatch.setattr(MemberRepository, "mark_suppressed", fail)
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):  # the whole batch failed: SQS will redeliver it
        aws.invoke("member_bounces", event)
    assert next(s for s in aws.items("members") if s["pk"].startswith("SUPPRESSION#"))["suppressed"]
    # When SQS redelivers it
    monkeypatch.setattr(MemberRepository, "mark_suppressed", original)
    second = aws.invoke("member_bounces", event)
    # Then the member is suppressed
    assert second["batchItemFailures"] == []
    (profile,) = [m for m in aws.members() if m["id"] == member_id]
    assert profile["status"] == "suppressed"


# --- issue 8: calls per operation ------------------------------------------------------------------


def test_a_warm_sign_up_makes_five_aws_calls(aws):
    from collections import Counter

    from tests.support import permissions

    # Given a warm function (its secret already fetched)
    aws.request("POST", "/members", json_body={**SIGNUP, "name": "First", "email": "first@example.org"})
    before = len(permissions._recorded)
    # When a new address signs up
    aws.request("POST", "/members", json_body={**SIGNUP, "name": "Second", "email": "second@example.org"})
    calls = Counter(f"{c.service}:{c.operation}" for c in permissions._recorded[before:])
    # Then: the pointer and the suppression entry in one read, one transaction, one email, and the
    # idempotency record's two writes
    assert calls == {
        "dynamodb:BatchGetItem": 1,
        "dynamodb:TransactWriteItems": 1,
        "sesv2:SendEmail": 1,
        "dynamodb:PutItem": 1,
        "dynamodb:UpdateItem": 1,
    }


def test_a_suppressed_address_signing_up_again_gets_nothing_and_changes_nothing(aws):
    from tests.handler.test_lifecycle import ses_event

    member_id = join(aws)
    aws.invoke("member_bounces", ses_event("sqs_bounce_permanent", ANN)[0])
    aws.admin("DELETE", f"/admin/members/{member_id}")  # erased: only the keyed suppression remains
    before = len(aws.sent())
    assert aws.request("POST", "/members", json_body={**SIGNUP, "name": "Ann again"}).status == 202
    assert len(aws.sent()) == before
    assert aws.members() == []


def test_an_audit_cursor_from_another_month_is_a_400(aws):
    # Given a genuine cursor from this month's audit listing
    for n in range(3):
        make_group(aws, name=f"Group {n}")
    month = aws.clock.now.strftime("%Y-%m")
    first = aws.admin("GET", "/admin/audit", query={"month": month, "limit": "1"}).json()
    assert first["next"]
    # When it is reused for another month, Then it is refused as a bad cursor, not a 500
    other = aws.admin("GET", "/admin/audit", query={"month": "2020-01", "cursor": first["next"]})
    assert other.status == 400 and [e["field"] for e in other.json()["errors"]] == ["cursor"]


@pytest.mark.parametrize(("path", "field"), [("/admin/members/{}", "status"), ("/admin/groups/{}", "status")])
def test_a_refused_field_is_explained_for_what_is_being_changed(aws, path, field):
    member_id, group = join(aws), make_group(aws)
    target = path.format(member_id if "members" in path else group)
    message = aws.admin("PATCH", target, json_body={field: "active"}).json()["errors"][0]["message"]
    assert ("member's status" in message) == ("members" in path)


def test_the_openapi_document_carries_the_security_headers(aws):
    document = aws.request("GET", "/openapi.json")
    assert document.headers["X-Content-Type-Options"] == "nosniff"
    assert document.headers["Strict-Transport-Security"].startswith("max-age=")


# --- issue 7, item 3: the consent record names the notice the server showed ----------------------


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_stale_or_unknown_notice_version_is_refused_and_nothing_is_stored(aws, accept):
    response = aws.request(
        "POST",
        "/members",
        json_body={**SIGNUP, "name": "Ann", "privacy_notice_version": "1999-01-never-existed"},
        accept=accept,
    )
    assert response.status == 400
    if accept == "text/html":
        assert "privacy notice has changed" in response.body and 'value="2026-11"' in response.body
    else:
        assert [e["field"] for e in response.json()["errors"]] == ["privacy_notice_version"]
    assert aws.members() == [] and aws.sent() == []


def test_after_a_notice_change_the_form_comes_back_with_its_consent_boxes_unticked(aws):
    # Given a browser's form, opened before the notice changed, with both boxes ticked
    form = {
        **{k: str(v).lower() if isinstance(v, bool) else v for k, v in SIGNUP.items()},
        "name": "Ann",
        "role": "carer",
        "consent_health_data": "true",
        "privacy_notice_version": "2025-01",
    }
    page = aws.request("POST", "/members", form=form, accept="text/html")

    # Then the form comes back with what she typed, but her agreement is asked for again: the boxes
    # are unticked, the message sits on the first box (its summary link leads there), and the page
    # carries the notice it now shows
    assert page.status == 400
    assert "privacy notice has changed" in page.body
    assert 'href="#consent_contact"' in page.body and 'href="#privacy_notice_version"' not in page.body
    assert 'id="consent_contact" name="consent_contact" value="true" aria-describedby' in page.body
    assert "checked" not in page.body.split('id="consent_contact"')[1].split(">")[0]
    assert "checked" not in page.body.split('id="consent_health_data"')[1].split(">")[0]
    assert 'value="Ann"' in page.body and 'value="2026-11"' in page.body
    assert aws.members() == [] and aws.sent() == []


def test_the_consent_records_the_version_the_server_shows(aws):
    aws.request("POST", "/members", json_body={**SIGNUP, "name": "Ann"})
    (member,) = aws.members()
    assert {c["notice_version"] for c in member["consents"]} == {"2026-11"}
    in_person = aws.admin(
        "POST",
        "/admin/members",
        json_body={
            "name": "Bob",
            "phone": "01908 123456",
            "role": "observer",
            "consent_contact_in_person": True,
            "privacy_notice_version": "2025-01",
        },
    )
    assert in_person.status == 400
    assert [e["field"] for e in in_person.json()["errors"]] == ["privacy_notice_version"]


# --- issue 7, item 4: an unconfirmed role is nobody's business -------------------------------------


def test_an_unconfirmed_patient_role_is_not_indexed_listed_or_downloaded(aws):
    # Given someone types an address and "patient" into the form
    body = {**SIGNUP, "name": "Ann", "role": "patient", "consent_health_data": True}
    assert aws.request("POST", "/members", json_body=body).status == 202
    (stored,) = aws.members()
    # Then the role is kept aside, out of the by_role index
    assert "role" not in stored and stored["pending_role"] == "patient"
    # And no admin view says she is a patient
    assert (
        aws.admin(
            "GET", "/admin/members", query={"status": "pending_confirmation", "role": "patient"}
        ).json()["items"]
        == []
    )
    assert aws.admin("GET", "/admin/members", query={"q": ANN, "role": "patient"}).json()["items"] == []
    (listed,) = aws.admin("GET", "/admin/members", query={"status": "pending_confirmation"}).json()["items"]
    assert listed["role"] is None
    seen = aws.admin("GET", f"/admin/members/{stored['id']}").json()
    assert seen["role"] is None
    # nor the health-data consent that only a patient or carer role records
    assert [c["kind"] for c in seen["consents"]] == ["contact"]
    (row,) = csv.DictReader(io.StringIO(aws.admin("GET", "/admin/members.csv").body.removeprefix("\ufeff")))
    assert row["role"] == ""
    # When the address's owner confirms, Then the role is hers, and listed
    token = aws.sent()[0].token("/members/confirm")
    assert aws.request("POST", "/members/confirm", form={"token": token}, accept="text/html").status == 200
    (confirmed,) = aws.members()
    assert confirmed["role"] == "patient" and "pending_role" not in confirmed
    seen = aws.admin("GET", f"/admin/members/{stored['id']}").json()
    assert sorted(c["kind"] for c in seen["consents"]) == ["contact", "health_data"]
    (listed,) = aws.admin("GET", "/admin/members", query={"role": "patient"}).json()["items"]
    assert listed["id"] == stored["id"]


# --- a field sent twice ---------------------------------------------------------------------------


def test_a_form_or_json_that_sends_the_email_twice_is_a_400_naming_it_and_nothing_is_sent(aws):
    # Given a form post, and a JSON body, that each give two different addresses
    form = "name=Ann&email=ann%40example.org&email=eve%40example.org&role=observer&consent_contact=true"
    as_form = raw_request(
        aws,
        "POST",
        "/members",
        body=f"{form}&privacy_notice_version=2026-11",
        content_type="application/x-www-form-urlencoded",
    )
    as_json = raw_request(
        aws,
        "POST",
        "/members",
        body='{"name": "Ann", "email": "ann@example.org", "email": "eve@example.org", "role": "observer", '
        '"consent_contact": true, "privacy_notice_version": "2026-11"}',
        content_type="application/json",
    )

    # Then neither is taken as its last value: each is a 400 naming `email`, and nothing is stored or sent
    for response in (as_form, as_json):
        assert response["statusCode"] == 400, response["body"]
        fields = {e["field"]: e["message"] for e in json.loads(response["body"])["errors"]}
        assert "more than once" in fields["email"]
    assert aws.members() == [] and aws.sent() == []


def test_a_preferences_form_with_two_actions_changes_nothing(aws):
    join(aws, role="patient")
    token = aws.sent()[-1].token("/members/preferences")

    both = aws.request(
        "POST",
        "/members/preferences",
        query={"token": token},
        form={"action": ["save", "withdraw_health_consent"]},
    )

    assert both.status == 400 and "action" in {e["field"] for e in both.json()["errors"]}
    (member,) = aws.members()
    assert member["role"] == "patient" and [c["given"] for c in member["consents"]] == [True, True]


def test_the_same_value_sent_twice_is_harmless(aws):
    body = "name=Ann&email=ann%40example.org&email=ann%40example.org&role=observer&consent_contact=true"
    response = raw_request(
        aws,
        "POST",
        "/members",
        body=f"{body}&privacy_notice_version=2026-11",
        content_type="application/x-www-form-urlencoded",
    )
    assert response["statusCode"] == 202, response["body"]


# --- a browser always gets a page, in plain words ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "form", "said"),
    [
        ("/members/preferences", {"working_groups": "nosuch"}, "Choose working groups from the list"),
        ("/members/preferences", {"meeting_reminders": "maybe"}, "Tick the box, or leave it unticked"),
        ("/members/preferences", {}, "The form was empty or could not be read"),
        ("/members/data-requests", {"kind": "bogus"}, "Use one of the buttons on your preferences page"),
        ("/members/data-requests", {}, "The form was empty or could not be read"),
    ],
)
def test_a_browser_sending_a_bad_public_form_gets_a_page_in_plain_words(aws, path, form, said):
    join(aws)
    token = aws.sent()[-1].token("/members/preferences")
    response = aws.request("POST", path, query={"token": token}, form=form or None, accept="text/html")
    assert response.status == 400
    assert response.headers["Content-Type"].startswith("text/html"), response.body[:200]
    assert said in response.body
    for code_speak in ("Input should", "Field required", "unable to interpret", '"errors"'):
        assert code_speak not in response.body


def test_an_empty_preferences_form_changes_nothing(aws):
    join(aws)
    token = aws.sent()[-1].token("/members/preferences")
    before = aws.members()[0]["preferences"]
    for accept in ("text/html", "application/json"):
        # with a bad link too: the form's problem cannot hide the link's
        forged = raw_request(
            aws,
            "POST",
            "/members/preferences",
            body="meeting_reminders=maybe",
            content_type="application/x-www-form-urlencoded",
            accept=accept,
        )
        assert forged["statusCode"] == 400, forged["body"][:300]
        response = aws.request("POST", "/members/preferences", query={"token": token}, form={}, accept=accept)
        assert response.status == 400, response.body[:300]
    assert aws.members()[0]["preferences"] == before


@pytest.mark.parametrize("done", ["foo", "", "SAVED"])
def test_an_edited_banner_value_still_shows_the_preferences_page(aws, done):
    join(aws)
    token = aws.sent()[-1].token("/members/preferences")
    page = aws.request(
        "GET", "/members/preferences", query={"token": token, "done": done}, accept="text/html"
    )
    assert page.status == 200 and "Your preferences" in page.body
    assert "preferences are saved" not in page.body


def test_an_accept_header_in_capitals_still_gets_a_page(aws):
    join(aws)
    token = aws.sent()[-1].token("/members/preferences")
    page = aws.request(
        "POST", "/members/data-requests", query={"token": token}, form={"kind": "x"}, accept="TEXT/HTML"
    )
    assert page.status == 400 and page.headers["Content-Type"].startswith("text/html")


def test_two_groups_cannot_have_one_name_by_creating_or_renaming(aws):
    # Given the Patient Journal group, and another
    make_group(aws)
    other = aws.admin("POST", "/admin/groups", json_body={"name": "Carers' circle", "purpose": "Support"})
    assert other.status == 201
    # When an administrator creates a group of the same name under another id, or with other
    # capitals, spacing or letter forms, or renames the other group to it
    attempts = [
        aws.admin(
            "POST", "/admin/groups", json_body={"name": "Patient Journal", "purpose": "x", "id": "pj-2"}
        ),
        aws.admin("POST", "/admin/groups", json_body={"name": "patient  JOURNAL", "purpose": "x"}),
        # full-width capitals, which read the same on a page
        aws.admin("POST", "/admin/groups", json_body={"name": "\uff30atient \uff2aournal", "purpose": "x"}),
        # characters that show nothing: a Hangul filler, a variation selector, a grapheme joiner
        aws.admin("POST", "/admin/groups", json_body={"name": "Patient Journal\u3164", "purpose": "x"}),
        aws.admin(
            "POST", "/admin/groups", json_body={"name": "Patient\u3164Journal", "purpose": "x", "id": "pj-3"}
        ),
        aws.admin("POST", "/admin/groups", json_body={"name": "Patient Journal\ufe0f", "purpose": "x"}),
        aws.admin("POST", "/admin/groups", json_body={"name": "Patient Jour\u034fnal", "purpose": "x"}),
        aws.admin("PATCH", f"/admin/groups/{other.json()['id']}", json_body={"name": "Patient journal"}),
    ]
    # Then each is refused as a conflict naming the name field, and nothing changed
    for response in attempts:
        assert response.status == 409, response
        assert [e["field"] for e in response.json()["errors"]] == ["name"]
    names = sorted(i["name"] for i in aws.items("members") if i["pk"] == "GROUPS")
    assert names == ["Carers' circle", "Patient Journal"]
    # And a group may still change its own name's capitals, and the sign-up form still works
    group = aws.admin("GET", "/admin/groups").json()["items"][1]
    assert group["name"] == "Patient Journal"
    assert (
        aws.admin("PATCH", f"/admin/groups/{group['id']}", json_body={"name": "Patient journal"}).status
        == 200
    )
    assert signup_page_works(aws)


def as_if_both_read_before_either_wrote(monkeypatch):
    """Two administrators at the same instant: each one's check for a taken name reads the groups
    before the other's write, so that check sees nothing."""
    from shared.groups import GroupRepository

    monkeypatch.setattr(GroupRepository, "_refuse_a_taken_name", lambda *_args: None)


def group_names(aws):
    return sorted(i["name"] for i in aws.items("members") if i["pk"] == "GROUPS")


def test_two_administrators_at_once_still_cannot_give_two_groups_one_name(aws, monkeypatch):
    # Given two groups, and two administrators whose name checks both read before either wrote
    make_group(aws)
    other = aws.admin("POST", "/admin/groups", json_body={"name": "Carers' circle", "purpose": "x"}).json()
    as_if_both_read_before_either_wrote(monkeypatch)
    # When one creates a group under the taken name (another id), and one renames to it
    created = aws.admin(
        "POST", "/admin/groups", json_body={"name": "patient journal", "purpose": "x", "id": "pj-2"}
    )
    renamed = aws.admin("PATCH", f"/admin/groups/{other['id']}", json_body={"name": "PATIENT JOURNAL"})
    # Then both are refused, naming the name, and nothing changed
    for response in (created, renamed):
        assert response.status == 409, response
        assert [e["field"] for e in response.json()["errors"]] == ["name"]
    assert group_names(aws) == ["Carers' circle", "Patient Journal"]
    # And an id taken as well as an open group's name is refused for its name
    again = aws.admin("POST", "/admin/groups", json_body={"name": "Patient Journal", "purpose": "x"})
    assert again.status == 409 and [e["field"] for e in again.json()["errors"]] == ["name"]


@pytest.mark.parametrize("name", ["\u3164", "\u3164 \ufe0f", "\u200d", "\u2800", "\u0301\u0301"])
def test_a_group_name_that_shows_nothing_is_refused_naming_the_field(aws, name):
    group = make_group(aws)
    created = aws.admin("POST", "/admin/groups", json_body={"name": name, "purpose": "x", "id": "blank"})
    renamed = aws.admin("PATCH", f"/admin/groups/{group}", json_body={"name": name})
    for response in (created, renamed):
        assert response.status == 400, response
        assert [e["field"] for e in response.json()["errors"]] == ["name"]
    assert group_names(aws) == ["Patient Journal"]


def test_a_renamed_group_gives_up_its_old_name(aws, monkeypatch):
    group = make_group(aws, name="Alpha")
    as_if_both_read_before_either_wrote(monkeypatch)  # only the claims stand in the way
    assert aws.admin("PATCH", f"/admin/groups/{group}", json_body={"name": "Beta"}).status == 200
    # (under an id of its own: a group keeps its id when renamed)
    freed = aws.admin("POST", "/admin/groups", json_body={"name": "alpha", "purpose": "x", "id": "a2"})
    assert freed.status == 201, freed
    taken = aws.admin("POST", "/admin/groups", json_body={"name": "BETA", "purpose": "x", "id": "b2"})
    assert taken.status == 409
    assert group_names(aws) == ["Beta", "alpha"]


def test_groups_made_before_names_were_claimed_can_still_be_renamed(aws, monkeypatch):
    # Given a group that holds its name, and an older one of a like name that holds no claim
    # (written as groups were before names were claimed)
    make_group(aws, name="Alpha")
    members = next(t for t in aws.ddb.list_tables()["TableNames"] if "members" in t)
    legacy = {
        "pk": "GROUPS",
        "sk": "GROUP#old-alpha",
        "id": "old-alpha",
        "name": "ALPHA",
        "purpose": "Made long ago",
        "status": "open",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "version": 1,
    }
    aws.ddb.put_item(TableName=members, Item=to_item(legacy))
    # When the older one is renamed
    renamed = aws.admin("PATCH", "/admin/groups/old-alpha", json_body={"name": "Gamma"})
    # Then it is, and the other group keeps its claim on its name while the new name is claimed
    assert renamed.status == 200, renamed
    as_if_both_read_before_either_wrote(monkeypatch)
    for name in ("alpha", "gamma"):
        taken = aws.admin("POST", "/admin/groups", json_body={"name": name, "purpose": "x", "id": "new"})
        assert taken.status == 409 and [e["field"] for e in taken.json()["errors"]] == ["name"]
    assert group_names(aws) == ["Alpha", "Gamma"]


def test_groups_named_without_latin_letters_each_get_an_id_of_their_own(aws):
    # Given a group whose name has no Latin letters or digits
    first = aws.admin("POST", "/admin/groups", json_body={"name": "Группа поддержки", "purpose": "Support"})
    # When another such group is created
    second = aws.admin("POST", "/admin/groups", json_body={"name": "支持小组", "purpose": "Support"})
    # Then both exist, under different ids (not both 'group', refused as taken)
    assert (first.status, second.status) == (201, 201), second
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["id"].startswith("group-")
