"""The administrators' web console (functions/console/...): its function, with its routes on the API.
Its sign-in (Cognito's managed login domain and the console's app client) is on the user pool, in
`infra.constructs.api.ApiConstruct.add_console_sign_in`."""

from __future__ import annotations

from infra.constructs.capability import CapabilityConstruct


class ConsoleConstruct(CapabilityConstruct):
    capability = "console"
