"""How the audit trail names what was done with notes."""

ACTIONS = {"note.view": "Read the note"}
FIELDS = {"body": "The note's text"}
