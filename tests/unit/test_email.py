import email
from email import policy

from shared.email.mailer import Attachment, OutgoingEmail, build_mime
from shared.email.render import render_email, render_page
from shared.timefmt import meeting_when
from tests.unit.rendering import CONTACT


def test_confirmation_email_has_text_and_html_and_no_name():
    # the address is not confirmed yet, so the name typed into the form is not ours to repeat
    content = render_email(
        "confirm",
        group_name="MKCPP",
        contact=CONTACT,
        confirm_url="https://x/c?token=a.b",
        hours=72,
        rejoin=False,
    )
    assert content.subject == "Confirm your email address to join MKCPP"
    assert "https://x/c?token=a.b" in content.text
    assert content.text.startswith("Hello,\n") and "<p>Hello,</p>" in content.html


def test_names_in_emails_to_members_are_escaped():
    content = render_email(
        "already_member",
        group_name="MKCPP",
        contact=CONTACT,
        name="<script>alert(1)</script>",
        preferences_url="https://x/p",
        signup_url="https://x/s",
    )
    assert "<script>" not in content.html and "&lt;script&gt;" in content.html


def test_mime_carries_one_click_unsubscribe_headers_unfolded():
    url = "https://api.example.org/members/unsubscribe?token=" + "a" * 300
    content = render_email(
        "already_member",
        group_name="G",
        contact=CONTACT,
        name="Ann",
        preferences_url="https://x/p",
        signup_url="https://x/s",
    )
    mime = build_mime(
        OutgoingEmail("ann@example.org", content, "confirm", url), "G <no-reply@g.org>", "sec@g.org"
    )
    parsed = email.message_from_bytes(mime.as_bytes(), policy=policy.default)
    assert parsed["List-Unsubscribe"] == f"<{url}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Reply-To"] == "sec@g.org"
    assert parsed.get_body(("plain",)).get_content().startswith("Hello Ann")
    assert "<html" in parsed.get_body(("html",)).get_content()


def test_attachments_keep_their_content_type_parameters():
    content = render_email(
        "confirm",
        group_name="G",
        contact=CONTACT,
        name="Ann",
        confirm_url="https://x/c",
        hours=72,
        rejoin=False,
    )
    mail = OutgoingEmail(
        "a@example.org",
        content,
        "invite",
        None,
        (
            Attachment(
                "meeting.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
            ),
        ),
    )
    parsed = email.message_from_bytes(
        build_mime(mail, "no-reply@g.org", "s@g.org").as_bytes(), policy=policy.default
    )
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert "List-Unsubscribe" not in parsed


def test_meeting_times_read_in_uk_time_across_summer_time():
    assert meeting_when("2027-01-12T12:30:00Z", "2027-01-12T14:00:00Z", "Europe/London") == (
        "Tuesday 12 January 2027, 12:30pm to 2pm"
    )
    assert meeting_when("2027-06-15T11:30:00Z", None, "Europe/London") == "Tuesday 15 June 2027, 12:30pm"


def test_signup_page_is_accessible_html():
    html = render_page(
        "signup",
        group_name="G",
        base_url="",
        contact=CONTACT,
        title="Join",
        action="/members",
        values={"name": "Ann"},
        errors={"email": "Enter an email address"},
        roles=[("patient", "Patient")],
        working_groups=[],
        privacy_notice_version="2026-11",
        privacy_url="/members/privacy",
    )
    assert '<html lang="en-GB">' in html
    assert 'name="viewport"' in html
    assert '<label for="email">' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="email-hint email-error"' in html
    assert '<a href="#email">Enter an email address</a>' in html
    assert "<script" not in html
    assert 'value="Ann"' in html
