"""The nightly ``recognition`` workflow: every awarding badge's rule over the whole table.

Set-based: one query per badge finds who has earned it and is not yet holding it
(escalation.recognition.rules), one insert per batch makes the awards (``awards_grant``). Run twice
for the same day, the second run awards nothing: everyone qualifying holds the badge by then, and
the unique constraint per person and badge is the backstop. It runs before the managers' digests,
so tonight's badges are in tomorrow morning's digest, and before the dispatch that sends the
``badge_earned`` messages.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from escalation.recognition import rules
from escalation.recognition.models import Badge
from escalation.recognition.services import awards_grant


def run_recognition(*, as_of: dt.datetime, dry_run: bool = False) -> dict:
    day = timezone.localdate(as_of)
    summary: dict = {"workflow": "recognition", "badges": 0, "awards": 0}
    for badge in Badge.objects.filter(is_active=True).order_by("pk"):
        new = awards_grant(earned=rules.earned(badge, day=day), dry_run=dry_run, awarded_at=as_of)
        summary["badges"] += 1
        summary["awards"] += len(new)
    return summary
