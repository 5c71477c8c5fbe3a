"""A stand-in for SES's account-level suppression list, which moto (5.2) does not implement.

moto answers `PutSuppressedDestination`, `GetSuppressedDestination`, `DeleteSuppressedDestination`
and `ListSuppressedDestinations` with NotImplementedError. The functions call the last two (erasure,
lifting a suppression, profile removal and the nightly retention run:
`shared.email.account_suppression`), so local mode and the handler tests would fail for want of
them, or worse, skip them. `install()` adds the four operations to moto's
SES v2 responses, as SES documents them: an address (case-insensitive) held with its reason,
`NotFoundException` (404) for one that is not held. The list lives on moto's SES v2 backend of
each account and region, so `mock_aws` starts every test with it empty.

`suppressed(backend)` reads what is held, for tests that assert what Amazon would still keep.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

_ATTRIBUTE = "mkcpp_suppressed_destinations"
_installed = False


def suppressed(backend: Any) -> dict[str, str]:
    """The addresses held on a moto SES v2 backend's account-level suppression list, with reasons."""
    held: dict[str, str] = backend.__dict__.setdefault(_ATTRIBUTE, {})
    return held


def install() -> None:
    """Teach moto's SES v2 the account-level suppression list (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.ses.exceptions import NotFoundException
    from moto.sesv2 import urls
    from moto.sesv2.responses import SESV2Response

    def _held(response: Any) -> dict[str, str]:
        return suppressed(response.sesv2_backend)

    def _not_held(address: str) -> Exception:
        return NotFoundException(f"Email address {address} does not exist on your suppression list.")

    def put_suppressed_destination(self: Any) -> str:
        params = json.loads(self.body)
        _held(self)[str(params["EmailAddress"]).lower()] = str(params["Reason"])
        return json.dumps({})

    def get_suppressed_destination(self: Any) -> str:
        address = str(self._get_param("EmailAddress"))
        reason = _held(self).get(address.lower())
        if reason is None:
            raise _not_held(address)
        now = datetime.now(UTC).timestamp()
        destination = {"EmailAddress": address, "Reason": reason, "LastUpdateTime": now}
        return json.dumps({"SuppressedDestination": destination})

    def list_suppressed_destinations(self: Any) -> str:
        # one page holds them all here (SES pages by 1,000 at most; callers follow NextToken)
        now = datetime.now(UTC).timestamp()
        listed = [
            {"EmailAddress": address, "Reason": reason, "LastUpdateTime": now}
            for address, reason in sorted(_held(self).items())
        ]
        return json.dumps({"SuppressedDestinationSummaries": listed})

    def delete_suppressed_destination(self: Any) -> str:
        address = str(self._get_param("EmailAddress"))
        if _held(self).pop(address.lower(), None) is None:
            raise _not_held(address)
        return json.dumps({})

    # moto's in-process mock matches its catch-all `/v2/.*` as a regular expression, but its server
    # turns each path into a Flask rule, where the catch-all matches nothing: name the paths
    urls.url_paths["{0}/v2/email/suppression/addresses$"] = SESV2Response.dispatch
    urls.url_paths["{0}/v2/email/suppression/addresses/(?P<EmailAddress>[^/]+)$"] = SESV2Response.dispatch
    SESV2Response.put_suppressed_destination = put_suppressed_destination  # type: ignore[attr-defined]
    SESV2Response.get_suppressed_destination = get_suppressed_destination  # type: ignore[attr-defined]
    SESV2Response.delete_suppressed_destination = delete_suppressed_destination  # type: ignore[attr-defined]
    SESV2Response.list_suppressed_destinations = list_suppressed_destinations  # type: ignore[attr-defined]
    _installed = True
