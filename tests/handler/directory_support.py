"""What the directory's handler tests share: a realistic entry, and the published site read as a
visitor reads it (local mode's gateway resolving the live version, over moto's S3)."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3

from infra.declaration import SITE

SERVICE: dict[str, Any] = {
    "name": "Macmillan Cancer Information and Support Centre",
    "description": "Information and support for anyone affected by cancer. Drop in: no appointment needed.",
    "organization": {
        "name": "Macmillan Cancer Support",
        "description": "A national charity that supports people living with cancer.",
    },
    "categories": ["information-and-advice"],
    "needs": ["someone-to-talk-to", "information-about-cancer"],
    "locations": [
        {
            "name": "Milton Keynes University Hospital",
            "address": "Standing Way, Eaglestone",
            "postcode": "MK6 5LD",
            "accessibility": "Step-free from the main entrance; hearing loop at the desk.",
        }
    ],
    "contacts": [
        {"phone": "01908 996010", "email": "info@example.org", "website": "https://www.example.org/mk"}
    ],
    "schedules": [{"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}],
    "status": "active",
}


def service(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SERVICE)
    data.update(changes)
    return data


def group(name: str, category: str = "support-groups", town: str = "Milton Keynes") -> dict[str, Any]:
    return service(
        name=name,
        organization={"name": f"{name} Trust", "description": "A local charity."},
        categories=[category],
        needs=["someone-to-talk-to"],
        locations=[{"address": "1 High Street", "town": town, "postcode": "MK40 1AA"}],
        contacts=[{"phone": "01908 000000"}],
    )


class PublishedSite:
    """GET /site/... as local mode serves it (the same resolution as the CloudFront Function)."""

    def __init__(self) -> None:
        from infra.local.gateway import Site

        self._site = Site(boto3.client("s3", region_name="eu-west-2"))

    def get(self, path: str) -> tuple[int, bytes]:
        response = self._site.serve("GET", f"/site/directory/{path}")
        return response.status, response.body

    def text(self, path: str) -> str:
        status, body = self.get(path)
        assert status == 200, (path, status)
        return body.decode()

    def json(self, path: str) -> Any:
        return json.loads(self.text(path))


def site_puts(calls: list[Any]) -> list[str]:
    """The site's files a set of recorded calls wrote (not the routes, not manifests)."""
    return [
        c.params["Key"]
        for c in calls
        if c.service == "s3"
        and c.operation == "PutObject"
        and c.params["Bucket"] == SITE.local_name
        and "/v/" in c.params["Key"]
        and not c.params["Key"].endswith("manifest.json")
    ]
