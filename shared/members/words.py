"""How the audit trail names what was done with members and working groups (declared as the members
capability's `AuditWords` in `infra/declaration.py`)."""

ACTIONS = {
    "member.add": "Added the member",
    "member.view": "Opened the record",
    "member.update": "Changed details",
    "member.erase": "Erased the member",
    "member.export": "Downloaded their data",
    "member.export_download": "The member downloaded their data",
    "member.lift_suppression": "Lifted the email suppression",
    "member.preferences_link": "Emailed a preferences link",
    "member.resend_confirmation": "Sent the confirmation again",
    "member.profile_removed": "Removed their details after they unsubscribed",
    "member.email_change_requested": "Asked for a new email address (a link went to it)",
    "member.email_changed": "The member confirmed their new email address",
    "member.unsubscribed_for": "Stopped all emails, as the member asked",
    "member.email_choices_for": "Changed what they hear about, as the member asked",
    "member.started_again_for": "Started emails again, as the member asked",
    "members.download": "Downloaded the members list",
    "group.create": "Created the group",
    "group.update": "Changed the group",
    "group.close": "Closed the group",
    "group.add_member": "Added to a working group",
    "group.remove_member": "Removed from a working group",
    "group.set_lead": "Changed the group's lead",
}
