"""The Patient Feedback Project: feedback and journal entries, their triage and lifecycle, the updates
their reporters get, the follow-up question, and "you said, we did"."""
