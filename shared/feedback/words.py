"""How the audit trail names what was done with feedback."""

ACTIONS = {
    "feedback.on_behalf": "Entered feedback on someone's behalf",
    "feedback.updated": "Changed a feedback item",
    "feedback.contacts_exported": "Downloaded feedback with its reporters' contact details",
}
FIELDS = {
    "status": "Status",
    "working_group": "Working group",
    "internal_note": "Internal note",
    "public_response": "Public response",
    "anonymised_text": "Anonymised text",
}
