"""5. Daily team-leader digests and weekly at-risk check-ins.

Daily, every manager with active direct reports gets one digest: per course, who has completed,
who has not (overdue first) and who is excused. On Mondays (the manager's local date) the at-risk
check-in lists reports who failed or whose deadline is within a week. One pass over the active
assignments of people who have a manager, grouped in memory by manager; one message per manager
per day (or week), whatever the size of the team.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from assignments.models import Assignment
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import exempt_on, local_date
from escalation.workflows.common import Summary, chunks, full_name

LIST_LIMIT = 60
AT_RISK_DAYS = 7


def run_checkins_and_digests(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("checkins_and_digests", dry_run)
    org_today = timezone.localdate(as_of)
    rows = (
        Assignment.objects.filter(
            archived_at__isnull=True,
            learner__is_active=True,
            learner__manager__isnull=False,
            learner__manager__is_active=True,
        )
        .annotate(excused=exempt_on(org_today))
        .values_list(
            "learner__manager_id",
            "learner__manager__timezone",
            "learner__manager__first_name",
            "learner__first_name",
            "learner__last_name",
            "course__title",
            "status",
            "due_date",
            "retake_deadline",
            "excused",
        )
        .order_by("learner__manager_id")
    )
    teams: dict[int, dict] = {}
    for manager_id, manager_tz, manager_first, first, last, title, status, due, retake, excused in rows.iterator(
        chunk_size=5000
    ):
        team = teams.get(manager_id)
        if team is None:
            today = local_date(as_of, manager_tz)
            team = teams[manager_id] = {
                "today": today,
                "first_name": manager_first,
                "completed": 0,
                "not_completed": 0,
                "excused": 0,
                "outstanding": [],
                "excused_people": [],
                "at_risk": [],
            }
        today = team["today"]
        person = full_name(first, last)
        deadline = max(due, retake) if retake else due
        if excused:
            team["excused"] += 1
            if len(team["excused_people"]) < LIST_LIMIT:
                team["excused_people"].append({"learner": person, "course": title})
        elif status == Assignment.Status.COMPLETED:
            team["completed"] += 1
        else:
            team["not_completed"] += 1
            overdue = today > deadline
            if len(team["outstanding"]) < LIST_LIMIT:
                team["outstanding"].append(
                    {
                        "learner": person,
                        "course": title,
                        "due_date": deadline.isoformat(),
                        "overdue": overdue,
                        "failed": status == Assignment.Status.FAILED,
                    }
                )
            if status == Assignment.Status.FAILED or (deadline - today).days <= AT_RISK_DAYS:
                team["at_risk"].append(
                    {
                        "learner": person,
                        "course": title,
                        "due_date": deadline.isoformat(),
                        "overdue": overdue,
                        "failed": status == Assignment.Status.FAILED,
                    }
                )
    messages = []
    for manager_id, team in teams.items():
        today = team["today"]
        team["outstanding"].sort(key=lambda item: (not item["overdue"], item["due_date"]))
        total = team["completed"] + team["not_completed"] + team["excused"]
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
                    "total": total,
                    "outstanding": team["outstanding"],
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
