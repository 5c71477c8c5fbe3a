"""The console in local mode, driven by an ordinary HTTP client with a cookie jar (Python's own, which
follows redirects and keeps cookies as a careful client does): the contract of issue 9.

`GET /console/` without a session redirects to the sign-in page; that page holds one form, and
submitting its default values signs the local administrator in and ends on `/console/`; a member who
has just signed up is found with `GET /console/members?q=…` and linked to their page; a POST without
its CSRF token is refused with 403."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlencode, urljoin

import pytest

from tests.support.env import deployment_config
from tests.support.local import LocalMode

pytestmark = pytest.mark.integration
FORM = re.compile(r'(?s)<form\b[^>]*method="post"[^>]*action="([^"]+)"[^>]*>(.*?)</form>')
FIELD = re.compile(r"<input\b[^>]*>")


class Client:
    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.redirects: list[int] = []

    def open(self, url: str, data: dict[str, str] | None = None, follow: bool = True) -> tuple[int, str, str]:
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(urljoin(self.base, url), data=body, headers={"Accept": "text/html"})
        opener = (
            self.opener
            if follow
            else urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        )
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def form_fields(form: str) -> dict[str, str]:
    """What submitting the form as it stands sends: its inputs' default values (checked radios only)."""
    fields: dict[str, str] = {}
    for tag in FIELD.findall(form):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attributes.get("type") in ("radio", "checkbox") and " checked" not in tag:
            continue
        if "name" in attributes:
            fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return fields


def test_sign_in_find_a_new_member_and_be_refused_a_post_without_csrf(local: LocalMode, address: str) -> None:
    # Given someone who has just signed up
    name = f"Local Console {address[7:15]}"
    version = deployment_config().privacy_notice_version
    signed_up = local.post(
        "/members",
        json_body={
            "name": name,
            "email": address,
            "role": "observer",
            "consent_contact": True,
            "privacy_notice_version": version,
        },
    )
    assert signed_up.status == 202
    client = Client(local.base_url)

    # When an administrator opens the console without a session, they are sent to sign in
    status, _, _ = client.open("/console/", follow=False)
    assert status in (302, 303)
    status, url, page = client.open("/console/")
    assert status == 200 and "/_local/cognito/oauth2/authorize" in url
    forms = FORM.findall(page)
    assert len(forms) == 1  # one form

    # And submitting it with its default values signs the local administrator in, on /console/
    action, form = forms[0]
    status, url, page = client.open(html.unescape(action), form_fields(form))
    assert status == 200 and url == f"{local.base_url}/console/"
    # greeted by the name the pool's ID token gives them, recorded at sign-in
    assert "<h1>Home</h1>" in page and "You are signed in as Local Administrator" in page

    # Then searching finds the new member, with a link to their page
    status, _, page = client.open(f"/console/members?q={name.split()[-1]}")
    assert status == 200
    links = re.findall(r'href="(/console/members/[0-9a-f-]{36})">' + re.escape(name) + "<", page)
    assert len(links) == 1
    status, _, member = client.open(links[0])
    assert status == 200 and name in member and address in member

    # And every POST form on their page carries the CSRF token, and a POST without it is refused
    posts = FORM.findall(member)
    assert posts and all("csrf_token" in form_fields(form) for _, form in posts)
    status, _, refused = client.open(f"{links[0]}/erase", {})
    assert status == 403 and "Nothing was changed" in refused
    status, _, _ = client.open(links[0])
    assert status == 200  # still there
