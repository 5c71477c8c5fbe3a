"""How the audit trail names what was done with administrators (declared as the administrators
capability's `AuditWords` in `infra/declaration.py`)."""

ACTIONS = {
    "administrator.invite": "Invited an administrator",
    "administrator.remove": "Removed an administrator",
    "administrator.reset_two_step": "Reset an administrator's two-step sign-in",
}
