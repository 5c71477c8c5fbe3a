"""Email addresses as every capability accepts them: only what SES can deliver to.

`normalise_email` is the one check, for a sign-up, an administrator's form, the admin API, a search
and, next, the feedback form's contact address: whatever the form, one mailbox has one stored form,
and so one lookup id (`shared.keys`), however it was typed.
"""

from pydantic_core import PydanticCustomError

from shared.forms import OWN_WORDS

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.org"
# what a part before the @ in other letters (accents, full-width `ａｎｎ`) is told: SES cannot send to it
EMAIL_NOT_ASCII = (
    "We can only send email to an address with plain letters (a to z), numbers and signs such as dots "
    "or dashes before the @. Please use another address"
)


def normalise_email(value: str) -> str:
    """The address as stored, looked up and sent to, in the only form SES delivers to: syntax-checked
    (no DNS look-up), its part before the @ in plain ASCII, its domain in ASCII (an internationalised
    domain as punycode: `ann@exämple.org` is `ann@xn--exmple-cua.org`), lower case. One mailbox so has
    one form, and so one lookup id, however it was typed. Anything else is a ValueError whose words
    say what to do (for a part before the @ in other letters, such as full-width `ａｎｎ`, its own
    words, `OWN_WORDS`, which forms show instead of the field's message)."""
    # imported on the first address checked: its module compiles large regexes at import
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        local, at, _ = value.rpartition("@")
        if at and local and not local.isascii():
            raise PydanticCustomError(OWN_WORDS, EMAIL_NOT_ASCII) from None
        raise ValueError(EMAIL_FORMAT) from None
    assert checked.ascii_email is not None  # allow_smtputf8=False: the part before the @ is ASCII
    return checked.ascii_email.lower()
