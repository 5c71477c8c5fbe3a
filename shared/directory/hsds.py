"""A stored service as Open Referral HSDS 3.0 JSON: the open data the site publishes
(`services.json`, `services/<id>.json`, and `index.json` which says version, profile and counts).

It is HSDS-shaped open data: it validates against the official HSDS 3.0 schemas (vendored with
their licence in `tests/support/hsds/`), with this directory's two taxonomies (category, need) as
taxonomy terms. Closures, which HSDS has no field for (openreferral/specification#440), are published
as schedules whose `notes` say "Closed" and why, valid from the first day to the last.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from functools import cache
from typing import Any

from shared.directory.models import Service
from shared.directory.taxonomy import CATEGORY_BY_SLUG, NEED_BY_SLUG, term_id

HSDS_VERSION = "3.0"
PROFILE = "https://docs.openreferral.org/en/v3.0/hsds/"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
REGION = "Buckinghamshire"
COUNTRY = "GB"
TAXONOMIES = {
    "category": ("MKCPP directory categories", "What kind of service it is."),
    "need": ("MKCPP directory needs", "What a visitor needs the service for."),
}


def uuid5(namespace: uuid.UUID, name: str) -> str:
    """`str(uuid.uuid5(namespace, name))`, without building a `UUID` (a service's JSON names two dozen
    of them, so a publication of 5,000 makes over 100,000)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _id(service: Service, *parts: object) -> str:
    return uuid5(service.id, "/".join(str(p) for p in parts))


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: val for k, val in data.items() if val is not None}


@cache
def _term(kind: str, slug: str) -> dict[str, Any]:
    """The same for every service that has the term: made once (nothing changes what it returns)."""
    term = (CATEGORY_BY_SLUG if kind == "category" else NEED_BY_SLUG)[slug]
    name, description = TAXONOMIES[kind]
    taxonomy_id = str(uuid.uuid5(uuid.UUID(term_id(kind, "")), "taxonomy"))
    return {
        "id": term_id(kind, slug),
        "code": slug,
        "name": term.label,
        "description": term.description,
        "taxonomy": f"mkcpp-{kind}",
        "taxonomy_id": taxonomy_id,
        "taxonomy_detail": {"id": taxonomy_id, "name": name, "description": description},
        "language": "en",
    }


def service_json(service: Service) -> dict[str, Any]:
    sid = str(service.id)
    org = service.organization
    org_id = str(org.id)
    websites = [c.website for c in service.contacts if c.website]
    emails = [c.email for c in service.contacts if c.email]
    phones = [
        _clean({"id": _id(service, "phone", i), "service_id": sid, "number": c.phone, "description": c.title})
        for i, c in enumerate(service.contacts)
        if c.phone
    ]
    contacts = [
        _clean(
            {
                "id": _id(service, "contact", i),
                "service_id": sid,
                "name": c.name,
                "title": c.title,
                "email": c.email,
                "phones": [_clean({"id": _id(service, "contact-phone", i), "number": c.phone})]
                if c.phone
                else [],
            }
        )
        for i, c in enumerate(service.contacts)
    ]
    schedules = [
        _clean(
            {
                "id": _id(service, "schedule", i),
                "service_id": sid,
                "freq": s.freq,
                "wkst": "MO",
                "byday": s.byday,
                "opens_at": s.opens_at,
                "closes_at": s.closes_at,
                "description": s.description,
                "valid_from": s.valid_from.isoformat() if s.valid_from else None,
                "valid_to": s.valid_to.isoformat() if s.valid_to else None,
                "notes": "UK time",
            }
        )
        for i, s in enumerate(service.schedules)
    ] + [
        {
            "id": _id(service, "closure", i),
            "service_id": sid,
            "valid_from": c.starts_on.isoformat(),
            "valid_to": c.ends_on.isoformat(),
            "description": f"Closed: {c.reason}",
            "notes": "Closed",
        }
        for i, c in enumerate(service.closures)
    ]
    at_locations = []
    for i, loc in enumerate(service.locations):
        loc_id = str(loc.id) if loc.id else _id(service, "location", i)
        location = _clean(
            {
                "id": loc_id,
                "location_type": loc.location_type,
                "organization_id": org_id,
                "name": loc.name,
                "transportation": loc.transportation,
                "url": loc.url,
                "addresses": [
                    {
                        "id": _id(service, "address", i),
                        "location_id": loc_id,
                        "address_1": loc.address,
                        "city": loc.town,
                        "state_province": REGION,
                        "postal_code": loc.postcode,
                        "country": COUNTRY,
                        "address_type": "physical",
                    }
                ]
                if loc.location_type == "physical"
                else [],
                "accessibility": [
                    {
                        "id": _id(service, "accessibility", i),
                        "location_id": loc_id,
                        "description": loc.accessibility,
                    }
                ]
                if loc.accessibility
                else [],
            }
        )
        at_locations.append(
            {
                "id": _id(service, "service-at-location", i),
                "service_id": sid,
                "location_id": loc_id,
                "location": location,
            }
        )
    attributes = [
        {
            "id": _id(service, kind, slug),
            "link_id": sid,
            "link_type": kind,
            "link_entity": "service",
            "taxonomy_term_id": _term(kind, slug)["id"],
            "taxonomy_term": _term(kind, slug),
        }
        for kind, slugs in (("category", service.categories), ("need", service.needs))
        for slug in slugs
    ]
    return _clean(
        {
            "id": sid,
            "organization_id": org_id,
            "name": service.name,
            "alternate_name": service.alternate_name,
            "description": service.description,
            "url": websites[0] if websites else None,
            "email": emails[0] if emails else None,
            "status": service.status.value,
            "alert": service.alert,
            "eligibility_description": service.eligibility_description,
            "minimum_age": service.minimum_age,
            "maximum_age": service.maximum_age,
            "fees_description": service.fees_description,
            "application_process": service.application_process,
            "assured_date": service.last_reviewed.isoformat(),
            "last_modified": service.updated_at,
            "organization": _clean(
                {
                    "id": org_id,
                    "name": org.name,
                    "description": org.description,
                    "website": org.website,
                    "email": org.email,
                    "phones": [
                        {
                            "id": _id(service, "organization-phone"),
                            "organization_id": org_id,
                            "number": org.phone,
                        }
                    ]
                    if org.phone
                    else [],
                }
            ),
            "phones": phones,
            "contacts": contacts,
            "schedules": schedules,
            "service_at_locations": at_locations,
            "cost_options": [
                {
                    "id": _id(service, "cost"),
                    "service_id": sid,
                    "option": "Free",
                    "amount": 0,
                    "currency": "GBP",
                }
            ]
            if service.free
            else [],
            "attributes": attributes,
        }
    )


def feed(services: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole directory as one HSDS page (the shape of the HSDS API's `/services`)."""
    return {
        "total_items": len(services),
        "total_pages": 1,
        "page_number": 1,
        "size": len(services),
        "first_page": True,
        "last_page": True,
        "empty": not services,
        "contents": services,
    }


def index(
    services: list[dict[str, Any]], edition: date, site_url: str, licence_name: str, licence_url: str
) -> dict[str, Any]:
    """The open data's index: the API root's `version`, `profile` and `openapi_url`, then this
    edition, where the data is, how much of it, and the licence it may be reused under."""
    organizations = {s["organization_id"] for s in services}
    locations = {a["location_id"] for s in services for a in s.get("service_at_locations", [])}
    terms = {a["taxonomy_term_id"] for s in services for a in s.get("attributes", [])}
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE,
        "openapi_url": OPENAPI_URL,
        "edition": edition.isoformat(),
        "services_url": f"{site_url}services.json",
        "service_url_template": f"{site_url}services/{{id}}.json",
        "license": {"name": licence_name, "url": licence_url},
        "counts": {
            "services": len(services),
            "organizations": len(organizations),
            "locations": len(locations),
            "taxonomy_terms": len(terms),
        },
    }
