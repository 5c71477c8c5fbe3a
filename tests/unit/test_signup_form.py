import pytest
from pydantic import ValidationError

from shared.forms import field_errors
from shared.members.models import SignupForm

VALID = {
    "name": "Ann Example",
    "email": "Ann.Example@Example.ORG",
    "role": "carer",
    "consent_contact": True,
    "consent_health_data": True,
    "privacy_notice_version": "2026-11",
}


def errors_for(data):
    with pytest.raises(ValidationError) as caught:
        SignupForm.model_validate(data)
    return field_errors(SignupForm, caught.value)


def test_a_valid_form_normalises_the_address():
    form = SignupForm.model_validate(VALID)
    assert form.email == "ann.example@example.org"
    assert not form.is_bot


def test_a_browser_form_post_reads_like_json():
    # Given what Powertools hands over for a form post: lists, "on" checkboxes, empty boxes
    form = SignupForm.model_validate(
        {
            "name": ["Ann Example"],
            "email": ["ann@example.org"],
            "phone": [""],
            "role": ["observer"],
            "organisation": [""],
            "working_groups": ["research", "journal"],
            "consent_contact": ["on"],
            "privacy_notice_version": ["2026-11"],
            "website": [""],
        }
    )
    assert form.phone is None and form.organisation is None
    assert form.working_groups == ["journal", "research"]
    assert form.consent_contact is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "ann@"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"role": "doctor"}, "role"),
        ({"organisation": "x" * 121}, "organisation"),
        ({"working_groups": ["Not A Slug!"]}, "working_groups"),
        ({"consent_contact": False}, "consent_contact"),
        ({"privacy_notice_version": ""}, "privacy_notice_version"),
    ],
)
def test_each_bad_field_is_named(change, field):
    errors = errors_for({**VALID, **change})
    assert list(errors) == [field]
    assert errors[field]


def test_a_patient_or_carer_role_needs_its_own_explicit_consent():
    errors = errors_for({**VALID, "role": "patient", "consent_health_data": False})
    assert list(errors) == ["consent_health_data"]


def test_other_roles_do_not_need_health_consent():
    form = SignupForm.model_validate({**VALID, "role": "health_professional", "consent_health_data": False})
    assert form.role == "health_professional"


def test_missing_fields_are_all_named_in_form_order():
    errors = errors_for({})
    assert list(errors) == ["name", "email", "role", "consent_contact", "privacy_notice_version"]


def test_a_filled_honeypot_marks_a_bot():
    assert SignupForm.model_validate({**VALID, "website": "http://spam.example"}).is_bot
