"""Suggested redactions: before anything is published, the console proposes taking out what could
identify someone in a person's words (phone numbers, email addresses, postcodes, NHS and hospital
numbers, dates, people's names and staff names), shown beside the original; a coordinator accepts
or edits the suggestion. A suggestion, never a guarantee: a person reads every text before it is
published.

Names are found by their company: a title (Mr, Dr, Sister), a staff role (nurse, consultant,
receptionist), a relative (my husband), or a phrase that introduces one (called, named, my name is).
"""

from __future__ import annotations

import re
from typing import NamedTuple

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NAME = r"[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:[-'][A-Z]?[a-z]+)?"
_NAMES = rf"{_NAME}(?:\s+{_NAME})?"
_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Doctor|Prof|Professor|Sister|Sr|Matron|Nurse|Father|Rev|Revd)\.?"
_STAFF = (
    r"(?:nurse|sister|matron|consultant|doctor|surgeon|oncologist|registrar|radiographer|"
    r"receptionist|porter|physio|physiotherapist|pharmacist|midwife|chaplain|healthcare assistant|"
    r"HCA|specialist nurse|CNS|secretary|manager|volunteer|dietitian|social worker|paramedic|"
    r"care assistant|ward clerk|clinician|GP)"
)
_RELATIVES = (
    r"(?:husband|wife|partner|son|daughter|mum|mother|mom|dad|father|brother|sister|friend|"
    r"neighbour|grandson|granddaughter|grandad|grandma|nan|aunt|uncle|carer|fiancee?)"
)


class Finding(NamedTuple):
    start: int
    end: int
    kind: str  # phone, email, postcode, nhs_number, hospital_number, date, name, staff_name
    text: str


LABELS = {
    "phone": "[phone number]",
    "email": "[email address]",
    "postcode": "[postcode]",
    "nhs_number": "[NHS number]",
    "hospital_number": "[hospital number]",
    "date": "[date]",
    "name": "[name]",
    "staff_name": "[staff name]",
    "address": "[address]",
}
KIND_WORDS = {
    "phone": "phone numbers",
    "email": "email addresses",
    "postcode": "postcodes",
    "nhs_number": "NHS numbers",
    "hospital_number": "hospital numbers",
    "date": "dates",
    "name": "names",
    "staff_name": "staff names",
    "address": "addresses",
}

# (kind, pattern, group): the group of the match that is the identifier (0: all of it)
_PATTERNS: list[tuple[str, re.Pattern[str], int]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), 0),
    ("nhs_number", re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"), 0),
    (
        "phone",
        re.compile(r"(?:(?<![\w+])\+44\s?\(?0?\)?\s?|(?<![\w+])\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}\b"),
        0,
    ),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE), 0),
    ("hospital_number", re.compile(r"\b[A-Z]{1,2}\d{5,8}\b"), 0),
    (
        "address",
        re.compile(
            r"\b\d{1,4}[a-z]?\s+(?:[A-Z][a-z]+\s){1,3}"
            r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Close|Drive|Way|Crescent|Court|Gardens|Place|Grove|Walk)\b"
        ),
        0,
    ),
    (
        "date",
        re.compile(
            rf"\b(?:(?:{_DAYS}),?\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTHS})\b(?:,?\s+\d{{4}})?"
            rf"|\b(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
            rf"|\b(?:{_MONTHS})\s+\d{{4}}\b"
            r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
            rf"|\b(?:{_DAYS})\s+\d{{1,2}}(?:st|nd|rd|th)\b"
        ),
        0,
    ),
    ("staff_name", re.compile(rf"\b(?:{_TITLES})\s+({_NAMES})"), 1),
    ("staff_name", re.compile(rf"(?i:\b{_STAFF})\s+(?:called\s+|named\s+)?({_NAMES})"), 1),
    ("name", re.compile(rf"(?i:\bmy\s+{_RELATIVES})\s*,?\s+({_NAMES})"), 1),
    (
        "name",
        re.compile(rf"(?i:\b(?:my name is|i am called|i'm called|called|named|name's|this is))\s+({_NAMES})"),
        1,
    ),
    ("name", re.compile(rf"(?i:\b(?:signed|from|regards|thanks|love),?)\s*\n?\s*({_NAME})\s*$"), 1),
]

# capitalised words after a role that are not names ("the nurse Was kind" is rare; "Nurse Station" is not)
_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "And",
        "But",
        "Or",
        "So",
        "Then",
        "When",
        "Was",
        "Were",
        "Is",
        "Are",
        "I",
        "We",
        "He",
        "She",
        "They",
        "It",
        "On",
        "In",
        "At",
        "For",
        "To",
        "Of",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Ward",
        "Unit",
        "Clinic",
        "Team",
        "Station",
        "Department",
        "Hospital",
        "NHS",
        "Day",
        "Centre",
        "Suite",
        "Reception",
        "Desk",
        "Please",
        "Thank",
        "Thanks",
    ]
)


def find(text: str) -> list[Finding]:
    """Every identifier found, leftmost first, overlaps resolved in favour of the longer one."""
    found: list[Finding] = []
    for kind, pattern, group in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span(group)
            piece = text[start:end]
            if kind in ("name", "staff_name"):
                words = piece.split()
                while words and words[-1] in _NOT_NAMES:
                    words.pop()
                if not words or words[0] in _NOT_NAMES:
                    continue
                piece = " ".join(words)
                end = start + len(piece)
            found.append(Finding(start, end, kind, piece))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for finding in found:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


def suggest(text: str) -> tuple[str, list[Finding]]:
    """The text with every identifier found replaced by its label, and what was found."""
    findings = find(text)
    pieces, at = [], 0
    for finding in findings:
        pieces += [text[at : finding.start], LABELS[finding.kind]]
        at = finding.end
    pieces.append(text[at:])
    return "".join(pieces), findings


def kinds_removed(findings: list[Finding]) -> list[str]:
    return sorted({KIND_WORDS[f.kind] for f in findings})
