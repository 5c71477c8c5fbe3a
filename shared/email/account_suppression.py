"""SES's account-level suppression list: Amazon's own block list of addresses it will not send to.

Our configuration set asks SES to suppress bounces and complaints, so when an address hard-bounces
or complains, SES puts *the address itself* on this list (it has no other way to key it). Our own
list (`shared.email.suppression`) is what stops our emails, keyed by a keyed hash; SES's is a
second lock that Amazon keeps. So that SES never holds an address longer than we do, we take it off
Amazon's list whenever we stop holding it or stop blocking it:

- an administrator lifts the suppression (`MemberAdmin.lift_suppression`);
- the member is erased (`MemberAdmin.erase`, `SelfService.erase`);
- an unsubscribed member's profile is removed (`shared.members.unsubscribed.remove_profile`);
- the nightly retention run finds an address on it that we blocked and no member we hold has: a sign-up that
  bounced, was never confirmed and has expired (`shared.members.unsubscribed.Retention`).

Our hashed suppression entry, when there is one, stays, so an address that complained is still
never emailed. DeleteSuppressedDestination has no resource-level permission: the functions that
call it are granted that one action on `*` (`FunctionSpec.clears_ses_suppressions`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from shared.observability import logger


class AccountSuppressionList:
    def __init__(self, client: Any) -> None:
        self._ses = client  # an SES v2 client

    def addresses(self) -> Iterator[str]:
        """Every address on the list, page by page (it is short: hard bounces and complaints)."""
        request: dict[str, Any] = {"PageSize": 1000}
        while True:
            page = self._ses.list_suppressed_destinations(**request)
            for listed in page.get("SuppressedDestinationSummaries", []):
                yield str(listed["EmailAddress"])
            if not page.get("NextToken"):
                return
            request["NextToken"] = page["NextToken"]

    def remove(self, address: str | None) -> bool:
        """Take `address` off SES's account-level suppression list. Returns False when it was not on
        it (or there is no address). Any other SES error is raised: callers make this call *before*
        they forget the address, so a failure leaves everything as it was, to be tried again."""
        if not address:
            return False
        try:
            self._ses.delete_suppressed_destination(EmailAddress=address)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                return False
            raise
        logger.info("address taken off SES's account-level suppression list")
        return True
