"""The directory's two vocabularies: what kind of service it is (categories, by which the directory
and its print edition are grouped) and what a visitor needs (how the site lets people find it).
Published in the HSDS feed as taxonomy terms of two taxonomies; their ids never change."""

from __future__ import annotations

import uuid
from typing import NamedTuple

TAXONOMY_NAMESPACE = uuid.UUID("6b1f7c0e-2a8d-4f55-9c1e-8d3f0a5b7e21")


class Term(NamedTuple):
    slug: str
    label: str
    description: str


CATEGORIES: tuple[Term, ...] = (
    Term(
        "information-and-advice",
        "Information and advice",
        "Information about cancer, treatment and living with it.",
    ),
    Term(
        "support-groups",
        "Support groups",
        "Groups where people with cancer, and those close to them, meet and support each other.",
    ),
    Term(
        "counselling-and-emotional-support",
        "Counselling and emotional support",
        "Someone trained to listen and help with worries and feelings.",
    ),
    Term(
        "hospice-and-palliative-care",
        "Hospice and end-of-life care",
        "Care and support for people who are very ill, and for those close to them.",
    ),
    Term(
        "money-and-benefits",
        "Money, benefits and grants",
        "Help with money worries, benefits, grants and work.",
    ),
    Term("transport", "Getting to appointments", "Help with travel to hospital and other appointments."),
    Term(
        "wellbeing-and-therapies",
        "Wellbeing and complementary therapies",
        "Relaxation, massage, and other ways to feel better in yourself.",
    ),
    Term(
        "exercise-and-activity",
        "Exercise and activity",
        "Gentle exercise and activities suitable during and after treatment.",
    ),
    Term(
        "appearance-and-confidence",
        "Appearance and confidence",
        "Help with changes to how you look, such as hair loss and skin care.",
    ),
    Term("practical-help", "Practical help at home", "Help with everyday tasks, equipment and care at home."),
    Term("carers", "For carers", "Support for people who look after someone with cancer."),
    Term(
        "children-and-families",
        "For children and families",
        "Support for children, young people and families.",
    ),
    Term("bereavement", "Bereavement support", "Support for people who have lost someone."),
    Term("health-services", "Hospital and NHS services", "NHS and hospital services for people with cancer."),
)

NEEDS: tuple[Term, ...] = (
    Term("someone-to-talk-to", "Someone to talk to", "A person to talk to about how you feel."),
    Term(
        "information-about-cancer",
        "Information about my cancer",
        "Clear information about cancer and its treatment.",
    ),
    Term("help-with-money", "Help with money", "Help with bills, benefits, grants or work."),
    Term("help-getting-there", "Help getting to appointments", "Transport, parking and travel help."),
    Term("help-at-home", "Help at home", "Practical help, equipment or care at home."),
    Term(
        "feeling-better-in-myself",
        "Feeling better in myself",
        "Wellbeing, activity, confidence and relaxation.",
    ),
    Term("support-for-family", "Support for my family or carer", "Help for the people close to you."),
    Term("care-at-end-of-life", "Care at the end of life", "Hospice and palliative care."),
    Term("after-a-death", "Support after a death", "Bereavement support."),
)

CATEGORY_SLUGS = frozenset(term.slug for term in CATEGORIES)
NEED_SLUGS = frozenset(term.slug for term in NEEDS)
CATEGORY_BY_SLUG = {term.slug: term for term in CATEGORIES}
NEED_BY_SLUG = {term.slug: term for term in NEEDS}


def term_id(taxonomy: str, slug: str) -> str:
    return str(uuid.uuid5(TAXONOMY_NAMESPACE, f"{taxonomy}/{slug}"))
