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
    "members.import": "Imported members from a spreadsheet",
    "group.create": "Created the group",
    "group.update": "Changed the group",
    "group.close": "Closed the group",
    "group.reopen": "Opened the group again",
    "group.add_member": "Added to a working group",
    "group.remove_member": "Removed from a working group",
    "group.set_lead": "Changed the group's lead",
}

FIELDS = {
    "name": "name",
    "email": "email address",
    "phone": "phone number",
    "postal_address": "postal address",
    "organisation": "organisation",
    "role": "whether they are a patient, carer or other",
    "working_groups": "working groups",
    "lead_member_id": "the group's lead",
    "consent_contact": "agreement to be contacted",
    "consent_contact_in_person": "agreement to be contacted, recorded by an administrator",
    "consent_health_data": "agreement to hold that they are a patient or carer",
    "consent_health_data_in_person": "agreement to hold that they are a patient or carer, recorded by an "
    "administrator",
    "meeting_reminders": "meeting reminders",
    "newsletters": "newsletters",
    "privacy_notice_version": "privacy notice",
    "description": "what the group is for",
    "public": "whether it is listed publicly",
    "status": "status",
    "notes": "notes",
}

TARGETS = {"MEMBERS": "The members list"}
