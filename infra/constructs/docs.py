"""The OpenAPI document of the whole API, served at `GET /openapi.json`."""

from __future__ import annotations

from infra.constructs.capability import CapabilityConstruct


class DocsConstruct(CapabilityConstruct):
    capability = "docs"
