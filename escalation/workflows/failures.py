"""2. Failure follow-up.

After a failed final-assessment attempt the learner is told at once what they missed and what to
review, and (by policy) so is their manager. When attempts run out, the manager gets what went
wrong, the next steps and a retake deadline, and the learner is booked into the next review
session with room. The receivers in escalation.receivers do this the moment it happens; the
nightly run catches up anything a dead worker missed. Both insert with the same dedupe keys, so
each message exists once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Case, DateField, Exists, OuterRef, Value, When
from django.utils import timezone

from assignments.models import Assignment, Attempt, AttemptAnswer
from courses.models import Quiz
from courses.scorm.models import ScormPackage
from courses.translations.selectors import Overlay, available_languages, language_for, overlay_for
from escalation import events
from escalation.models import EscalationEvent, Notification
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import policy_for_course
from escalation.workflows.common import Summary, chunks
from lms.audit import audit_record_many, label_of
from lms.dates import record_day
from lms.models import AuditEntry
from lms.scores import score_text

CATCH_UP = dt.timedelta(days=14)


def _missed_rows_by_attempt(attempt_ids: list[int]) -> dict[int, list[tuple]]:
    missed: dict[int, list[tuple]] = defaultdict(list)
    rows = AttemptAnswer.objects.filter(attempt_id__in=attempt_ids, is_correct=False).values_list(
        "attempt_id",
        "question_id",
        "question__text",
        "question__objective_id",
        "question__objective__title",
        "question__remediation_module_id",
        "question__remediation_module__title",
        "question__remediation_resource_id",
        "question__remediation_resource__title",
    )
    for attempt_id, *row in rows:
        missed[attempt_id].append(tuple(row))
    return missed


def _missed(rows: list[tuple], overlay: Overlay) -> list[dict]:
    """What an attempt missed, its course texts in the overlay's language (the reader's)."""
    missed = []
    for question_id, text, objective_id, objective, module_id, module, resource_id, resource in rows:
        objective = overlay.value("module", objective_id, "title", objective) if objective_id else ""
        module = overlay.value("module", module_id, "title", module) if module_id else ""
        resource = overlay.value("resource", resource_id, "title", resource) if resource_id else ""
        missed.append(
            {
                "question": overlay.value("question", question_id, "text", text),
                "objective": objective or "",
                "review": module or resource or "",
            }
        )
    return missed


class _Languages:
    """The course texts of a failure message in its reader's language: the learner reads them in
    the language they took the attempt in, a manager in theirs when the course has it complete
    (courses.translations.selectors.language_for), else in the course's own. One overlay query per
    course and language, one read of a course's available languages."""

    def __init__(self) -> None:
        self._available: dict[int, list[str]] = {}
        self._overlays: dict[tuple[int, str], Overlay] = {}

    def for_person(self, person, course) -> str:
        if course.pk not in self._available:
            self._available[course.pk] = available_languages(course)
        return language_for(getattr(person, "locale", None), course, self._available[course.pk])

    def overlay(self, course, language: str) -> Overlay:
        key = (course.pk, language)
        if key not in self._overlays:
            self._overlays[key] = overlay_for(course, language)
        return self._overlays[key]

    def read_in(self, language: str, *, context: dict, course, rows: list[tuple]) -> dict:
        """``context`` with the course's title and what was missed in ``language``."""
        overlay = self.overlay(course, language)
        missed = _missed(rows, overlay)
        return {
            **context,
            "course": overlay.value("course", course.pk, "title", course.title),
            "missed": missed,
            "missed_objectives": sorted({m["objective"] for m in missed if m["objective"]}),
            "content_language": language,
        }


def attempt_failure_messages(attempt_ids: list[int]) -> tuple[list[Outgoing], list]:
    attempts = list(
        Attempt.objects.filter(
            pk__in=attempt_ids, status=Attempt.Status.SUBMITTED, passed=False, quiz__kind=Quiz.Kind.FINAL
        ).select_related("assignment__learner__manager", "assignment__course", "quiz__course")
    )
    missed_rows = _missed_rows_by_attempt([a.pk for a in attempts])
    languages = _Languages()
    # A SCORM package's attempt: the LMS showed a score only, the package its own feedback (if any).
    packaged = set(
        ScormPackage.objects.filter(quiz_id__in={a.quiz_id for a in attempts}).values_list("quiz_id", flat=True)
    )
    messages, event_rows = [], []
    policies: dict[str, object] = {}
    for attempt in attempts:
        assignment = attempt.assignment
        learner = assignment.learner
        code = assignment.course_code
        if code not in policies:
            policies[code] = policy_for_course(code)
        policy = policies[code]
        course = assignment.course
        main = Overlay(course.pk, course.language, {})
        # The case file keeps the course's own texts; each reader gets theirs (_Languages).
        objectives = sorted({m["objective"] for m in _missed(missed_rows[attempt.pk], main) if m["objective"]})
        context = {
            "learner": learner.get_full_name(),
            "first_name": learner.first_name,
            "course": course.title,
            "course_code": code,
            "attempt": attempt.number,
            "attempt_id": attempt.pk,  # the result page the message links to (escalation.links)
            "score": str(attempt.score),
            "pass_mark": attempt.quiz.effective_pass_mark,
            "missed_objectives": objectives,
            "from_package": attempt.quiz_id in packaged,
            "due_date": assignment.due_date.isoformat(),
            "reason": f"attempt {attempt.number} failed ({score_text(attempt.score)}%)",
        }

        rows = missed_rows[attempt.pk]
        if policy is None or policy.notify_learner_on_fail:
            messages.append(
                Outgoing(
                    learner.pk,
                    Notification.Kind.ATTEMPT_FAILED,
                    f"attempt_failed:{attempt.pk}:learner",
                    languages.read_in(attempt.language or course.language, context=context, course=course, rows=rows),
                    assignment.pk,
                )
            )
        if (policy is None or policy.notify_manager_on_fail) and learner.manager_id:
            messages.append(
                Outgoing(
                    learner.manager_id,
                    Notification.Kind.MANAGER_ATTEMPT_FAILED,
                    f"attempt_failed:{attempt.pk}:manager",
                    languages.read_in(
                        languages.for_person(learner.manager, course), context=context, course=course, rows=rows
                    ),
                    assignment.pk,
                )
            )
        event_rows.append(
            events.event_row(
                assignment_id=assignment.pk,
                kind=EscalationEvent.Kind.ATTEMPT_FAILED,
                occurred_at=attempt.submitted_at or timezone.now(),
                dedupe_key=f"attempt_failed:{attempt.pk}",
                reason=f"Attempt {attempt.number} scored {score_text(attempt.score)}%"
                f" (pass mark {attempt.quiz.effective_pass_mark}%)"
                + (f"; missed: {', '.join(objectives)}" if objectives else "."),
                detail={
                    "attempt": attempt.pk,
                    "missed_objectives": objectives,
                    "manager_told": bool(learner.manager_id and (policy is None or policy.notify_manager_on_fail)),
                },
            )
        )
    return messages, event_rows


def follow_up_attempts(
    attempt_ids: list[int], *, dry_run: bool = False, summary: Summary | None = None
) -> list[Outgoing]:
    """Tell of failed attempts; returns the new messages (and adds them, with the case-file events
    written, to ``summary`` when given)."""
    messages, event_rows = attempt_failure_messages(attempt_ids)
    recorded = 0
    with transaction.atomic():
        new = enqueue(messages, dry_run=dry_run)
        if not dry_run:
            recorded = events.record(event_rows, count=summary is not None)
    if summary is not None:
        summary.add(new, events=recorded)
    return new


def follow_up_exhausted(
    assignment_ids: list[int],
    *,
    as_of: dt.datetime | None = None,
    dry_run: bool = False,
    summary: Summary | None = None,
) -> list[Outgoing]:
    """Retake deadline, manager email and review booking for assignments whose attempts ran out.
    Returns the new messages; ``summary``, when given, gets them with the review bookings' and the
    case-file events written.

    Set-based for a batch: a few queries for the batch, plus one booking transaction per learner
    newly told (sessions are locked while booking) when review sessions with room exist.
    """
    from escalation.models import ReviewBooking, ReviewSession
    from escalation.reviews import review_book_next

    as_of = as_of or timezone.now()
    assignments = list(
        Assignment.objects.filter(pk__in=assignment_ids, status=Assignment.Status.FAILED, archived_at__isnull=True)
        .select_related("learner__manager", "course")
        .order_by("pk")
    )
    if not assignments:
        return []
    languages = _Languages()
    policies: dict[str, object] = {}
    for assignment in assignments:
        if assignment.course_code not in policies:
            policies[assignment.course_code] = policy_for_course(assignment.course_code)
    last_attempts = {}
    for attempt in Attempt.objects.filter(
        assignment_id__in=[a.pk for a in assignments], status=Attempt.Status.SUBMITTED, quiz__kind=Quiz.Kind.FINAL
    ).order_by("assignment_id", "number"):
        last_attempts[attempt.assignment_id] = attempt
    missed_rows = _missed_rows_by_attempt([a.pk for a in last_attempts.values()])

    messages, event_rows, deadlines = [], [], {}
    # A batch's retake deadlines are a few dates: each is written out once (record_day is slow).
    deadline_words: dict[dt.date, str] = {}
    for assignment in assignments:
        policy = policies[assignment.course_code]
        learner = assignment.learner
        key = (
            f"exhausted:{assignment.pk}:{assignment.failed_at:%Y%m%d%H%M%S}"
            if assignment.failed_at
            else (f"exhausted:{assignment.pk}:0")
        )
        if assignment.retake_deadline is None and policy is not None:
            assignment.retake_deadline = max(as_of.date(), assignment.due_date) + dt.timedelta(
                days=policy.retake_deadline_days
            )
            deadlines[assignment.pk] = assignment.retake_deadline
        attempt = last_attempts.get(assignment.pk)
        course = assignment.course
        rows = missed_rows.get(attempt.pk, []) if attempt else []
        # The case file keeps the course's own texts; each reader gets theirs (_Languages).
        items = _missed(rows, Overlay(course.pk, course.language, {}))
        objectives = sorted({m["objective"] for m in items if m["objective"]})
        context = {
            "learner": learner.get_full_name(),
            "first_name": learner.first_name,
            "course": assignment.course.title,
            "course_code": assignment.course_code,
            "attempts": attempt.number if attempt else 0,
            "score": str(attempt.score) if attempt else "",
            "missed": items,
            "missed_objectives": objectives,
            "retake_deadline": assignment.retake_deadline.isoformat() if assignment.retake_deadline else "",
            "review_sessions": bool(policy and policy.book_review_session),
            "reason": "attempts used up",
        }
        language = (attempt.language if attempt else "") or course.language
        messages.append(
            Outgoing(
                learner.pk,
                Notification.Kind.ATTEMPTS_EXHAUSTED,
                f"{key}:learner",
                languages.read_in(language, context=context, course=course, rows=rows),
                assignment.pk,
            )
        )
        if learner.manager_id and (policy is None or policy.notify_manager_on_exhausted):
            messages.append(
                Outgoing(
                    learner.manager_id,
                    Notification.Kind.MANAGER_ATTEMPTS_EXHAUSTED,
                    f"{key}:manager",
                    languages.read_in(
                        languages.for_person(learner.manager, course), context=context, course=course, rows=rows
                    ),
                    assignment.pk,
                )
            )
        event_rows.append(
            events.event_row(
                assignment_id=assignment.pk,
                kind=EscalationEvent.Kind.ATTEMPTS_EXHAUSTED,
                occurred_at=as_of,
                dedupe_key=key,
                reason="All allowed attempts used without passing"
                + (f"; missed: {', '.join(objectives)}" if objectives else "")
                + (
                    f". Retake deadline {_day_words(deadline_words, assignment.retake_deadline)}."
                    if assignment.retake_deadline
                    else "."
                ),
                detail={"missed_objectives": objectives},
            )
        )
    with transaction.atomic():
        new = enqueue(messages, dry_run=dry_run)
        if dry_run:
            if summary is not None:
                summary.add(new)
            return new
        # Only where still unset: a concurrent follow-up keeps the first deadline it set. One
        # UPDATE for the batch, each row given the deadline worked out above.
        unset = sorted(
            Assignment.objects.select_for_update()
            .filter(pk__in=list(deadlines), retake_deadline__isnull=True)
            .values_list("pk", flat=True)
        )
        by_deadline: dict[dt.date, list[int]] = defaultdict(list)
        for pk in unset:
            by_deadline[deadlines[pk]].append(pk)
        if unset:
            _set_retake_deadlines(unset, deadlines, by_deadline)
        audit_record_many(
            actor=None,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(Assignment),
            entries=[(pk, {"retake_deadline": [None, deadlines[pk]]}) for pk in unset],
            reason="Attempts used up: retake deadline set by the escalation policy.",
            at=as_of,
        )
        recorded = events.record(event_rows, count=summary is not None)
    told = {m.assignment_id for m in new if m.kind == Notification.Kind.ATTEMPTS_EXHAUSTED}
    wants_review = [
        a
        for a in assignments
        if a.pk in told and policies[a.course_code] is not None and policies[a.course_code].book_review_session
    ]
    booked = 0
    if wants_review and ReviewSession.objects.filter(starts_at__gt=as_of).exists():
        already = set(
            ReviewBooking.objects.filter(
                assignment__in=wants_review, session__starts_at__gt=as_of, attended__isnull=True
            ).values_list("assignment_id", flat=True)
        )
        for assignment in wants_review:
            if review_book_next(assignment=assignment, after=as_of) is not None and assignment.pk not in already:
                booked += 1  # a new booking: its invitation and its case-file event
    if summary is not None:
        summary.add(new, events=recorded + booked, review_bookings=booked)
        summary.add_counts(notifications=booked)
    return new


def _day_words(cache: dict[dt.date, str], day: dt.date) -> str:
    if day not in cache:
        cache[day] = record_day(day)
    return cache[day]


def _set_retake_deadlines(pks: list[int], deadlines: dict[int, dt.date], by_deadline: dict[dt.date, list[int]]) -> None:
    """Each row's own deadline, in one UPDATE. On PostgreSQL the (id, deadline) pairs are two
    arrays joined by id: a CASE of one id list per deadline is evaluated for every row, a quarter
    of a second per 2,000 rows."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Assignment._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS a SET retake_deadline = r.deadline "
                "FROM unnest(%s::bigint[], %s::date[]) AS r(id, deadline) WHERE a.id = r.id",
                [pks, [deadlines[pk] for pk in pks]],
            )
        return
    Assignment.objects.filter(pk__in=pks).update(
        retake_deadline=Case(
            *(When(pk__in=ids, then=Value(deadline)) for deadline, ids in by_deadline.items()),
            output_field=DateField(),
        )
    )


def run_failure_followup(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("failure_followup", dry_run)
    since = as_of - CATCH_UP
    attempt_ids = Attempt.objects.filter(
        status=Attempt.Status.SUBMITTED,
        passed=False,
        quiz__kind=Quiz.Kind.FINAL,
        submitted_at__gte=since,
        submitted_at__lte=as_of,
        assignment__archived_at__isnull=True,
    ).values_list("pk", flat=True)
    for batch in chunks(attempt_ids.order_by("pk").iterator(chunk_size=2000)):
        follow_up_attempts(batch, dry_run=dry_run, summary=summary)
    already_followed_up = EscalationEvent.objects.filter(
        assignment_id=OuterRef("pk"),
        kind=EscalationEvent.Kind.ATTEMPTS_EXHAUSTED,
        occurred_at__gte=OuterRef("failed_at"),
    )
    exhausted_ids = (
        Assignment.objects.filter(
            status=Assignment.Status.FAILED, archived_at__isnull=True, failed_at__gte=since, failed_at__lte=as_of
        )
        .exclude(Exists(already_followed_up))
        .values_list("pk", flat=True)
    )
    for batch in chunks(exhausted_ids.order_by("pk").iterator(chunk_size=2000)):
        follow_up_exhausted(batch, as_of=as_of, dry_run=dry_run, summary=summary)
    return summary
