"""5. Daily team-leader digests and weekly at-risk check-ins.

Daily, every manager with active direct reports gets one digest: how many assignments in the team
are completed, not completed and excused, naming who is overdue, failed or due within two weeks
(overdue first) and who is excused, and what the team achieved in the 24 hours before the run
(completions, passes after a failure, badges), each with a "well done" link for the manager.
On Mondays (the manager's local date) the at-risk check-in lists reports who failed or whose
deadline is within a week. Two set-based queries (counts grouped by manager in SQL; the rows to
name), one for the day's achievements, and one message per manager per day (or week), whatever
the size of the team.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from assignments.models import Assignment
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from escalation.recognition.selectors import achievements
from escalation.selectors import excused_on, is_excused, local_date
from escalation.workflows.common import Summary, chunks, full_name
from lms.models import User

LIST_LIMIT = 60
AT_RISK_DAYS = 7
# The digest names people whose deadline is within this many days (or passed, or who failed).
LIST_DAYS = 14
# Who and what a digest line names: the learner's manager, the learner, the course, its state.
ROW_COLUMNS = (
    "learner__manager_id",
    "learner_id",
    "learner__first_name",
    "learner__last_name",
    "course__title",
    "course_code",
    "status",
)


def run_checkins_and_digests(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("checkins_and_digests", dry_run)
    org_today = timezone.localdate(as_of)
    excused = excused_on(org_today)
    # The big reads join only the learner; active managers are read once (their time zone and name).
    base = Assignment.objects.filter(archived_at__isnull=True, learner__is_active=True, learner__manager__isnull=False)
    managers = {
        pk: (zone, first)
        for pk, zone, first in User.objects.filter(
            is_active=True, pk__in=User.objects.filter(is_active=True).values("manager_id")
        ).values_list("pk", "timezone", "first_name")
    }
    teams: dict[int, dict] = {}
    # Counts per manager in one grouped query; the excused are moved out of them below.
    counts = (
        base.values("learner__manager_id")
        .annotate(
            completed=Count("pk", filter=Q(status=Assignment.Status.COMPLETED)),
            not_completed=Count("pk", filter=~Q(status=Assignment.Status.COMPLETED)),
        )
        .order_by()
    )
    for row in counts.iterator(chunk_size=5000):
        manager = managers.get(row["learner__manager_id"])
        if manager is None:
            continue  # a deactivated manager gets no digest
        teams[row["learner__manager_id"]] = {
            "today": local_date(as_of, manager[0]),
            "first_name": manager[1],
            "completed": row["completed"],
            "not_completed": row["not_completed"],
            "excused": 0,
            "outstanding": [],
            "excused_people": [],
            "at_risk": [],
            "at_risk_people": set(),
        }
    if _all_queued(teams):
        # The same day again: every digest is in the outbox already, so nothing would be new; the
        # lists (the biggest reads) are not read again.
        summary["managers"] = len(teams)
        return summary
    if excused:
        # Read whole, not through a cursor: PostgreSQL plans a cursor for its first rows, and
        # walked every active assignment in due-date order for the few excused learners (seconds,
        # where fetching them by learner and sorting takes a tenth of one).
        rows = list(base.filter(learner_id__in=list(excused)).values_list(*ROW_COLUMNS).order_by("due_date", "pk"))
        for manager_id, learner_id, first, last, title, code, status in rows:
            team = teams.get(manager_id)
            if team is None or not is_excused(excused, learner_id, code):
                continue
            team["excused"] += 1
            team["completed" if status == Assignment.Status.COMPLETED else "not_completed"] -= 1
            if len(team["excused_people"]) < LIST_LIMIT:
                team["excused_people"].append({"learner": full_name(first, last), "course": title})
    # The people to name: not completed and late, failed or due soon.
    soon = org_today + dt.timedelta(days=LIST_DAYS)
    listed = (
        base.exclude(status=Assignment.Status.COMPLETED)
        .filter(Q(status=Assignment.Status.FAILED) | Q(due_date__lte=soon) | Q(retake_deadline__lte=soon))
        .values_list(*ROW_COLUMNS, "due_date", "retake_deadline")
        .order_by("learner__manager_id", "due_date")
    )
    for manager_id, learner_id, first, last, title, code, status, due, retake in listed.iterator(chunk_size=5000):
        team = teams.get(manager_id)
        if team is None or is_excused(excused, learner_id, code):
            continue
        today = team["today"]
        deadline = max(due, retake) if retake else due
        failed = status == Assignment.Status.FAILED
        listed_here = len(team["outstanding"]) < LIST_LIMIT
        at_risk = failed or (deadline - today).days <= AT_RISK_DAYS
        if not (listed_here or at_risk):
            continue
        item = {
            "learner": full_name(first, last),
            "course": title,
            "due_date": deadline.isoformat(),
            "overdue": today > deadline,
            "failed": failed,
        }
        if listed_here:
            team["outstanding"].append(item)
        if at_risk:
            team["at_risk"].append(item)
            team["at_risk_people"].add(learner_id)
    # What the team achieved since yesterday's digest (completions, passes after a failure,
    # badges), each with the manager's one-click "well done" link (escalation.recognition).
    achieved = achievements(manager_ids=None, since=as_of - dt.timedelta(days=1), until=as_of)
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
                    "achievements": [
                        {key: item[key] for key in ("kind", "learner", "what", "well_done_path")}
                        for item in achieved.get(manager_id, [])[:LIST_LIMIT]
                    ],
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
                        # people, not assignments: the subject counts people (escalation.subjects)
                        "people": len(team["at_risk_people"]),
                        "reason": f"weekly check-in: {len(team['at_risk'])} at risk",
                    },
                )
            )
    for batch in chunks(messages):
        with transaction.atomic():
            summary.add(enqueue(batch, dry_run=dry_run))
    summary["managers"] = len(teams)
    return summary


def _all_queued(teams: dict[int, dict]) -> bool:
    """Whether every team's digest of its manager's day is in the outbox already. Never on a
    manager's Monday: whether a check-in is due there depends on the lists themselves."""
    if not teams or any(team["today"].weekday() == 0 for team in teams.values()):
        return False
    keys = [f"digest:{manager_id}:{team['today'].isoformat()}" for manager_id, team in teams.items()]
    if not Notification.objects.filter(dedupe_key=keys[0]).exists():
        return False  # the usual night: one lookup, not one per team
    found = 0
    for batch in chunks(keys):
        found += Notification.objects.filter(dedupe_key__in=batch).count()
    return found == len(keys)
