"""5. Daily team-leader digests and weekly at-risk check-ins.

Daily, every manager with active direct reports gets one digest: how many assignments in the team
are completed, not completed and excused, naming who is overdue, failed or due within two weeks
(overdue first) and who is excused. On Mondays (the manager's local date) the at-risk
check-in lists reports who failed or whose deadline is within a week. Two set-based queries (counts
grouped by manager in SQL; the rows to name) and one message per manager per day (or week),
whatever the size of the team.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from assignments.models import Assignment
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import exempt_on, local_date
from escalation.workflows.common import Summary, chunks, full_name

LIST_LIMIT = 60
AT_RISK_DAYS = 7
# The digest names people whose deadline is within this many days (or passed, or who failed).
LIST_DAYS = 14


def run_checkins_and_digests(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("checkins_and_digests", dry_run)
    org_today = timezone.localdate(as_of)
    base = Assignment.objects.filter(
        archived_at__isnull=True,
        learner__is_active=True,
        learner__manager__isnull=False,
        learner__manager__is_active=True,
    ).annotate(excused=exempt_on(org_today))
    # Counts per manager in one grouped query.
    teams: dict[int, dict] = {}
    counts = (
        base.values("learner__manager_id", "learner__manager__timezone", "learner__manager__first_name")
        .annotate(
            completed=Count("pk", filter=Q(excused=False, status=Assignment.Status.COMPLETED)),
            not_completed=Count("pk", filter=Q(excused=False) & ~Q(status=Assignment.Status.COMPLETED)),
            excused_count=Count("pk", filter=Q(excused=True)),
        )
        .order_by()
    )
    for row in counts.iterator(chunk_size=5000):
        teams[row["learner__manager_id"]] = {
            "today": local_date(as_of, row["learner__manager__timezone"]),
            "first_name": row["learner__manager__first_name"],
            "completed": row["completed"],
            "not_completed": row["not_completed"],
            "excused": row["excused_count"],
            "outstanding": [],
            "excused_people": [],
            "at_risk": [],
        }
    # The people to name: not completed and late, failed or due soon; and who is excused.
    soon = org_today + dt.timedelta(days=LIST_DAYS)
    listed = (
        base.filter(
            Q(excused=True)
            | (~Q(status=Assignment.Status.COMPLETED) & (Q(status=Assignment.Status.FAILED) | Q(due_date__lte=soon)))
        )
        .values_list(
            "learner__manager_id",
            "learner__first_name",
            "learner__last_name",
            "course__title",
            "status",
            "due_date",
            "retake_deadline",
            "excused",
        )
        .order_by("learner__manager_id", "due_date")
    )
    for manager_id, first, last, title, status, due, retake, excused in listed.iterator(chunk_size=5000):
        team = teams.get(manager_id)
        if team is None:
            continue
        today = team["today"]
        person = full_name(first, last)
        if excused:
            if len(team["excused_people"]) < LIST_LIMIT:
                team["excused_people"].append({"learner": person, "course": title})
            continue
        deadline = max(due, retake) if retake else due
        failed = status == Assignment.Status.FAILED
        item = {
            "learner": person,
            "course": title,
            "due_date": deadline.isoformat(),
            "overdue": today > deadline,
            "failed": failed,
        }
        if len(team["outstanding"]) < LIST_LIMIT:
            team["outstanding"].append(item)
        if failed or (deadline - today).days <= AT_RISK_DAYS:
            team["at_risk"].append(item)
    messages = []
    for manager_id, team in teams.items():
        today = team["today"]
        team["outstanding"].sort(key=lambda item: (not item["overdue"], item["due_date"]))
        messages.append(
            Outgoing(
                manager_id,
                Notification.Kind.DIGEST,
                f"digest:{manager_id}:{today.isoformat()}",
                {
                    "first_name": team["first_name"],
                    "date": today.isoformat(),
                    "completed": team["completed"],
                    "not_completed": team["not_completed"],
                    "excused": team["excused"],
                    "total": team["completed"] + team["not_completed"] + team["excused"],
                    "outstanding": team["outstanding"],
                    "listed_days": LIST_DAYS,
                    "excused_people": team["excused_people"],
                    "reason": f"daily digest: {team['not_completed']} outstanding",
                },
            )
        )
        if today.weekday() == 0 and team["at_risk"]:
            year, week, _ = today.isocalendar()
            messages.append(
                Outgoing(
                    manager_id,
                    Notification.Kind.CHECKIN,
                    f"checkin:{manager_id}:{year}-W{week:02d}",
                    {
                        "first_name": team["first_name"],
                        "date": today.isoformat(),
                        "at_risk": team["at_risk"][:LIST_LIMIT],
                        "count": len(team["at_risk"]),
                        "reason": f"weekly check-in: {len(team['at_risk'])} at risk",
                    },
                )
            )
    for batch in chunks(messages):
        with transaction.atomic():
            summary.add(enqueue(batch, dry_run=dry_run))
    summary["managers"] = len(teams)
    return summary
