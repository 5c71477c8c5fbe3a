"""Members: sign-up (double opt-in), what members do from email links (preferences, unsubscribe, a copy
of their data, erasure), the administrators' member and working-group management, and the consumer of
SES bounces and complaints (wired to the platform's queue by the function helper, from `ses_events`)."""

from __future__ import annotations

from infra.constructs.capability import CapabilityConstruct


class MembersConstruct(CapabilityConstruct):
    capability = "members"
