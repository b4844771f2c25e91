"""Org-chart events other apps subscribe to (assignment rules, archiving a leaver's training and
giving it back when they return).

Sent from ``lms.services`` inside the writing transaction, so a listener's writes commit or roll
back with the change that caused them.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: user, created (bool), changed_fields (set[str])
user_org_changed = Signal()
# kwargs: user, actor (User | None), reason (str)
user_deactivated = Signal()
# kwargs: user, actor (User | None), away_since (datetime | None: when they were deactivated)
user_reactivated = Signal()
