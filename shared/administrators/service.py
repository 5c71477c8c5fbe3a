"""The console's administrators, in the Cognito user pool: list them, invite one, remove one, and
reset their two-step sign-in.

An administrator is a user of the pool in its `admins` group. Inviting creates the user with their
name and email address (Cognito emails them a temporary password, and asks them to set up an
authenticator app at their first sign-in: the pool requires it) and puts them in the group. Removing
signs them out everywhere, takes them out of the group and deletes the user. Resetting two-step
sign-in turns their authenticator off and signs them out: at their next sign-in they set up a new one
(for a lost phone). Nobody can remove themselves, or the last administrator. Every change is in the
audit trail, under the administrator's id (`ADMIN#<sub>`), never their name or address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from botocore.exceptions import ClientError
from pydantic import Field, field_validator

from shared.audit import AuditTrail
from shared.email.address import normalise_email
from shared.errors import Conflict, DomainError, NotFound
from shared.forms import FormModel
from shared.model import Model
from shared.observability import logger
from shared.text import SingleLine
from shared.web import ADMIN_GROUP

Status = Literal["invited", "active", "disabled", "other"]


class Administrator(Model):
    sub: str
    username: str
    name: str
    email: str
    status: Status
    two_step: bool = Field(description="An authenticator app is set up for their sign-in")
    since: str  # when they were invited (ISO date)


class Invitation(FormModel):
    name: SingleLine = Field(min_length=1, max_length=100)
    email: str = Field(min_length=3, max_length=254)

    messages: ClassVar[dict[str, str]] = {
        "name": "Enter their name, up to 100 characters",
        "email": "Enter their email address, like name@example.org",
    }

    @field_validator("email")
    @classmethod
    def _deliverable(cls, value: str) -> str:
        return normalise_email(value)


class AdministratorNotFound(NotFound):
    message = "No such administrator."


class AlreadyAdministrator(Conflict):
    message = "They are an administrator already."
    fields: ClassVar[dict[str, str]] = {"email": "This person is an administrator already"}


class NotYourself(Conflict):
    message = "You cannot remove yourself. Ask another administrator to do it."


class LastAdministrator(Conflict):
    message = "This is the last administrator. Invite another one first, so someone can still sign in."


class InvitationRefused(DomainError):
    status = 400
    message = "Cognito would not invite this address."
    fields: ClassVar[dict[str, str]] = {"email": "This address cannot be invited: check it and try again"}


def _attributes(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("Attributes", user.get("UserAttributes", []))}


_STATUS: dict[str, Status] = {
    "FORCE_CHANGE_PASSWORD": "invited",
    "CONFIRMED": "active",
    "RESET_REQUIRED": "active",
}


class Administrators:
    def __init__(self, client: Any, user_pool_id: str, audit: AuditTrail, group: str = ADMIN_GROUP) -> None:
        self._idp = client
        self._pool = user_pool_id
        self._audit = audit
        self._group = group

    def _administrator(self, user: dict[str, Any], two_step: bool) -> Administrator:
        attributes = _attributes(user)
        status = (
            _STATUS.get(str(user.get("UserStatus")), "other") if user.get("Enabled", True) else "disabled"
        )
        created = user.get("UserCreateDate")
        return Administrator(
            sub=attributes.get("sub", ""),
            username=str(user["Username"]),
            name=attributes.get("name") or attributes.get("email") or "Name not given",
            email=attributes.get("email", ""),
            status=status,
            two_step=two_step,
            since=created.date().isoformat() if isinstance(created, datetime) else "",
        )

    def _two_step(self, username: str) -> bool:
        found = self._idp.admin_get_user(UserPoolId=self._pool, Username=username)
        return "SOFTWARE_TOKEN_MFA" in (found.get("UserMFASettingList") or [])

    def all(self) -> list[Administrator]:
        """Every member of the admins group, by name (a handful: one call each for their two-step state)."""
        users: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"UserPoolId": self._pool, "GroupName": self._group, "Limit": 60}
        while True:
            page = self._idp.list_users_in_group(**kwargs)
            users += page.get("Users", [])
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        found = [self._administrator(u, self._two_step(str(u["Username"]))) for u in users]
        return sorted(found, key=lambda a: a.name.lower())

    def get(self, sub: str) -> Administrator:
        found = [a for a in self.all() if a.sub == sub]
        if not found:
            raise AdministratorNotFound(sub[:40])
        return found[0]

    def names(self) -> dict[str, str]:
        """Each administrator's id and name, for the audit trail."""
        return {a.sub: a.name for a in self.all()}

    def invite(self, invitation: Invitation, actor: str, now: datetime) -> Administrator:
        """Create them, so Cognito emails a temporary password, and make them an administrator. An
        existing user of the pool who is not an administrator (removed from the group) is made one
        again, and keeps their password."""
        if any(a.email == invitation.email for a in self.all()):  # under another user name, say
            raise AlreadyAdministrator
        try:
            created = self._idp.admin_create_user(
                UserPoolId=self._pool,
                Username=invitation.email,
                UserAttributes=[
                    {"Name": "email", "Value": invitation.email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": invitation.name},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )["User"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "UsernameExistsException":
                created = self._idp.admin_get_user(UserPoolId=self._pool, Username=invitation.email)
                if any(a.email == invitation.email for a in self.all()):
                    raise AlreadyAdministrator from None
            elif code in ("InvalidParameterException", "CodeDeliveryFailureException"):
                raise InvitationRefused from None
            else:
                raise
        self._idp.admin_add_user_to_group(
            UserPoolId=self._pool, Username=str(created["Username"]), GroupName=self._group
        )
        invited = self._administrator(created, two_step=False)
        self._audit.record(actor=actor, action="administrator.invite", target=f"ADMIN#{invited.sub}", now=now)
        logger.info("administrator invited", extra={"administrator": invited.sub})
        return invited

    def remove(self, sub: str, actor: str, now: datetime) -> Administrator:
        everyone = self.all()
        found = next((a for a in everyone if a.sub == sub), None)
        if found is None:
            raise AdministratorNotFound(sub[:40])
        if found.sub == actor:
            raise NotYourself
        if len(everyone) <= 1:
            raise LastAdministrator
        self._idp.admin_user_global_sign_out(UserPoolId=self._pool, Username=found.username)
        self._idp.admin_remove_user_from_group(
            UserPoolId=self._pool, Username=found.username, GroupName=self._group
        )
        self._idp.admin_delete_user(UserPoolId=self._pool, Username=found.username)
        self._audit.record(actor=actor, action="administrator.remove", target=f"ADMIN#{sub}", now=now)
        logger.info("administrator removed", extra={"administrator": sub})
        return found

    def reset_two_step(self, sub: str, actor: str, now: datetime) -> Administrator:
        found = self.get(sub)
        self._idp.admin_set_user_mfa_preference(
            UserPoolId=self._pool,
            Username=found.username,
            SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
        )
        self._idp.admin_user_global_sign_out(UserPoolId=self._pool, Username=found.username)
        self._audit.record(actor=actor, action="administrator.reset_two_step", target=f"ADMIN#{sub}", now=now)
        logger.info("administrator's two-step sign-in reset", extra={"administrator": sub})
        return found
