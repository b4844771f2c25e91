"""Escalation's side of the events raised by the apps below it.

- Attempts: each receiver inserts outbox rows (the same dedupe keys as the nightly catch-up) and
  asks a worker to dispatch them once the transaction commits: a manager hears of a failure at once.
- Assignments created, archived, exempted, completed: a case-file entry each; a pass tells the
  learner their certificate is ready, a withdrawing archive tells them it was withdrawn (outbox).
- Completions: the ``completion.recorded`` webhook too (escalation.webhooks.events).
- Registries of the apps below: the assignment notice writer (``assignments.notices``), the
  welcome email writer (``lms.invitations``); and of
  this app: the ICS and warning-letter attachment builders (``escalation.dispatch``).
"""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from assignments import notices
from assignments.models import Assignment
from assignments.signals import (
    assignment_archived,
    assignment_created,
    attempt_failed,
    attempts_exhausted,
    course_completed,
    exemption_granted,
)
from escalation import (
    events,
    letters,  # noqa: F401  (registers the warning-letter PDF attachment builder)
    reviews,  # noqa: F401  (registers the ICS attachment builder)
)
from escalation.invitations import invitation_queue, password_reset_queue
from escalation.notices import assignment_notice_queue, course_passed_notice_queue, withdrawn_notice_queue
from escalation.outbox import dispatch_after_response
from escalation.outbox import dispatch_soon as _dispatch_soon
from escalation.webhooks.events import completion_recorded as webhook_completion_recorded
from escalation.workflows.failures import follow_up_attempts, follow_up_exhausted
from lms.dates import record_day
from lms.invitations import register_account_mail_writers, register_invitation_writer
from lms.models import AuditEntry

notices.register_notice_writer(assignment_notice_queue)
register_invitation_writer(invitation_queue)
register_account_mail_writers(reset_writer=password_reset_queue, send_after_response=dispatch_after_response)


@receiver(attempt_failed, dispatch_uid="escalation.attempt_failed")
def on_attempt_failed(sender, attempt, **kwargs):
    if follow_up_attempts([attempt.pk]):
        _dispatch_soon()


@receiver(attempts_exhausted, dispatch_uid="escalation.attempts_exhausted")
def on_attempts_exhausted(sender, assignment, **kwargs):
    if follow_up_exhausted([assignment.pk]):
        _dispatch_soon()


@receiver(course_completed, dispatch_uid="escalation.course_completed")
def on_course_completed(sender, completion, **kwargs):
    events.completed(completion=completion)
    course_passed_notice_queue(completion=completion)
    webhook_completion_recorded(completion=completion)


@receiver(assignment_created, dispatch_uid="escalation.assignment_created")
def on_assignments_created(sender, assignments, **kwargs):
    from assignments.models import Assignment

    # Labels once per batch: get_source_display() per row translates every choice each time.
    sources = {value: str(label).lower() for value, label in Assignment.Source.choices}
    # An API token's writes run inside audit_via: the assignment's audit row names the token
    # ("Via API token “name” (#id)"), and so does the case file. One query, only for API batches.
    api_ids = [str(a.pk) for a in assignments if a.source == Assignment.Source.API]
    vias = (
        dict(
            AuditEntry.objects.filter(
                object_type="assignments.assignment", action=AuditEntry.Action.CREATE, object_id__in=api_ids
            ).values_list("object_id", "reason")
        )
        if api_ids
        else {}
    )

    def assigned(a) -> str:
        if a.source == Assignment.Source.API:
            via = vias.get(str(a.pk), "").removeprefix("Via API ")
            return f"Assigned through the API ({via})" if via else "Assigned through the API"
        return f"Assigned ({sources.get(a.source, a.source)})"

    events.record(
        [
            events.event_row(
                assignment_id=a.pk,
                kind=events.Kind.ASSIGNED,
                occurred_at=a.assigned_at,
                reason=f"{assigned(a)}, due {record_day(a.due_date)}.",
                dedupe_key=f"assigned:{a.pk}",
                actor_id=a.assigned_by_id,
            )
            for a in assignments
        ]
    )


@receiver(assignment_archived, dispatch_uid="escalation.assignment_archived")
def on_assignments_archived(sender, assignment_ids, reason, actor=None, **kwargs):
    label = Assignment.ArchiveReason(reason).label if reason in Assignment.ArchiveReason.values else reason
    now = timezone.now()
    events.record(
        [
            events.event_row(
                assignment_id=pk,
                kind=events.Kind.ARCHIVED,
                occurred_at=now,
                reason=f"{label}.",  # shown after the kind, "Archived: Learner left."
                dedupe_key=f"archived:{pk}",
                actor_id=actor.pk if actor else None,
            )
            for pk in assignment_ids
        ]
    )
    withdrawn_notice_queue(assignment_ids=assignment_ids, reason=reason)


@receiver(exemption_granted, dispatch_uid="escalation.exemption_granted")
def on_exemption_granted(sender, exemption, assignment_ids, **kwargs):
    until = f"until {record_day(exemption.ends_on)}" if exemption.ends_on else "until further notice"
    events.record(
        [
            events.event_row(
                assignment_id=pk,
                kind=events.Kind.EXEMPTED,
                occurred_at=timezone.now(),
                reason=f"Exempt ({exemption.get_reason_display().lower()}) from {record_day(exemption.starts_on)} {until};"
                f" approved by {exemption.approved_by.get_full_name()}.",
                dedupe_key=f"exempted:{exemption.pk}:{pk}",
                actor_id=exemption.approved_by_id,
            )
            for pk in assignment_ids
        ]
    )
