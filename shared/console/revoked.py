"""Sessions ended by signing out.

The session cookie holds the access token Cognito issued, which stays valid until it expires (an
hour). Signing out writes the session's opaque id (a hash of the token's `jti`, never the token) to
the `console_sessions` table, with a TTL at the token's expiry, and every console request looks it
up (one GetItem): a cookie copied before sign-out is refused afterwards.
"""

from typing import Any

from shared.dynamo import to_item
from shared.dynamo import value as v


class SignedOutSessions:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def end(self, session: str, expires: int) -> None:
        self._db.put_item(TableName=self._table, Item=to_item({"id": session, "expires_at": expires}))

    def ended(self, session: str) -> bool:
        found = self._db.get_item(TableName=self._table, Key={"id": v(session)}, ConsistentRead=True)
        return "Item" in found
