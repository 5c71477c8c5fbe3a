"""DynamoDB throttling that outlasts botocore's retries is a 503 that says to try again, never a 500,
on every HTTP function (`shared.api.HttpApi` maps it once, from `shared.dynamo.as_domain_error`)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.handler.test_console import browser, site  # noqa: F401 (fixtures)
from tests.handler.test_lifecycle import join
from tests.support.console import text

TRY_AGAIN = "Please try again in a few minutes"
SIGNUP = {
    "name": "Ann",
    "email": "ann.busy@example.org",
    "role": "observer",
    "consent_contact": True,
    "privacy_notice_version": "2026-11",
}


def throttle(monkeypatch, operation: str, code: str, table: str = "", reasons: list[str] | None = None):
    """Make the functions' DynamoDB client refuse `operation` (on `table`, if given) as DynamoDB does
    once botocore's retries are spent."""
    from shared.aws import client

    dynamodb = client("dynamodb")
    real = getattr(dynamodb, operation)
    name = "".join(part.title() for part in operation.split("_"))

    def refused(**kwargs):
        if table and table not in str(kwargs.get("TableName", "")):
            return real(**kwargs)
        response: dict[str, Any] = {
            "Error": {"Code": code, "Message": "Rate of requests exceeds the allowed throughput."}
        }
        if reasons is not None:
            response["CancellationReasons"] = [{"Code": reason} for reason in reasons]
        raise ClientError(response, name)  # type: ignore[arg-type]

    monkeypatch.setattr(dynamodb, operation, refused)


def test_a_throttled_sign_up_is_a_503_that_says_to_try_again(aws, monkeypatch):
    throttle(monkeypatch, "batch_get_item", "ProvisionedThroughputExceededException")
    # A JSON client gets the error shape
    response = aws.request("POST", "/members", json_body=SIGNUP)
    assert response.status == 503, response
    assert TRY_AGAIN in response.json()["message"]
    # A browser gets a page
    page = aws.request("POST", "/members", form=SIGNUP, accept="text/html")
    assert page.status == 503 and "<h1>Please try again</h1>" in page.body and TRY_AGAIN in page.body
    assert aws.members() == [] and aws.sent() == []


def test_a_throttled_idempotency_table_is_a_503_too(aws, monkeypatch):
    # Powertools wraps its table's error in its own; the throttling inside is still found
    throttle(monkeypatch, "put_item", "ThrottlingException", table="idempotency")
    response = aws.request("POST", "/members", json_body=SIGNUP)
    assert response.status == 503 and TRY_AGAIN in response.json()["message"]
    assert aws.members() == [] and aws.sent() == []


def test_a_transaction_cancelled_for_throttling_is_a_503_and_the_button_works_after(aws, monkeypatch):
    # Given Ann signed up
    assert aws.request("POST", "/members", json_body=SIGNUP).status == 202
    token = aws.sent()[0].token("/members/confirm")
    # When she presses the confirmation button while the table is throttled
    with monkeypatch.context() as busy:
        throttle(
            busy, "transact_write_items", "TransactionCanceledException", reasons=["None", "ThrottlingError"]
        )
        page = aws.request("POST", "/members/confirm", form={"token": token}, accept="text/html")
    # Then she is told to try again, and nothing changed
    assert page.status == 503 and TRY_AGAIN in page.body
    assert aws.members()[0]["status"] == "pending_confirmation"
    # And pressing it again later works
    again = aws.request("POST", "/members/confirm", form={"token": token}, accept="text/html")
    assert again.status == 200 and "You are now a member" in again.body


def test_the_admin_api_answers_503_when_throttled(aws, monkeypatch):
    throttle(monkeypatch, "query", "ThrottlingException")
    response = aws.admin("GET", "/admin/members")
    assert response.status == 503
    assert response.json() == {
        "message": "We are very busy just now, so this could not be done. " + TRY_AGAIN + ".",
        "errors": [],
    }


def test_the_console_shows_a_page_when_throttled(browser, site, monkeypatch):  # noqa: F811
    throttle(monkeypatch, "query", "RequestLimitExceeded")
    page = browser.get("/console/members?q=Ann")
    assert page.status == 503
    assert "Please try again" in text(page.body) and TRY_AGAIN in text(page.body)


def test_an_edit_throttled_part_way_is_a_503(aws, monkeypatch):
    member_id = join(aws)
    throttle(monkeypatch, "transact_write_items", "ProvisionedThroughputExceededException")
    response = aws.admin("PATCH", f"/admin/members/{member_id}", json_body={"name": "Ann Renamed"})
    assert response.status == 503
    assert aws.members()[0]["name"] == "Ann Member"


def test_any_other_aws_fault_is_still_a_fault(aws, monkeypatch):
    # not throttling: nothing to tell the person except that it failed (Lambda's 500), and the error
    # reaches the logs and alarms as it is
    throttle(monkeypatch, "query", "InternalServerError")
    with pytest.raises(ClientError):
        aws.admin("GET", "/admin/members")
