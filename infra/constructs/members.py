"""Member sign-up (double opt-in, confirmation, preferences, unsubscribe) and the admins' member list."""

from __future__ import annotations

from infra.constructs.capability import CapabilityConstruct


class MembersConstruct(CapabilityConstruct):
    capability = "members"
