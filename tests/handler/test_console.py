"""The administrators' console, driven as a browser drives it: sign-in redirects, the token checks,
CSRF, and what each screen shows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.handler.test_signup import confirm, json_event, sign_up
from tests.support import console
from tests.support.console import ConsoleBrowser, mint, text
from tests.support.env import SIGN_IN


@pytest.fixture
def site(aws, monkeypatch):
    monkeypatch.setattr("shared.console.session._jwks_client", console.FakeJwks)
    return aws


@pytest.fixture
def browser(site):
    return ConsoleBrowser(site, mint())


@pytest.fixture
def ann(site):
    sign_up(
        site, json_event(email="ann@example.org", name="Ann Smith", role="carer", consent_health_data=True)
    )
    confirm(site, site.sent()[-1].token("/members/confirm"))
    return next(m for m in site.members() if m["name"] == "Ann Smith")


# --- signing in ---------------------------------------------------------------------------------


def test_without_a_session_the_console_sends_you_to_sign_in_and_back(site):
    anonymous = ConsoleBrowser(site)
    response = anonymous.get("/console/members?q=ann")
    assert response.status == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == SIGN_IN.login_url
    assert location.path == "/oauth2/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [SIGN_IN.client_id]
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == ["https://api.mkcpp.test/console/callback"]
    # the attempt is remembered in a short-lived, HttpOnly, Secure cookie only the callback receives
    cookie = next(c for c in response.cookies if c.startswith("mkcpp_console_sign_in="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert "Path=/console/callback" in cookie and "Max-Age=600" in cookie


def test_the_callback_exchanges_the_code_with_pkce_and_returns_to_the_page(site, monkeypatch):
    anonymous = ConsoleBrowser(site)
    start = anonymous.get("/console/members?q=ann")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    exchanged: dict[str, str] = {}

    def token_endpoint(url, body):
        exchanged.update(url=url, **{k: v[0] for k, v in parse_qs(body.decode()).items()})
        return {"access_token": mint(), "token_type": "Bearer"}

    monkeypatch.setattr("shared.console.session._post_form", token_endpoint)
    callback = anonymous.get(f"/console/callback?code=the-code&state={query['state'][0]}")
    assert callback.status == 303 and callback.headers["Location"] == "/console/members?q=ann"
    assert exchanged["url"] == SIGN_IN.login_url + "/oauth2/token"
    assert exchanged["code"] == "the-code" and exchanged["grant_type"] == "authorization_code"
    # the verifier sent is the one whose S256 hash went to the authorize endpoint
    from shared.console.session import pkce_challenge

    assert pkce_challenge(exchanged["code_verifier"]) == query["code_challenge"][0]
    session = next(c for c in callback.cookies if c.startswith("mkcpp_console="))
    assert "HttpOnly" in session and "Secure" in session and "SameSite=Lax" in session
    assert "Path=/console" in session
    assert anonymous.get("/console/members?q=ann").status == 200


def test_a_callback_with_another_browsers_state_is_refused(site, monkeypatch):
    monkeypatch.setattr("shared.console.session._post_form", lambda url, body: pytest.fail("no exchange"))
    victim = ConsoleBrowser(site)
    victim.get("/console/")
    attacker = ConsoleBrowser(site)
    attacker.get("/console/")
    attacker_state = parse_qs(urlsplit(attacker.get("/console/").headers["Location"]).query)["state"][0]
    response = victim.get(f"/console/callback?code=stolen&state={attacker_state}")
    assert response.status == 400
    assert "You are not signed in" in text(response.body)
    assert "mkcpp_console" not in {c.split("=")[0] for c in response.cookies if "Max-Age=0" not in c}


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: mint(key=console.other_key()), id="forged signature"),
        pytest.param(lambda: mint(exp=1_600_000_000, iat=1_599_990_000), id="expired"),
        pytest.param(lambda: mint(client_id="another-client"), id="wrong client"),
        pytest.param(
            lambda: mint(iss="https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Other"), id="issuer"
        ),
        pytest.param(lambda: mint(token_use="id"), id="id token"),
        pytest.param(
            lambda: __import__("jwt").encode(console.claims(), key="", algorithm="none"), id="alg none"
        ),
        pytest.param(
            lambda: __import__("jwt").encode(console.claims(), key="s" * 64, algorithm="HS256"),
            id="alg HS256",
        ),
        pytest.param(lambda: "not-a-token", id="garbage"),
    ],
)
def test_a_bad_token_is_no_session_and_goes_to_sign_in(site, token):
    response = ConsoleBrowser(site, token()).get("/console/members")
    assert response.status == 303
    assert response.headers["Location"].startswith(SIGN_IN.login_url + "/oauth2/authorize?")
    assert "Ann" not in response.body


def test_signed_in_but_not_an_administrator_is_refused(site):
    response = ConsoleBrowser(site, console.mint_with_groups(["volunteers"])).get("/console/members")
    assert response.status == 403
    assert "You cannot use the console" in text(response.body)
    response = ConsoleBrowser(site, console.mint_with_groups(None)).get("/console/")
    assert response.status == 403


def test_an_expired_session_returns_to_the_page_after_signing_in_again(site):
    expired = ConsoleBrowser(site, mint(exp=1_600_000_000, iat=1_599_990_000))
    response = expired.get("/console/groups")
    assert response.status == 303
    remembered = expired.cookies["mkcpp_console_sign_in"]
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(remembered + "=" * (-len(remembered) % 4)))
    # the attempt remembers where to come back to, and lapses in ten minutes
    assert data["to"] == "/console/groups" and data["until"] > int(site.clock.now.timestamp())


@pytest.mark.parametrize(
    "path", ["https://evil.example/x", "//evil.example/x", "/members", "/console\\\\evil"]
)
def test_the_return_path_never_leaves_the_console(path):
    from shared.console.session import safe_return_path

    assert safe_return_path(path) == "/console/"


def test_sign_out_clears_the_session_and_ends_the_managed_login_session(browser):
    response = browser.post("/console/sign-out")
    assert response.status == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == SIGN_IN.login_url + "/logout"
    assert parse_qs(location.query) == {
        "client_id": [SIGN_IN.client_id],
        "logout_uri": ["https://api.mkcpp.test/console/signed-out"],
    }
    assert "mkcpp_console" not in browser.cookies
    assert browser.get("/console/signed-out").status == 200


def test_a_session_cookie_copied_before_sign_out_is_refused_afterwards(browser, site, ann):
    # Given a copy of the signed-in administrator's cookie, taken before they sign out
    copied = ConsoleBrowser(site, browser.cookies["mkcpp_console"])
    assert copied.get(f"/console/members/{ann['id']}").status == 200
    token = copied.csrf_token()
    # When they sign out
    assert browser.post("/console/sign-out").status == 303
    # Then the copy is sent to sign in, by the members' pages and by the console's own alike
    for path in (f"/console/members/{ann['id']}", "/console/audit", "/console/"):
        refused = copied.get(path)
        assert refused.status == 303 and "/oauth2/authorize" in refused.headers["Location"], path
    # And a form posted with it changes nothing, and says it was not saved
    assert copied.post(f"/console/members/{ann['id']}/erase", csrf=token).status == 401
    assert any(m["id"] == ann["id"] for m in site.members())


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [None, "", "wrong"])
def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(browser, ann, given):
    response = browser.post(f"/console/members/{ann['id']}/erase", csrf=given)
    assert response.status == 403
    assert "This form has expired" in text(response.body) and "Nothing was changed" in text(response.body)
    assert any(m["id"] == ann["id"] for m in browser.world.members())


def test_a_csrf_token_from_another_session_is_refused(browser, ann, site):
    other = ConsoleBrowser(site, mint()).csrf_token()
    assert browser.post(f"/console/members/{ann['id']}/erase", csrf=other).status == 403


def test_every_post_form_carries_its_csrf_token(browser, ann):
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    pages = [
        "/console/",
        "/console/members",
        f"/console/members/{ann['id']}",
        f"/console/members/{ann['id']}/edit",
        f"/console/members/{ann['id']}/erase",
        "/console/members/new",
        "/console/groups",
        "/console/groups/patient-voice",
        "/console/offline-members",
        "/console/audit",
    ]
    token = browser.csrf_token()
    for path in pages:
        page = browser.get(path)
        assert page.status == 200, (path, page)
        forms = re.findall(r"(?s)<form\b[^>]*>.*?</form>", page.body)
        for form in forms:
            if 'method="post"' in form:
                assert f'name="csrf_token" value="{token}"' in form, (path, form[:200])


# --- screens ------------------------------------------------------------------------------------


def test_home_leads_to_each_part_and_members_shows_the_counts_and_what_needs_attention(browser, ann, site):
    sign_up(site, json_event(email="bob@example.org", name="Bob Jones", role="observer"))
    site.clock.advance(days=3)
    browser.cookies["mkcpp_console"] = mint(exp=int(site.clock.now.timestamp()) + 3600)
    home = browser.get("/console/")
    # the home page holds no capability's data: it links to each part, whose page says what needs doing
    for link in ("/console/members", "/console/groups", "/console/offline-members", "/console/audit"):
        assert f'href="{link}"' in home.body
    assert "Bob Jones" not in home.body
    page = text(browser.get("/console/members").body)
    assert "1 members" in page and "1 waiting to confirm" in page
    assert "0 unsubscribed" in page and "0 with emails stopped" in page and "0 to phone or write to" in page
    assert "Not confirmed after two days" in page and "Bob Jones" in page


def test_find_a_member_by_name_or_email_and_open_their_page(browser, ann):
    page = browser.get("/console/members?q=Ann")
    assert page.status == 200
    assert f'href="/console/members/{ann["id"]}"' in page.body
    assert "Ann Smith" in text(page.body) and "ann@example.org" in text(page.body)
    by_email = browser.get("/console/members?q=ann@example.org")
    assert f'href="/console/members/{ann["id"]}"' in by_email.body
    assert "No members match" in text(browser.get("/console/members?q=zed").body)
    member = text(browser.get(f"/console/members/{ann['id']}").body)
    assert "Ann Smith" in member and "Carer" in member
    assert "To hold that they are a patient or carer" in member and "To be contacted" in member
    assert "Emails are not stopped" in member
    assert "Opened the record" in member  # opening the record is itself in their audit trail


def test_filters_by_status_role_and_group(browser, ann, site):
    sign_up(site, json_event(email="bob@example.org", name="Bob Jones", role="observer"))
    assert "Bob Jones" in text(browser.get("/console/members?status=pending_confirmation").body)
    assert "Ann Smith" not in text(browser.get("/console/members?status=pending_confirmation").body)
    assert "Ann Smith" in text(browser.get("/console/members?role=carer").body)
    bad = browser.get("/console/members?status=nonsense")
    assert bad.status == 400 and "Choose a status from the list" in text(bad.body)


def test_members_page_in_pages(browser, site):
    for n in range(27):
        sign_up(site, json_event(email=f"m{n}@example.org", name=f"Member {n:02d}", role="observer"))
    first = browser.get("/console/members?status=pending_confirmation")
    names = re.findall(r"Member \d\d", text(first.body))
    assert len(names) == 25
    next_link = re.search(r'href="(/console/members\?[^"]*cursor=[^"]+)"', first.body)
    assert next_link
    second = browser.get(next_link.group(1).replace("&amp;", "&"))
    assert len(re.findall(r"Member \d\d", text(second.body))) == 2


def test_add_a_member_met_in_person(browser, site):
    refused = browser.post("/console/members/new", {"name": "", "role": "patient"})
    assert refused.status == 400
    page = text(refused.body)
    assert "There is a problem" in page and "Enter the member's name" in page
    added = browser.post(
        "/console/members/new",
        {
            "name": "Cy Brown",
            "phone": "01908 123456",
            "role": "observer",
            "consent_contact_in_person": "yes",
        },
    )
    assert added.status == 303
    member = text(browser.get(added.headers["Location"]).body)
    assert "The member was added." in member and "Cy Brown" in member and "01908 123456" in member
    stored = next(m for m in site.members() if m["name"] == "Cy Brown")
    assert stored["status"] == "active" and stored["consents"][0]["channel"] == "in_person"
    assert "Cy Brown" in text(browser.get("/console/offline-members").body)


def test_a_double_clicked_add_adds_one_member_with_or_without_email(browser, site):
    for name, email in (("Di Green", ""), ("Ed Grey", "ed@example.org")):
        once = re.search(r'name="once" value="([^"]+)"', browser.get("/console/members/new").body)
        assert once
        form = {"name": name, "email": email, "phone": "01908 654321", "role": "observer"}
        form["consent_contact_in_person"] = "yes"
        first = browser.post("/console/members/new", {**form, "once": once.group(1)})
        second = browser.post("/console/members/new", {**form, "once": once.group(1)})
        assert first.status == second.status == 303, second.body
        assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
        assert [m["name"] for m in site.members()].count(name) == 1
    assert [m.to for m in site.sent()] == ["ed@example.org"]  # one confirmation email


def test_edit_a_member_records_only_what_changed(browser, ann, site):
    response = browser.post(
        f"/console/members/{ann['id']}/edit",
        {"name": "Ann Smith", "phone": "07700 900123", "postal_address": "", "role": "carer"},
    )
    assert response.status == 303
    assert "The changes were saved." in text(browser.get(response.headers["Location"]).body)
    stored = next(m for m in site.members() if m["id"] == ann["id"])
    assert stored["phone"] == "07700 900123"
    audit = [i for i in site.items("audit") if i["action"] == "member.update"]
    assert [a["fields"] for a in audit] == [["phone"]]
    assert audit[0]["actor"] == console.claims()["sub"]  # the signed-in administrator


def test_edit_refuses_bad_input_naming_the_field(browser, ann):
    response = browser.post(f"/console/members/{ann['id']}/edit", {"name": "", "phone": "call me"})
    assert response.status == 400
    page = text(response.body)
    assert "Enter the member's name" in page and "Enter a phone number" in page


def test_resend_confirmation_says_why_when_it_is_not_sent(browser, site):
    sign_up(site, json_event(email="bob@example.org", name="Bob Jones", role="observer"))
    bob = next(m for m in site.members() if m["name"] == "Bob Jones")
    response = browser.post(f"/console/members/{bob['id']}/resend-confirmation")
    assert response.status == 303
    assert "less than 10 minutes ago" in text(browser.get(response.headers["Location"]).body)
    site.clock.advance(minutes=11)
    sent_before = len(site.sent())
    response = browser.post(f"/console/members/{bob['id']}/resend-confirmation")
    assert "The confirmation email was sent again." in text(browser.get(response.headers["Location"]).body)
    assert len(site.sent()) == sent_before + 1


def test_preferences_link_and_export(browser, ann, site):
    response = browser.post(f"/console/members/{ann['id']}/preferences-link")
    assert "A link to their preferences was emailed" in text(browser.get(response.headers["Location"]).body)
    assert site.sent()[-1].to == "ann@example.org"
    export = browser.get(f"/console/members/{ann['id']}/export")
    assert export.status == 200 and "attachment" in export.headers["Content-Disposition"]
    assert '"name": "Ann Smith"' in export.body
    # the file to send in answer to a subject access request: the member's own words, no storage keys,
    # no administrator's identity
    for internal in (
        '"sk"',
        "SENT#",
        "MEMBER#",
        '"entity"',
        "expires_at",
        "lookup_id",
        console.claims()["sub"],
    ):
        assert internal not in export.body, internal


def test_erase_says_what_goes_and_what_is_kept_then_erases(browser, ann, site):
    confirm_page = text(browser.get(f"/console/members/{ann['id']}/erase").body)
    assert "Erase Ann Smith?" in confirm_page and "What will be deleted" in confirm_page
    assert "What is kept" in confirm_page
    assert "the member's id in system logs, for 90 days, and in traces, for 30 days" in confirm_page
    assert "audit entries, which name no one: only the member's id, actions and field names, for 2 years" in (
        confirm_page
    )
    site.ses_suppresses("ann@example.org", "BOUNCE")  # Amazon's own block list holds her address
    response = browser.post(f"/console/members/{ann['id']}/erase")
    assert response.status == 200 and "The member was erased" in text(response.body)
    assert not [m for m in site.members() if m["id"] == ann["id"]]
    assert site.ses_suppressed() == {}  # and no longer does
    assert browser.get(f"/console/members/{ann['id']}").status == 404


def test_working_groups_create_edit_members_lead_close(browser, ann, site):
    created = browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    assert (
        created.status == 303 and created.headers["Location"] == "/console/groups/patient-voice?done=created"
    )
    assert browser.post("/console/groups", {"name": "", "purpose": ""}).status == 400
    added = browser.post("/console/groups/patient-voice/members", {"email": "ann@example.org"})
    assert added.status == 303
    page = text(browser.get("/console/groups/patient-voice").body)
    assert "Ann Smith" in page and "No lead chosen" in page
    browser.post("/console/groups/patient-voice/lead", {"member_id": ann["id"]})
    page = text(browser.get("/console/groups/patient-voice").body)
    assert "Lead Ann Smith" in page
    browser.post("/console/groups/patient-voice", {"name": "Patient voice", "purpose": "What members think"})
    assert "What members think" in text(browser.get("/console/groups").body)
    # another group may not take its name: the form comes back saying so, with what was typed
    browser.post("/console/groups", {"name": "Research", "purpose": "Studies"})
    taken = browser.post("/console/groups/research", {"name": "Patient Voice", "purpose": "Studies"})
    assert taken.status == 409 and "An open group has this name" in text(taken.body)
    assert 'value="Patient Voice"' in taken.body
    browser.post(f"/console/groups/patient-voice/members/{ann['id']}/remove")
    page = text(browser.get("/console/groups/patient-voice").body)
    assert "No one is in this group yet" in page and "No lead chosen" in page
    unknown = browser.post("/console/groups/patient-voice/members", {"email": "zed@example.org"})
    assert unknown.status == 400 and "No member has this email address" in text(unknown.body)
    browser.post("/console/groups/patient-voice/close")
    assert "Closed" in text(browser.get("/console/groups").body)


def test_closing_a_group_asks_first_and_it_can_be_opened_again_or_its_name_reused(browser, site):
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    # the group page offers a link, not a one-click close; the link's page asks first
    page = browser.get("/console/groups/patient-voice").body
    assert 'href="/console/groups/patient-voice/close"' in page
    assert 'action="/console/groups/patient-voice/close"' not in page
    question = browser.get("/console/groups/patient-voice/close")
    assert question.status == 200 and "Close Patient voice?" in text(question.body)
    assert "open it again" in text(question.body)
    assert browser.post("/console/groups/patient-voice/close").status == 303
    # closed: it can be opened again, and its name is free meanwhile
    closed = text(browser.get("/console/groups/patient-voice").body)
    assert "Open Patient voice again" in closed
    assert browser.post("/console/groups/patient-voice/reopen").status == 303
    assert "Open Patient voice again" not in text(browser.get("/console/groups/patient-voice").body)
    browser.post("/console/groups/patient-voice/close")
    made = browser.post("/console/groups", {"name": "Patient Voice", "purpose": "A new start"})
    assert made.status == 303, text(made.body)
    assert made.headers["Location"].startswith("/console/groups/patient-voice-2")
    # now the old one cannot take its name back while the new one is open
    refused = browser.post("/console/groups/patient-voice/reopen")
    assert refused.status == 409 and "Rename or close that group first" in text(refused.body)
    actions = [e["action"] for e in site.items("audit") if e["target"] == "GROUP#patient-voice"]
    assert actions.count("group.close") == 2 and actions.count("group.reopen") == 1


def test_a_groups_meetings_are_listed_publicly_only_when_its_box_is_ticked(browser, site):
    browser.post("/console/groups", {"name": "Open door", "purpose": "Anyone", "public": "yes"})
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    groups = {g["id"]: g for g in site.admin("GET", "/admin/groups").json()["items"]}
    assert groups["open-door"]["public"] is True and groups["patient-voice"]["public"] is False
    assert 'id="public" name="public" value="yes" aria-describedby="public-hint" checked' in (
        browser.get("/console/groups/open-door").body
    )

    # saving the form without the box ticked makes it private; other saves leave it alone
    def public() -> dict[str, bool]:
        return {g["id"]: g["public"] for g in site.admin("GET", "/admin/groups").json()["items"]}

    browser.post("/console/groups/open-door", {"name": "Open door", "purpose": "Anyone at all"})
    assert public() == {"open-door": False, "patient-voice": False}
    browser.post(
        "/console/groups/patient-voice", {"name": "Patient voice", "purpose": "Views", "public": "yes"}
    )
    assert public() == {"open-door": False, "patient-voice": True}


def test_audit_trail_by_month_and_csv(browser, ann, site):
    browser.get(f"/console/members/{ann['id']}")
    month = site.clock.now.strftime("%Y-%m")
    page = text(browser.get(f"/console/audit?month={month}").body)
    assert "Opened the record" in page and "You" in page
    assert browser.get("/console/audit?month=2026-13").status == 400
    csv = browser.get(f"/console/audit.csv?month={month}")
    assert csv.status == 200 and csv.body.startswith("\ufeffat,action,what,target,fields,administrator")
    assert "member.view,Opened the record" in csv.body


# --- found by review ----------------------------------------------------------------------------


def test_an_id_no_member_could_have_is_a_404_not_a_database_error(browser):
    for path in ("/console/members/" + "a" * 2100, "/console/members/..%2Fadmin", "/console/members/x/edit"):
        assert browser.get(path).status == 404, path
    assert browser.get("/console/groups/" + "a" * 2100).status == 404


def test_an_unconfirmed_sign_ups_role_claim_stays_hidden_on_their_page_and_in_the_export(browser, site):
    sign_up(
        site,
        json_event(email="harold@example.org", name="Harold Neutral", role="carer", consent_health_data=True),
    )
    harold = next(m for m in site.members() if m["name"] == "Harold Neutral")
    page = text(browser.get(f"/console/members/{harold['id']}").body)
    assert "Carer" not in page and "patient or carer" not in page.replace(
        "Consents about their role are shown once they confirm their address.", ""
    )
    export = browser.get(f"/console/members/{harold['id']}/export")
    assert '"how_you_describe_yourself": null' in export.body and "patient or carer" not in export.body
    assert "lookup_id" not in export.body and "status_before_suppression" not in export.body


def test_only_active_members_join_a_group_and_lead_it(browser, site):
    browser.post("/console/groups", {"name": "Patient voice", "purpose": "Members' views"})
    sign_up(site, json_event(email="bob@example.org", name="Bob Jones", role="observer"))
    refused = browser.post("/console/groups/patient-voice/members", {"email": "bob@example.org"})
    assert refused.status == 409 and "has not confirmed their email address yet" in text(refused.body)


def test_someone_who_is_not_an_administrator_can_still_sign_out(site):
    volunteer = ConsoleBrowser(site, console.mint_with_groups(["volunteers"]))
    page = volunteer.get("/console/")
    assert page.status == 403 and 'action="/console/sign-out"' in page.body
    out = volunteer.post("/console/sign-out", csrf="")
    assert out.status == 303 and out.headers["Location"].startswith(SIGN_IN.login_url + "/logout?")
    expired = ConsoleBrowser(site, mint(exp=1_600_000_000, iat=1_599_990_000))
    assert expired.post("/console/sign-out", csrf="").status == 303
    # an administrator's sign-out form still needs its token
    admin = ConsoleBrowser(site, mint())
    assert admin.post("/console/sign-out", csrf="wrong").status == 403


def test_a_bad_page_link_gets_a_page_not_json(browser):
    response = browser.get("/console/members?cursor=xyz")
    assert response.status == 400 and "This page link does not work" in text(response.body)


def test_lifting_a_suppression_says_whether_emails_will_go_again(browser, ann, site):
    from tests.handler.test_lifecycle import ses_event

    # Given Ann, who marked one of our emails as spam: that unsubscribed her and suppressed her address
    event, _ = ses_event("sqs_complaint", "ann@example.org")
    site.invoke("member_bounces", event)
    # When an administrator lifts the suppression
    response = browser.post(f"/console/members/{ann['id']}/lift-suppression")
    page = text(browser.get(response.headers["Location"]).body)
    # Then the page does not promise emails she will not get: she is still unsubscribed
    assert "still unsubscribed" in page
    assert "emails will be sent to this address again" not in page
    # And for someone whose address only bounced, emails will indeed go again
    sign_up(site, json_event(email="bob@example.org", name="Bob Jones", role="observer"))
    confirm(site, site.sent()[-1].token("/members/confirm"))
    bob = next(m for m in site.members() if m["name"] == "Bob Jones")
    event, _ = ses_event("sqs_bounce_permanent", "bob@example.org")
    site.invoke("member_bounces", event)
    response = browser.post(f"/console/members/{bob['id']}/lift-suppression")
    assert "emails will be sent to this address again" in text(browser.get(response.headers["Location"]).body)


SAM = "5a1d2c3b-2222-4b8e-8f00-1c2d3e4f5a6b"


def sign_in_through_the_callback(site, monkeypatch, access: str, id_token: str | None) -> ConsoleBrowser:
    anonymous = ConsoleBrowser(site)
    start = anonymous.get("/console/members")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    answer = {"access_token": access, "token_type": "Bearer", **({"id_token": id_token} if id_token else {})}
    monkeypatch.setattr("shared.console.session._post_form", lambda url, body: answer)
    assert anonymous.get(f"/console/callback?code=the-code&state={state}").status == 303
    return anonymous


def test_every_console_names_the_administrator_who_did_something_with_no_cognito_call(
    site, monkeypatch, browser, ann
):
    # Given Sam signs in: the pool's ID token names them
    id_token = mint(sub=SAM, token_use="id", aud=SIGN_IN.client_id, client_id=None, name="Sam Secretary")
    sam = sign_in_through_the_callback(site, monkeypatch, mint(sub=SAM), id_token)
    # When Sam changes a member's phone number
    edit = sam.get(f"/console/members/{ann['id']}/edit")
    assert edit.status == 200
    assert sam.post(f"/console/members/{ann['id']}/edit", {"phone": "01908 660000"}).status == 303
    # Then the Secretary sees Sam's name on the member's page and in the audit trail
    assert "Sam Secretary" in text(browser.get(f"/console/members/{ann['id']}").body)
    assert "Sam Secretary" in text(browser.get("/console/audit").body)
    # and the names are kept as long as the audit entries they explain, and nothing else of Sam's
    (kept,) = [i for i in site.items("console_sessions") if str(i["id"]).startswith("administrator#")]
    assert set(kept) == {"id", "name", "expires_at"} and kept["name"] == "Sam Secretary"


@pytest.mark.parametrize(
    "forged",
    [
        {"sub": "someone-else"},  # another account's ID token
        {"aud": "another-client"},  # issued to another app
        {"token_use": "access"},  # not an ID token
    ],
)
def test_an_id_token_that_is_not_this_sign_ins_names_no_one(site, monkeypatch, forged):
    claims = {"sub": SAM, "token_use": "id", "aud": SIGN_IN.client_id, "client_id": None, "name": "Mallory"}
    sign_in_through_the_callback(site, monkeypatch, mint(sub=SAM), mint(**{**claims, **forged}))
    assert [i for i in site.items("console_sessions") if str(i["id"]).startswith("administrator#")] == []


def test_saving_a_member_unchanged_keeps_a_closed_group_in_their_history(browser, ann, site):
    browser.post("/console/groups", {"name": "Information", "purpose": "Leaflets"})
    browser.post("/console/groups/information/members", {"email": "ann@example.org"})
    browser.post("/console/groups/information/close")
    # the edit form, saved exactly as it was shown (a closed group has no box to tick)
    form = browser.get(f"/console/members/{ann['id']}/edit").body
    assert 'value="information"' not in form
    saved = browser.post(
        f"/console/members/{ann['id']}/edit",
        {
            "name": "Ann Smith",
            "phone": ann.get("phone") or "",
            "postal_address": "",
            "organisation": ann.get("organisation") or "",
            "role": "carer",
        },
    )
    changed = [e["fields"] for e in site.items("audit") if e["action"] == "member.update"]
    assert saved.status == 303 and "saved" not in saved.headers["Location"], changed
    stored = next(m for m in site.members() if m["id"] == ann["id"])
    assert stored["working_groups"] == ["information"]
    assert [e for e in site.items("audit") if e["action"] == "member.update"] == []
    assert "Information (closed)" in text(browser.get(f"/console/members/{ann['id']}").body)
