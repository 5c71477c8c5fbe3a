"""Suggested redactions and safeguarding screening (issue 18), measured on texts with planted
identifiers: the share caught is printed, and must stay at or above the floor."""

from __future__ import annotations

import pytest

from shared.feedback.redaction import find, suggest
from shared.feedback.screening import matches

# (text, the identifiers planted in it)
PLANTED: list[tuple[str, list[str]]] = [
    (
        "My husband John Smith was seen by Dr Patel on 12 March 2026. Ring me on 07700 900123.",
        ["John Smith", "Patel", "12 March 2026", "07700 900123"],
    ),
    (
        "Nurse Julie on the chemo unit was lovely, please thank her. Email me at ann.jones@example.org",
        ["Julie", "ann.jones@example.org"],
    ),
    (
        "The receptionist Karen was rude to my mum on Tuesday 3rd. We live at 12 Oak Tree Road, MK6 5LD.",
        ["Karen", "Tuesday 3rd", "12 Oak Tree Road", "MK6 5LD"],
    ),
    ("My NHS number is 943 476 5919 and my hospital number is K1234567.", ["943 476 5919", "K1234567"]),
    (
        "Consultant Mr O'Brien explained everything on 04/11/2026. Call the ward on 01908 660033.",
        ["O'Brien", "04/11/2026", "01908 660033"],
    ),
    (
        "Sister Agnes and the porter Dave helped my wife Margaret into the car park.",
        ["Agnes", "Dave", "Margaret"],
    ),
    (
        "My name is Peter Walsh and I waited 4 hours. +44 7700 900456 is my mobile.",
        ["Peter Walsh", "+44 7700 900456"],
    ),
    (
        "On 5th January the pharmacist Priya gave my dad the wrong tablets. Regards, Susan",
        ["5th January", "Priya", "Susan"],
    ),
    (
        "Dr. Okonkwo phoned on January 7, 2026 from (01908) 996 010.",
        ["Okonkwo", "January 7, 2026", "(01908) 996 010"],
    ),
    ("The physio Tom Hughes at the MK6 5LD site was brilliant.", ["Tom Hughes", "MK6 5LD"]),
    (
        "Write to me: bob_smith+nhs@mail.example.co.uk, or ring 0800 123 4567.",
        ["bob_smith+nhs@mail.example.co.uk", "0800 123 4567"],
    ),
    ("Prof Singh saw my son Alex on 2 Feb.", ["Singh", "Alex", "2 Feb"]),
    ("The chaplain, called Andrew, sat with us all night on 21.12.25.", ["Andrew", "21.12.25"]),
    ("My daughter Chloe-Anne asked the nurse called Bea for water.", ["Chloe-Anne", "Bea"]),
    # harder: names with no title, role or relative beside them, and a name typed in lower case
    ("Then Sarah came in and explained the scan results properly.", ["Sarah"]),
    ("Ask for jane on reception, she knows my case.", ["jane"]),
    ("Mrs Begum and I shared a bay from Monday to Friday last week.", ["Begum"]),
    ("Our GP Dr Ahmed at Whaddon surgery referred us in October 2025.", ["Ahmed", "October 2025"]),
]
FLOOR = 0.9  # the share of planted identifiers the suggestion must catch


def caught_share() -> tuple[float, list[str]]:
    missed = []
    total = 0
    for text, identifiers in PLANTED:
        suggested, _ = suggest(text)
        for identifier in identifiers:
            total += 1
            if identifier in suggested:
                missed.append(identifier)
    return (total - len(missed)) / total, missed


def test_the_suggested_redactions_catch_the_planted_identifiers():
    share, missed = caught_share()
    print(
        f"\nsuggested redactions caught {share:.1%} of {sum(len(i) for _, i in PLANTED)} planted "
        f"identifiers; missed: {missed}"
    )
    assert share >= FLOOR, missed


def test_redactions_leave_ordinary_words_alone():
    text = "The Oncology Ward was clean. The nurse was kind and the Day Unit ran on time. Thank you."
    assert suggest(text) == (text, [])
    assert [f.kind for f in find("Nurse Station 3 was busy")] == []


def test_a_suggestion_names_what_it_took_out():
    suggested, found = suggest("Dr Patel rang 07700 900123 on 3 March.")
    assert suggested == "Dr [staff name] rang [phone number] on [date]."
    assert [f.kind for f in found] == ["staff_name", "phone", "date"]


PHRASES = ["kill myself", "end my life", "self-harm", "abuse", "hit me", "chest pain", "can't breathe"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Some days I want to END MY LIFE.", ["end my life"]),
        ("I have been self harming", []),  # not the listed phrase: screening is an aid, not a judge
        ("Thinking about self harm again", ["self-harm"]),
        ("He hit me when I got home", ["hit me"]),
        ("the white meat was cold", []),
        ("I can\u2019t breathe when I lie down", ["can't breathe"]),
        ("Domestic abuse services", ["abuse"]),
        ("Abusers", []),
    ],
)
def test_screening_finds_whole_phrases_whatever_their_case_or_apostrophes(text, expected):
    assert matches(text, PHRASES) == expected
