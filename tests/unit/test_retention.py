"""The privacy notice's retention table says what the code enforces, and the README says the same.

`shared.privacy.retention` is the one source: the notice renders it, `make readme` writes it into
the README. The figures enforced in infra/ (backups, queues, the firewall's logs) are checked
against the synthesized template in tests/infra/test_retention.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from infra.readme import README, section, with_section
from shared.audit import RETENTION as AUDIT_RETENTION
from shared.email.render import render_page
from shared.email.suppression import SOFT_BOUNCE_WINDOW
from shared.members import links
from shared.members.service import PENDING_LIFETIME
from shared.privacy.retention import BACKUP_DAYS, TRACE_DAYS, after_erasure, link_lifetimes, retention, span
from tests.support.env import declared_holders
from tests.unit.rendering import BASE, CONFIG, PRIVACY


def test_the_readme_table_is_the_notice_table():
    # Given the committed README, and the tables generated from the one source
    readme = README.read_text()
    # Then the README holds them exactly (run `make readme` after changing a figure)
    assert section(CONFIG) in readme, "README.md's retention tables are stale: run `make readme`"
    assert with_section(readme, CONFIG) == readme


@pytest.mark.parametrize(
    ("duration", "said"),
    [
        (timedelta(minutes=10), "10 minutes"),
        (timedelta(hours=24), "24 hours"),
        (timedelta(hours=72), "72 hours"),
        (timedelta(days=7), "7 days"),
        (timedelta(days=365), "1 year"),
        (timedelta(days=730), "2 years"),
        (timedelta(days=90), "90 days"),
    ],
)
def test_durations_read_as_people_say_them(duration, said):
    assert span(duration) == said


def notice() -> str:
    return render_page("privacy", **BASE, **PRIVACY)


def kept(what_starts: str) -> str:
    rows = retention(
        log_retention_days=CONFIG.log_retention_days,
        unsubscribe_grace_days=CONFIG.unsubscribe_grace_days,
        holders=declared_holders(),
    )
    (row,) = [r for r in rows if r.what.startswith(what_starts)]
    return row.kept


def test_every_figure_is_the_one_the_code_enforces():
    # the TTLs the code writes
    assert timedelta(days=7) == PENDING_LIFETIME and kept("Your sign-up") == "7 days"
    assert (
        timedelta(days=730) == AUDIT_RETENTION
        and kept("A record of what was done with your details") == "2 years"
    )
    assert timedelta(days=30) == SOFT_BOUNCE_WINDOW and kept("A count of emails").startswith("30 days")
    # the deployment's configuration
    assert kept("System logs") == f"{CONFIG.log_retention_days} days" == "90 days"
    assert (
        kept("Your details after you unsubscribe")
        == f"{CONFIG.unsubscribe_grace_days} days after you unsubscribe"
    )
    assert kept("Backups") == f"{BACKUP_DAYS} days" == "35 days"
    # the links' lifetimes
    lives = {life.what: life.works_for for life in link_lifetimes(declared_holders())}
    assert lives["The link to get a copy of your details"] == span(links.EXPORT.lifetime) == "24 hours"
    assert lives["The link to delete your details"] == span(links.ERASE.lifetime)
    assert lives["The link to confirm that you want to join"] == span(links.CONFIRM.lifetime)


def test_the_notice_shows_every_row_with_its_figure():
    html = notice()
    for row in retention(log_retention_days=90, unsubscribe_grace_days=30, holders=declared_holders()):
        assert f"<td>{row.what}</td><td>{row.kept}</td>" in html.replace("&#39;", "'")
    for life in link_lifetimes(declared_holders()):
        assert f"<td>{life.what}</td><td>{life.works_for}</td>" in html


def test_the_notice_answers_the_article_13_checklist():
    # Given the notice as a member reads it
    html = notice()
    # Then it names the controller and how to reach them, from the deployment's configuration
    assert CONFIG.controller_name in html and CONFIG.postal_address in html
    assert CONFIG.contact_email in html and CONFIG.contact_phone in html
    # the lawful bases, for each purpose, and the Article 9 condition for health data
    assert "Article 6(1)(a)" in html and "Article 6(1)(f)" in html and "Article 9(2)(a)" in html
    # who processes the data, and where it is held
    assert "Amazon Web Services (AWS)" in html and "processor" in html
    assert "London" in html and "eu-west-2" in html and "USA" in html
    # every right, and the ICO
    for right in (
        "To see what we keep about you",
        "To have it put right",
        "To have it deleted",
        "To have us stop using it for a while",
        "To say no to how we use it",
        "To take it with you",
        "To take back your consent",
    ):
        assert right in html
    assert "Information Commissioner" in html and "ico.org.uk" in html and "0303 123 1113" in html
    # and never a promise the system cannot keep
    assert "never share" not in html


def test_the_notice_says_amazon_keeps_a_blocked_address_until_we_lift_the_block_or_delete_you():
    # Given the notice, and that SES's own suppression list holds the plain address (our configuration
    # set suppresses bounces and complaints), while our own list holds only a keyed code of it
    html = notice()
    # Then it says so plainly, and when the address comes off Amazon's list
    assert "While we do, Amazon's email service keeps your email address on its block list." in html
    assert "It is taken off when we lift the block, or when we delete your details." in html
    assert kept("Your email address, on the block list of Amazon's email service") == (
        "Until we lift the block or delete your details; if you never confirmed your sign-up, "
        "until our nightly check after it expires"
    )
    assert (
        "we delete it after 7 days, and our nightly check then takes your address off Amazon's list" in html
    )


def test_the_notice_says_exactly_what_is_kept_of_a_patient_or_carer():
    # Given the notice: withdrawing health consent keeps the record of agreeing and taking it back;
    # removing the profile (after unsubscribing) deletes that record and keeps the contact consent
    html = notice()
    # Then it does not claim that nothing is kept after a withdrawal, and says who sees what is kept
    assert "We do keep a record of when you agreed, and when you took it back." in html
    assert "It is not in the list of members that our admins can download." in html
    assert "We also delete it when we remove your details after you unsubscribe." in html
    # And the row for what stays after a profile is removed names nothing about health
    (row,) = [
        r
        for r in retention(log_retention_days=90, unsubscribe_grace_days=30, holders=declared_holders())
        if r.what.startswith("After we remove your details")
    ]
    assert "Nothing that says you are a patient or carer" in row.what
    assert row.kept == "1 year after you unsubscribe"


def test_the_table_says_what_becomes_of_a_member_whose_emails_bounce_or_who_complains():
    # Given the rule the bounce handler enforces (shared/members/bounces.py record_event): a complaint
    # unsubscribes; a hard bounce keeps the member, suppressed, until an administrator acts
    rows = retention(log_retention_days=90, unsubscribe_grace_days=30, holders=declared_holders())
    (unsubscribed,) = [r for r in rows if r.what.startswith("Your details after you unsubscribe")]
    (bounced,) = [r for r in rows if r.what.startswith("Your details, if our emails to you stop arriving")]
    # Then both have a row that says so, with the figures the code uses
    assert "mark one of our emails as spam" in unsubscribed.what
    assert "unsubscribe_on_complaint" in unsubscribed.enforced_by
    assert bounced.kept == "While you are a member"
    assert f"after {span(PENDING_LIFETIME)}" in bounced.why and span(PENDING_LIFETIME) == "7 days"
    assert "mark_suppressed" in bounced.enforced_by and "no TTL" in bounced.enforced_by


def purpose(html: str, heading: str) -> str:
    """The text of the notice's legal-reason bullet that starts with `heading`."""
    start = html.index(f"<li><strong>{heading}</strong>")
    return html[start : html.index("</li>", start)]


def test_every_purpose_has_its_lawful_basis_article_13_1_c():
    # Given the notice's list of purposes, each with its legal reason
    html = notice().replace("&#39;", "'")
    # Then the purposes the code has besides sending news each name theirs:
    # the profile kept through the grace period after unsubscribing (so they can rejoin as they left)
    grace = purpose(
        html, f"To keep your details for {CONFIG.unsubscribe_grace_days} days after you unsubscribe."
    )
    assert "legitimate interest in letting you rejoin easily (Article 6(1)(f))" in grace
    assert "Article 9(2)(a)" in grace  # a patient or carer role kept those days, under its consent
    # the consent evidence kept after a withdrawal or an unsubscribe (Art 7(1) accountability)
    evidence = purpose(html, "To keep a record of what you agreed to.")
    for article in ("Article 7(1)", "Article 6(1)(f)", "Article 9(2)(f)"):
        assert article in evidence, article
    assert "Article 6(1)(c)" not in evidence  # Art 7(1) is accountability, not a duty to keep it
    # members added in person without an email address, whom the Secretary phones or writes to
    offline = purpose(html, "To phone you or write to you, if you gave us no email address.")
    assert "Article 6(1)(a)" in offline
    # a member whose emails bounce, kept so that it can be put right
    bounced = purpose(html, "To put it right when our emails to you bounce.")
    assert "Article 6(1)(f)" in bounced


def test_the_notice_claims_nothing_the_system_does_not_do():
    # Given the notice as a member reads it
    html = notice().replace("&#39;", "'")
    # Then it does not say that every email links to the preferences page (the confirmation, export
    # and erasure emails do not): it says which one does, and how to get a new link
    assert "Every email we send you" not in html
    assert "Your welcome email has a link to your preferences page." in html
    assert "fill in our sign-up form again with your email address" in html
    # the right to have it put right names the preferences page, where members correct themselves
    assert "on your preferences page. If something else we keep is wrong" in purpose(
        html, "To have it put right."
    )
    # there is no Data Protection Officer, and it says whom to contact instead, from the configuration
    assert "We do not have a Data Protection Officer." in html
    assert f'contact our Secretary at <a href="mailto:{CONFIG.contact_email}">' in html
    # who sees what: only administrators (the console); other members see nothing of anyone's details
    assert "Other members cannot see them" in html
    # where data goes: CloudFront's edges, which may be outside the UK, on the way to London
    assert "That computer may be outside the UK, in Europe or North America." in html
    # and deletion is not "gone at once": what stays, and for how long, with the table's figures
    assert "gone from our system at once" not in html
    for item in after_erasure(log_retention_days=CONFIG.log_retention_days):
        assert f"<li>{item}</li>" in html
    said = " ".join(after_erasure(log_retention_days=CONFIG.log_retention_days))
    for figure in (
        span(AUDIT_RETENTION),
        f"{CONFIG.log_retention_days} days",
        f"{TRACE_DAYS} days",
        f"{BACKUP_DAYS} days",
    ):
        assert figure in said, figure


def test_the_erase_pages_say_what_stays_instead_of_everything_is_gone():
    # Given the page before and after a member deletes their details
    context = {
        "title": "Your details have been deleted",
        "action": None,
        "after_erasure": PRIVACY["after_erasure"],
    }
    before = render_page("erase", **BASE, **context, done=False)
    after = render_page("erase", **BASE, **context, done=True)
    # Then neither claims that everything is gone; both list what stays for a while, and for how long
    for page in (before, after):
        assert "deleted everything" not in page
        assert "What stays for a while" in page
        assert f"for {span(AUDIT_RETENTION)}" in page and f"for {CONFIG.log_retention_days} days" in page
