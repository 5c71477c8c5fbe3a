"""Working groups: small, autonomous groups that meet in various places and report to the plenary.

Groups live in the members table under one partition (`GROUPS` / `GROUP#<id>`), so listing them is
one query. Who belongs to a group is kept on the member's profile (`working_groups`) and, for active
members, as membership items (`MEMBER#<id>` / `GROUP#<gid>`) that the `by_group` index lists — so a
group's members are found without a scan, and erasing a member's partition removes them from every
group. Each group's name is held by a claim item (`GROUPNAME#<hash>` / `CLAIM`), written in the same
transaction as the group, so no two groups can share a name.
"""

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, StringConstraints, ValidationError

from shared.clock import iso
from shared.dynamo import (
    WriteConflict,
    failed_conditions,
    from_item,
    query_all,
    retries,
    to_item,
    version_condition,
)
from shared.dynamo import value as v
from shared.errors import Conflict, DamagedRecord, DomainError, NotFound
from shared.forms import FormModel, PatchModel
from shared.model import Model
from shared.observability import damaged_record
from shared.text import Paragraphs, SingleLine

GROUP_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,59}$"
GroupId = Annotated[str, StringConstraints(pattern=GROUP_ID_PATTERN)]

PARTITION = "GROUPS"
_SLUG = re.compile(r"[^a-z0-9]+")


class GroupStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def _visible(name: str) -> str:
    # a letter, digit, punctuation or symbol: a name of marks, fillers or blanks alone shows nothing
    if not any(unicodedata.category(char)[0] in "LNPS" for char in _reading(name)):
        raise ValueError("must have a letter, digit or sign you can see")
    return name


# A name typed in: it must show something (a name of invisible characters alone reads as blank on
# the sign-up form). Stored groups keep plain `SingleLine`, so one made earlier still loads.
GroupName = Annotated[SingleLine, AfterValidator(_visible)]


class WorkingGroup(Model):
    """A working group as stored: every write validates it again, so it always renders."""

    id: GroupId
    name: SingleLine = Field(min_length=1, max_length=80)
    purpose: Paragraphs = Field(min_length=1, max_length=500)
    meeting_place: SingleLine | None = Field(None, max_length=200)
    lead_contact: SingleLine | None = Field(None, max_length=200)
    # the member who leads it (an opaque id: their name is read from their record, so erasing
    # them leaves nothing of theirs here; erasure and removal from the group clear it)
    lead_member_id: str | None = Field(None, pattern=r"^[0-9a-f-]{36}$")
    status: GroupStatus = GroupStatus.OPEN
    # its meetings are in the public list and feed; otherwise only its members' private feeds show them
    public: bool = False
    created_at: str
    updated_at: str
    version: int = 0


class GroupInput(FormModel):
    """`POST /admin/groups`."""

    name: GroupName = Field(min_length=1, max_length=80)
    purpose: Paragraphs = Field(min_length=1, max_length=500)
    meeting_place: SingleLine | None = Field(None, max_length=200)
    lead_contact: SingleLine | None = Field(
        None, max_length=200, description="Who leads it and how to reach them"
    )
    id: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9-]{0,59}$", description="Defaults to one made from the name"
    )
    public: bool = Field(False, description="List its meetings publicly")

    messages: ClassVar[dict[str, str]] = {
        "name": "Enter the group's name on one line, in 80 characters or fewer",
        "name.empty": "Give the group a name",
        "purpose.empty": "Say what the group is for",
        "purpose": "Say what the group is for, in 500 characters or fewer, without control characters",
        "meeting_place": "Enter where it meets on one line, in 200 characters or fewer",
        "lead_contact": "Enter the lead contact on one line, in 200 characters or fewer",
        "id": "Use lower-case letters, digits and hyphens only",
    }

    def slug(self) -> str:
        if self.id:
            return self.id
        # a name with no Latin letters or digits still gets an id of its own, the same for the
        # same name (one shared fallback id would refuse every such group after the first)
        readable = _SLUG.sub("-", self.name.lower()).strip("-")[:60]
        return readable or "group-" + hashlib.sha256(self.name.casefold().encode()).hexdigest()[:10]


class GroupPatch(PatchModel):
    """`PATCH /admin/groups/{id}`: only the fields given change; `""` clears the meeting place or
    the lead contact; null, a blank name or purpose, and unknown fields are refused."""

    name: GroupName | None = Field(None, min_length=1, max_length=80)
    purpose: Paragraphs | None = Field(None, min_length=1, max_length=500)
    meeting_place: SingleLine | None = Field(None, max_length=200)
    lead_contact: SingleLine | None = Field(None, max_length=200)
    public: bool | None = Field(None, description="List its meetings publicly")

    clearable: ClassVar[frozenset[str]] = frozenset({"meeting_place", "lead_contact"})
    messages: ClassVar[dict[str, str]] = {
        **GroupInput.messages,
        "id": "A group's id cannot change: create a new group and close this one",
        "status": "Close a group with its close action; a closed group cannot be reopened by editing",
    }


class UnknownGroups(DomainError):
    """Some chosen working groups do not exist or are closed."""

    message = "Unknown working group."

    def __init__(self, groups: list[str]) -> None:
        super().__init__(
            ", ".join(groups),
            fields={
                "working_groups": "Choose working groups from the list (not an open group: {})".format(
                    ", ".join(groups)
                )
            },
        )
        self.groups = groups


def check_groups(chosen: list[str], open_groups: list[WorkingGroup]) -> None:
    unknown = sorted(set(chosen) - {g.id for g in open_groups})
    if unknown:
        raise UnknownGroups(unknown)


class GroupExists(Conflict):
    message = "Group exists."
    fields: ClassVar[Mapping[str, str]] = {"id": "A group with this id exists; give another id"}


class GroupNameTaken(Conflict):
    """Two groups with one name would be one choice twice on the sign-up form, and one name for two
    histories on members' pages and exports."""

    message = "Another working group has this name."
    fields: ClassVar[Mapping[str, str]] = {"name": "An open group has this name; choose another name"}


def same_name(a: str, b: str) -> bool:
    """Names that read alike: case, spacing between words and compatibility forms (full-width
    letters, ligatures such as "ﬁ") do not count."""
    return _reading(a) == _reading(b)


def _reading(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(_IGNORABLE.sub("", _BLANKS.sub(" ", folded)).split())


# Letters that show as an empty space (Hangul fillers, the blank Braille pattern): read as a space,
# so "Patient\u3164Journal" reads as "patient journal".
_BLANKS = re.compile("[\u115f\u1160\u2800\u3164\uffa0]")


# Unicode's Default_Ignorable_Code_Point characters (DerivedCoreProperties.txt): they show nothing,
# so "Patient\u200dJournal" or a name ending in a Hangul filler reads like one without them. Most are
# format characters, which `SingleLine` refuses anyway; the zero-width joiner, variation selectors,
# the combining grapheme joiner and the fillers are not.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


class GroupNotFound(NotFound):
    message = "No such working group."


class GroupChanged(Conflict):
    """The group kept changing while this change was applied; try again."""

    message = "The group changed while you were editing: reload and try again."


def group_key(group_id: str) -> dict[str, Any]:
    return {"pk": v(PARTITION), "sk": v(f"GROUP#{group_id}")}


class GroupNameClaim(Model):
    """Holds a name, as it reads (`same_name`), for one group. Written in the same transaction as
    the group it names, so two groups are never given one name, even by two administrators at the
    same instant. Keyed by a hash: names are not personal data, but a key has a length limit."""

    group_id: GroupId


def name_claim_key(name: str) -> dict[str, Any]:
    digest = hashlib.sha256(_reading(name).encode()).hexdigest()
    return {"pk": v(f"GROUPNAME#{digest}"), "sk": v("CLAIM")}


class GroupRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def all(self) -> list[WorkingGroup]:
        items = query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": v(PARTITION)},
        )
        groups = []
        for item in items:
            try:
                groups.append(WorkingGroup.model_validate(item))
            except ValidationError:
                # never let one bad record take down the sign-up form that lists the groups
                damaged_record("working group", str(item.get("sk")))
        return sorted(groups, key=lambda g: g.name.lower())

    def open(self) -> list[WorkingGroup]:
        return [g for g in self.all() if g.status is GroupStatus.OPEN]

    def get(self, group_id: str) -> WorkingGroup:
        found = self._db.get_item(TableName=self._table, Key=group_key(group_id), ConsistentRead=True)
        if "Item" not in found:
            raise GroupNotFound(group_id)
        item = from_item(found["Item"])
        try:
            return WorkingGroup.model_validate(item)
        except ValidationError:  # a page, not a fault; counted and alarmed, never logged
            damaged_record("working group", group_id)
            raise DamagedRecord("working group", group_id, item) from None

    def _refuse_a_taken_name(self, name: str, group_id: str | None) -> None:
        # the early, friendly check, and the one that sees groups made before names were claimed;
        # the claim written with the group (`_claim`) is what holds when two changes race
        # an open group's name only: a closed group's name is free for a new group
        if any(
            same_name(g.name, name) and g.id != group_id and g.status is GroupStatus.OPEN for g in self.all()
        ):
            raise GroupNameTaken(name)

    def _claim(self, name: str, group_id: str) -> dict[str, Any]:
        claim = GroupNameClaim(group_id=group_id)
        return {
            "Put": {
                "TableName": self._table,
                "Item": {**name_claim_key(name), **to_item(claim.model_dump(mode="json"))},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _release(self, name: str, group_id: str) -> dict[str, Any]:
        """Give up the claim on a group's old name (if it holds one: groups made before names were
        claimed hold none), never another group's."""
        return {
            "Delete": {
                "TableName": self._table,
                "Key": name_claim_key(name),
                "ConditionExpression": "attribute_not_exists(pk) OR group_id = :g",
                "ExpressionAttributeValues": {":g": v(group_id)},
            }
        }

    def create(self, data: GroupInput, now: datetime) -> WorkingGroup:
        self._refuse_a_taken_name(data.name, None)
        ident = data.slug()
        if not data.id:  # a closed group's name reused: its id stays the closed group's; add a number
            taken = {g.id for g in self.all()}
            ident = (
                next((f"{ident}-{n}" for n in range(2, 100) if f"{ident}-{n}" not in taken), ident)
                if ident in taken
                else ident
            )
        group = WorkingGroup(
            version=1,
            id=ident,
            name=data.name,
            purpose=data.purpose,
            meeting_place=data.meeting_place,
            lead_contact=data.lead_contact,
            public=data.public,
            created_at=iso(now),
            updated_at=iso(now),
        )
        put = {
            "TableName": self._table,
            "Item": {**group_key(group.id), **to_item(group.model_dump(mode="json"))},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        items = [{"Put": put}, self._claim(group.name, group.id)]
        for _ in retries(GroupChanged(group.id)):
            try:
                failed = failed_conditions(self._db.transact_write_items, TransactItems=items)
                break
            except WriteConflict:  # another administrator's write to the same name was in flight
                continue
        if 0 in failed:
            raise GroupExists(group.id)
        if failed:
            raise GroupNameTaken(data.name)
        return group

    def update(self, group_id: str, changes: dict[str, Any], now: datetime) -> WorkingGroup:
        return self.apply(group_id, changes, now)[0]

    def apply(self, group_id: str, changes: dict[str, Any], now: datetime) -> tuple[WorkingGroup, bool]:
        """Apply `changes` to the group as it is now, validated, conditional on its version; a lost
        race is retried on the fresh record (a change is a delta, so both land). Changes that leave
        every field as it is write nothing: the group keeps its version and its updated time, and
        the answer says so (False)."""
        release_old_name = True
        for _ in retries(GroupChanged(group_id)):
            group = self.get(group_id)
            if WorkingGroup.model_validate({**group.model_dump(), **changes}) == group:
                return group, False
            renamed = "name" in changes and not same_name(changes["name"], group.name)
            status = changes.get("status", group.status)
            closing = status == GroupStatus.CLOSED and group.status is GroupStatus.OPEN
            reopening = status == GroupStatus.OPEN and group.status is GroupStatus.CLOSED
            if renamed or reopening:
                self._refuse_a_taken_name(changes.get("name", group.name), group_id)
            updated = WorkingGroup.model_validate(
                {**group.model_dump(), **changes, "updated_at": iso(now), "version": group.version + 1}
            )
            condition, values = version_condition(group.version)
            put = {
                "TableName": self._table,
                "Item": {**group_key(group_id), **to_item(updated.model_dump(mode="json"))},
                "ConditionExpression": f"attribute_exists(pk) AND ({condition})",
                "ExpressionAttributeValues": values,
            }
            # one transaction: the group's new version (item 0) and, on a rename, the new name's
            # claim (1) and the old name's release (2)
            # (closing gives its name up for a new group; reopening claims it again)
            items: list[dict[str, Any]] = [{"Put": put}]
            claim_at = release_at = -1
            if renamed or reopening:
                claim_at = len(items)
                items.append(self._claim(updated.name, group_id))
            if ((renamed and not reopening) or closing) and release_old_name:
                release_at = len(items)
                items.append(self._release(group.name, group_id))
            try:
                failed = failed_conditions(self._db.transact_write_items, TransactItems=items)
            except WriteConflict:  # another write to the group or a name was in flight: read again
                continue
            if not failed:
                return updated, True
            if claim_at in failed:
                raise GroupNameTaken(updated.name)
            if release_at in failed:  # the old name is held by another group (two groups named alike before
                release_old_name = False  # names were claimed): keep its claim, and try again
            # item 0 alone: the group changed since it was read; read it again
        raise AssertionError("unreachable: retries() raises when the attempts run out")
