"""Writes of the reports app: the daily compliance snapshot."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from reports.models import ComplianceSnapshot
from reports.selectors import STATES, snapshot_counts


@transaction.atomic
def run_compliance_snapshot(*, as_of: dt.datetime, dry_run: bool = False) -> dict:
    """Store the counts per state for each department and course code for the day of ``as_of``
    (organisation time zone). One grouped query and one bulk insert; a second run for the same day
    inserts nothing (the unique constraints, and the early return). A past ``as_of`` rebuilds the
    day from the assignment and completion history."""
    day = timezone.localdate(as_of)
    summary = {"workflow": "compliance_snapshot", "day": day.isoformat(), "snapshots": 0}
    if ComplianceSnapshot.objects.filter(day=day).exists():
        summary["already_taken"] = True
        return summary
    grouped: dict[tuple[int | None, str], ComplianceSnapshot] = {}
    history = day < timezone.localdate()
    for row in snapshot_counts(day=day, history=history):
        key = (row["learner__department_id"], row["course_code"])
        snapshot = grouped.setdefault(
            key, ComplianceSnapshot(day=day, department_id=key[0], course_code=key[1], required=0)
        )
        if row["state"] in STATES:
            setattr(snapshot, row["state"], getattr(snapshot, row["state"]) + row["n"])
        snapshot.required += row["n"]
    summary["snapshots"] = len(grouped)
    if not dry_run:
        ComplianceSnapshot.objects.bulk_create(grouped.values(), batch_size=1000, ignore_conflicts=True)
    return summary
