"""Writes of the reports app: the daily compliance snapshot."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from reports.models import ComplianceSnapshot, TeamSnapshot
from reports.selectors import FORECAST_WINDOWS, STATES, snapshot_counts
from reports.selectors.state import excused_for
from reports.selectors.teams import team_counts


@transaction.atomic
def run_compliance_snapshot(*, as_of: dt.datetime, dry_run: bool = False) -> dict:
    """Store the counts per state for each department and course code for the day of ``as_of``
    (organisation time zone), and for each large reporting chain (``TeamSnapshot``) the counts per
    course code of everyone below its manager. Two grouped queries and a bulk insert each; a second
    run for the same day inserts nothing (the unique constraints, and the early return). A past
    ``as_of`` rebuilds the day from the assignment and completion history (the organisation's
    counts only: the team dashboards read today's team counts, and the chain as it is now could
    not tell whom a manager had then)."""
    day = timezone.localdate(as_of)
    summary = {"workflow": "compliance_snapshot", "day": day.isoformat(), "snapshots": 0}
    if ComplianceSnapshot.objects.filter(day=day).exists():
        summary["already_taken"] = True
        return summary
    grouped: dict[tuple[int | None, str], ComplianceSnapshot] = {}
    history = day < timezone.localdate()
    excused = excused_for(day, history=history)
    for row in snapshot_counts(day=day, history=history, excused=excused):
        key = (row["learner__department_id"], row["course_code"])
        snapshot = grouped.setdefault(
            key, ComplianceSnapshot(day=day, department_id=key[0], course_code=key[1], required=0)
        )
        if row["state"] in STATES:
            setattr(snapshot, row["state"], getattr(snapshot, row["state"]) + row["n"])
        snapshot.required += row["n"]
    summary["snapshots"] = len(grouped)
    teams: dict[tuple[int, str], TeamSnapshot] = {}
    for row in [] if history else team_counts(day=day, excused=excused):
        key = (row["manager_id"], row["course_code"])
        team = teams.setdefault(key, TeamSnapshot(day=day, manager_id=key[0], course_code=key[1], required=0))
        if row["state"] in STATES:
            setattr(team, row["state"], getattr(team, row["state"]) + row["n"])
        team.required += row["n"]
        for days in FORECAST_WINDOWS:
            setattr(team, f"expiring_{days}", getattr(team, f"expiring_{days}") + row[f"e{days}"])
    summary["team_snapshots"] = len(teams)
    if not dry_run:
        ComplianceSnapshot.objects.bulk_create(grouped.values(), batch_size=1000, ignore_conflicts=True)
        if teams:
            TeamSnapshot.objects.bulk_create(teams.values(), batch_size=1000, ignore_conflicts=True)
    return summary
