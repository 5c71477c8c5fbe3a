"""What a person sees around the forms: a page (not raw JSON) for a mistyped address or a wrong
method, help on every page, and emails that say who they are from and how to reach us."""

from __future__ import annotations

import copy
import json

import pytest

from tests.handler.conftest import load_event
from tests.handler.test_signup import confirm, sign_up
from tests.support.env import deployment_config

CONFIG = deployment_config()


def request(aws, method: str, path: str, accept: str):
    event = copy.deepcopy(load_event("members/get_signup_form.json"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    event["headers"]["accept"] = accept
    return aws.invoke("members_public", event)


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_mistyped_address_shows_a_page_with_help_to_a_browser(aws):
    # When someone types /members/sigup into their browser
    response = request(aws, "GET", "/members/sigup", BROWSER)
    # Then they see a page that says so, and how to get help
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "<h1>Page not found</h1>" in response["body"]
    assert CONFIG.contact_phone in response["body"] and CONFIG.contact_email in response["body"]


def test_a_mistyped_address_is_json_for_a_json_client(aws):
    response = request(aws, "GET", "/members/sigup", "application/json")
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {"message": "Not found.", "errors": []}


@pytest.mark.parametrize(
    ("accept", "content_type"), [(BROWSER, "text/html"), ("application/json", "application/json")]
)
def test_a_wrong_method_is_405_with_the_methods_allowed(aws, accept, content_type):
    # When something sends DELETE to the preferences page's address
    response = request(aws, "DELETE", "/members/preferences", accept)
    # Then it is told the method is not allowed there, and which are
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "GET, POST"
    assert response["headers"]["Content-Type"].startswith(content_type)
    if content_type == "text/html":
        assert "This page cannot be used like that" in response["body"]


def test_every_email_comes_from_the_group_with_a_sign_off_and_a_contact(aws):
    # When Ann signs up and confirms
    sign_up(aws)
    confirm(aws, aws.sent()[0].token("/members/confirm"))
    # Then both emails come from the group's name, and end with a sign-off and how to reach us
    for mail in aws.sent():
        assert mail.sender == f"{CONFIG.group_name} <no-reply@mkcpp.org.uk>"
        for part in (mail.text, mail.html):
            assert "Best wishes," in part and CONFIG.group_name in part
            assert CONFIG.contact_phone in part and CONFIG.contact_email in part


def test_the_confirmed_page_names_the_next_meeting_only_when_there_is_one(aws):
    # Given no meeting is arranged
    sign_up(aws)
    page = confirm(aws, aws.sent()[0].token("/members/confirm"))["body"]
    # Then the page promises no date
    assert "We will email you when the next meeting is arranged" in page
    assert "Our next meeting" not in page


def test_the_confirmed_page_names_the_next_meeting(aws):
    aws.put_meeting(
        "Plenary meeting", "2027-01-12T12:30:00Z", "2027-01-12T14:00:00Z", "Seminar room 2, Academic Centre"
    )
    aws.clock.now = aws.clock.now.replace(year=2026, month=11, day=28)
    sign_up(aws)
    page = confirm(aws, aws.sent()[0].token("/members/confirm"))["body"]
    assert "Our next meeting" in page and "Tuesday 12 January 2027, 12:30pm to 2pm" in page
    assert "Seminar room 2" in page


def test_the_sign_up_form_says_what_the_partnership_is_and_how_to_get_help(aws):
    page = request(aws, "GET", "/members/signup", BROWSER)["body"]
    assert CONFIG.about in page and CONFIG.members_do in page
    assert '<button type="submit">Join</button>' in page
    assert f'href="tel:{CONFIG.contact_phone.replace(" ", "")}"' in page


def test_the_privacy_notice_names_the_controller_and_the_retention_of_logs(aws):
    page = request(aws, "GET", "/members/privacy", BROWSER)["body"]
    assert CONFIG.controller_name in page and CONFIG.postal_address in page
    assert f"<td>{CONFIG.log_retention_days} days</td>" in page
    assert f"<td>{CONFIG.unsubscribe_grace_days} days after you unsubscribe</td>" in page


def test_what_no_route_matches_gets_a_page_from_the_default_route(aws):
    """API Gateway's `$default` route sends what no declared route matches to members_public."""
    from tests.support.events import load

    event = load("members/get_signup_form.json")
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/members/sigup"
    event["headers"]["accept"] = "text/html"
    result = aws.invoke("members_public", event)
    assert result["statusCode"] == 404 and "Page not found" in result["body"]
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/members/confirm"
    event["requestContext"]["http"]["method"] = "DELETE"
    result = aws.invoke("members_public", event)
    assert result["statusCode"] == 405 and "GET" in result["headers"]["Allow"]
