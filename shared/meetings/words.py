"""How the audit trail names what was done with meetings and announcements (declared as the
meetings capability's `AuditWords` in `infra/declaration.py`)."""

ACTIONS = {
    "meeting.create": "Created the meeting",
    "meeting.create_series": "Created a series of meetings",
    "meeting.update": "Changed the meeting",
    "meeting.cancel": "Cancelled the meeting",
    "meeting.attendance": "Recorded who came",
    "meeting.report_back_received": "Marked a working group's report as received",
    "meeting.apologies": "The member sent apologies",
    "meeting.apologies_withdrawn": "The member took back their apologies",
    "announcement.create": "Wrote an announcement",
    "meeting.feed_stopped": "Stopped the member's private calendar feed",
}
FIELDS = {
    "starts_at": "time",
    "ends_at": "end time",
    "duration_minutes": "length",
    "online_link": "joining link",
    "audience": "who is invited",
    "note": "note for the reminder",
}
