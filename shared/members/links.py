"""The members capability's token purposes: what each emailed link is for, and how long it works.

Declared here, by the capability that uses them, not in `shared/tokens.py`: the meetings and
feedback capabilities declare their own the same way.
"""

from __future__ import annotations

from datetime import timedelta

from shared.email import unsubscribe
from shared.tokens import Purpose

CONFIRM = Purpose("confirm", timedelta(hours=72))
PREFERENCES = Purpose("preferences", timedelta(days=30))
# sent to a new address: it becomes the member's only when its owner presses the button
EMAIL_CHANGE = Purpose("email_change", timedelta(hours=72))
# every capability's emails carry it, so it is the email platform's (`shared.email.unsubscribe`)
UNSUBSCRIBE = unsubscribe.UNSUBSCRIBE
# links that hand over or delete someone's data are short-lived
EXPORT = Purpose("export", timedelta(hours=24))
ERASE = Purpose("erase", timedelta(hours=24))
