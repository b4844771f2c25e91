"""1. Due reminders: the learner is reminded N days before the due date (policy.reminder_days).

Reminder days are bands: with [7, 1], a learner whose due date is 2 to 7 days away gets the
"7" reminder once, and 0 to 1 day away the "1" reminder once. A night the job did not run is
caught up the next night; a reminder never repeats (dedupe key per assignment and band).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from assignments.models import Assignment
from escalation import events
from escalation.models import EscalationEvent, Notification
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import excused_on, learner_timezones, local_date, open_assignments, policy_scopes
from escalation.workflows.common import Summary, chunks, full_name

FIELDS = ("pk", "learner_id", "learner__first_name", "learner__last_name", "course__title", "course_code", "due_date")


def run_due_reminders(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("due_reminders", dry_run)
    scopes = policy_scopes()
    excused_by_day: dict = {}
    for timezone_name in learner_timezones():
        today = local_date(as_of, timezone_name)
        excused = excused_by_day.setdefault(today, excused_on(today))
        for scope in scopes:
            low = 0
            for band in sorted(set(scope.policy.reminder_days)):
                rows = (
                    open_assignments(day=today, timezone_name=timezone_name, scope=scope, excused=excused)
                    .filter(
                        status__in=[Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS],
                        due_date__gte=today + dt.timedelta(days=low),
                        due_date__lte=today + dt.timedelta(days=band),
                    )
                    .exclude(
                        Exists(
                            EscalationEvent.objects.filter(
                                dedupe_key=Concat(
                                    Value("reminded:"), Cast(OuterRef("pk"), CharField()), Value(f":{band}")
                                )
                            )
                        )
                    )
                    .values_list(*FIELDS)
                    .order_by("pk")
                )
                for batch in chunks(rows.iterator(chunk_size=2000)):
                    _remind(batch, band=band, today=today, as_of=as_of, dry_run=dry_run, summary=summary)
                low = band + 1
    return summary


@transaction.atomic
def _remind(batch, *, band: int, today: dt.date, as_of: dt.datetime, dry_run: bool, summary: Summary) -> None:
    messages = []
    for pk, learner_id, first, last, title, code, due in batch:
        days_left = (due - today).days
        messages.append(
            Outgoing(
                recipient_id=learner_id,
                kind=Notification.Kind.REMINDER,
                dedupe_key=f"reminder:{pk}:{band}",
                assignment_id=pk,
                context={
                    "learner": full_name(first, last),
                    "first_name": first,
                    "course": title,
                    "course_code": code,
                    "due_date": due.isoformat(),
                    "days_left": days_left,
                    "reason": f"due in {days_left} day(s)",
                },
            )
        )
    new = enqueue(messages, dry_run=dry_run)
    if not dry_run:
        events.record(
            [
                events.event_row(
                    assignment_id=m.assignment_id,
                    kind=EscalationEvent.Kind.REMINDED,
                    occurred_at=as_of,
                    reason=f"Reminder: due on {m.context['due_date']} ({m.context['days_left']} day(s) left).",
                    dedupe_key=f"reminded:{m.assignment_id}:{band}",
                )
                for m in new
            ]
        )
    summary.add(new, events=len(new))
