"""Sessions ended by signing out, and the administrators' names (both in `console_sessions`).

The session cookie holds the access token Cognito issued, which stays valid until it expires (an
hour). Signing out writes the session's opaque id (a hash of the token's `jti`, never the token) to
the `console_sessions` table, with a TTL at the token's expiry, and every console request looks it
up (one GetItem): a cookie copied before sign-out is refused afterwards.

Each sign-in also writes the administrator's name, from the ID token the pool issued with the access
token, as the item `administrator#<account id>`, kept as long as the audit entries it explains. So
every capability's console page can say who did something with one GetItem per administrator it
names, and no console function but the administrators' own holds a Cognito permission.
"""

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from shared.audit import RETENTION as AUDIT_RETENTION
from shared.clock import epoch
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


class AdministratorNames(Mapping[str, str]):
    """Each administrator's account id -> their name, read the first time a page names them (`who`
    in the console's macros), and not at all on pages that name no one."""

    PREFIX = "administrator#"

    def __init__(self, client: Any, table: str | None) -> None:
        self._db = client
        self._table = table
        self._known: dict[str, str | None] = {}

    def remember(self, sub: str, name: str, now: datetime) -> None:
        if self._table:
            item = {"id": self.PREFIX + sub, "name": name, "expires_at": epoch(now + AUDIT_RETENTION)}
            self._db.put_item(TableName=self._table, Item=to_item(item))

    def __getitem__(self, sub: str) -> str:
        if sub not in self._known:
            found = (
                self._db.get_item(TableName=self._table, Key={"id": v(self.PREFIX + sub)}).get("Item")
                if self._table and 0 < len(sub) <= 128
                else None
            )
            self._known[sub] = str(found["name"]["S"]) if found and "name" in found else None
        name = self._known[sub]
        if name is None:
            raise KeyError(sub)
        return name

    def __iter__(self) -> Iterator[str]:
        return (sub for sub, name in self._known.items() if name is not None)

    def __len__(self) -> int:
        return sum(1 for name in self._known.values() if name is not None)
