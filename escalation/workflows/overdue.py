"""3. The overdue ladder: each step of the policy fires once per assignment, on the day the
assignment has been overdue for that many days (or the first run after, should a night be missed),
telling the people the step names, and issuing a formal warning letter if it says so.

Overdue means the learner's local date is after the effective deadline: the due date, or the
retake deadline given after a failure when that is later. Exempt learners are skipped.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import CharField, DateField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat, Greatest

from escalation import events
from escalation.models import EscalationEvent, Notification, WarningLetter
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import excused_on, learner_timezones, local_date, open_assignments, policy_scopes
from escalation.workflows.common import Summary, chunks, full_name

FIELDS = (
    "pk",
    "learner_id",
    "learner__first_name",
    "learner__last_name",
    "learner__manager_id",
    "learner__manager__manager_id",
    "course__title",
    "course_code",
    "course__compliance_critical",
    "deadline",
)


def run_overdue_ladder(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("overdue_ladder", dry_run)
    scopes = policy_scopes()
    excused_by_day: dict = {}
    for timezone_name in learner_timezones():
        today = local_date(as_of, timezone_name)
        excused = excused_by_day.setdefault(today, excused_on(today))
        for scope in scopes:
            for level, step in enumerate(scope.steps, start=1):
                cutoff = today - dt.timedelta(days=step.days_overdue + 1)
                done = EscalationEvent.objects.filter(
                    dedupe_key=Concat(
                        Value("escalated:"), Cast(OuterRef("pk"), CharField()), Value(f":{step.days_overdue}")
                    )
                )
                rows = (
                    open_assignments(day=today, timezone_name=timezone_name, scope=scope, excused=excused)
                    # Written so the partial index on active due dates can serve the range.
                    .filter(due_date__lte=cutoff)
                    .filter(Q(retake_deadline__isnull=True) | Q(retake_deadline__lte=cutoff))
                    # Steps already taken are skipped in SQL: a quiet night reads only what is new.
                    .exclude(Exists(done))
                    .annotate(
                        deadline=Greatest("due_date", Coalesce("retake_deadline", "due_date"), output_field=DateField())
                    )
                    .values_list(*FIELDS)
                    .order_by("pk")
                )
                for batch in chunks(rows.iterator(chunk_size=2000)):
                    _escalate(
                        batch,
                        scope=scope,
                        step=step,
                        level=level,
                        today=today,
                        as_of=as_of,
                        dry_run=dry_run,
                        summary=summary,
                    )
    return summary


@transaction.atomic
def _escalate(
    batch, *, scope, step, level: int, today: dt.date, as_of: dt.datetime, dry_run: bool, summary: Summary
) -> None:
    officer = scope.policy.compliance_officer
    messages: list[Outgoing] = []
    letters: list[WarningLetter] = []
    event_rows = []
    for pk, learner_id, first, last, manager_id, grand_id, title, code, critical, deadline in batch:
        days_overdue = (today - deadline).days
        learner = full_name(first, last)
        context = {
            "learner": learner,
            "first_name": first,
            "course": title,
            "course_code": code,
            "compliance_critical": critical,
            "due_date": deadline.isoformat(),
            "days_overdue": days_overdue,
            "level": level,
            "reason": f"{days_overdue} day(s) overdue (step {level}, day {step.days_overdue})",
        }
        key = f"overdue:{pk}:{step.days_overdue}"
        told = []
        if step.notify_learner:
            messages.append(Outgoing(learner_id, Notification.Kind.OVERDUE, f"{key}:learner", context, pk))
        for role, recipient_id, enabled in (
            ("manager", manager_id, step.notify_manager),
            ("managers_manager", grand_id, step.notify_managers_manager),
            ("compliance_officer", officer.pk if officer else None, step.notify_compliance_officer),
        ):
            if enabled and recipient_id and recipient_id != learner_id:
                messages.append(
                    Outgoing(recipient_id, Notification.Kind.ESCALATION, f"{key}:{role}", {**context, "role": role}, pk)
                )
                told.append(role)
        event_rows.append(
            events.event_row(
                assignment_id=pk,
                kind=EscalationEvent.Kind.ESCALATED,
                level=level,
                occurred_at=as_of,
                dedupe_key=f"escalated:{pk}:{step.days_overdue}",
                reason=f"{days_overdue} day(s) past the deadline of {deadline:%d %b %Y}: step {level} told "
                + (", ".join(told) or "nobody else"),
                detail={"told": told, "step_days": step.days_overdue},
            )
        )
        if step.warning_letter:
            new_deadline = today + dt.timedelta(days=step.new_deadline_days)
            reference = f"WL-{pk}-{step.days_overdue}"
            letters.append(
                WarningLetter(
                    assignment_id=pk,
                    step_days_overdue=step.days_overdue,
                    reference=reference,
                    issued_at=as_of,
                    deadline_missed=deadline,
                    new_deadline=new_deadline,
                    manager_id=manager_id,
                )
            )
            letter_context = {
                **context,
                "reference": reference,
                "new_deadline": new_deadline.isoformat(),
                "reason": f"formal warning letter {reference}",
            }
            messages.append(
                Outgoing(
                    learner_id, Notification.Kind.WARNING_LETTER, f"letter:{reference}:learner", letter_context, pk
                )
            )
            if manager_id:
                messages.append(
                    Outgoing(
                        manager_id,
                        Notification.Kind.WARNING_LETTER,
                        f"letter:{reference}:manager",
                        {**letter_context, "is_copy": True},
                        pk,
                    )
                )
            event_rows.append(
                events.event_row(
                    assignment_id=pk,
                    kind=EscalationEvent.Kind.WARNING_LETTER,
                    level=level,
                    occurred_at=as_of,
                    dedupe_key=f"letter:{reference}",
                    reason=f"Formal warning letter {reference} issued; new deadline {new_deadline:%d %b %Y}.",
                    detail={"reference": reference},
                )
            )
    new = enqueue(messages, dry_run=dry_run)
    if not dry_run:
        WarningLetter.objects.bulk_create(letters, ignore_conflicts=True)
        events.record(event_rows)
    summary.add(
        new,
        escalated=len({m.assignment_id for m in new if m.kind != Notification.Kind.WARNING_LETTER}),
        letters=sum(1 for m in new if m.kind == Notification.Kind.WARNING_LETTER and not m.context.get("is_copy")),
    )
