"""2. Failure follow-up.

After a failed final-assessment attempt the learner is told at once what they missed and what to
review, and (by policy) so is their manager. When attempts run out, the manager gets what went
wrong, the next steps and a retake deadline, and the learner is booked into the next review
session with room. The receivers in escalation.receivers do this the moment it happens; the
nightly run catches up anything a dead worker missed. Both insert with the same dedupe keys, so
each message exists once.

The catch-up reads plain rows, not model instances (the assignments whose attempts ran out come
with their learner's name and manager in the query that finds them), reads each policy, course and
course translation once per run, and on PostgreSQL writes a batch's outbox rows and case-file
events as one JSON document each, ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` the keys
(``lms.bulk.insert_new_rows``): the new rows are known without first reading the keys already there. A batch is
one transaction (messages, retake deadlines, their audit rows, events), as before. Elsewhere
(SQLite) the same rows go through escalation.outbox.enqueue and escalation.events.record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Case, DateField, Exists, F, OuterRef, Value, When
from django.utils import timezone

from assignments.models import Assignment, Attempt, AttemptAnswer
from courses.models import Course, Quiz
from courses.scorm.models import ScormPackage
from courses.translations.selectors import Overlay, available_languages, language_for, overlay_for
from escalation import events
from escalation.models import EscalationEvent, Notification
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import policy_for_course
from escalation.workflows.common import Summary, chunks, full_name
from lms.audit import audit_record_many, audit_rows, label_of
from lms.bulk import insert_new_rows
from lms.dates import record_day
from lms.lookups import AnyOf
from lms.models import AuditEntry
from lms.scores import score_text

CATCH_UP = dt.timedelta(days=14)


def _missed_rows_by_attempt(attempt_ids: list[int]) -> dict[int, list[tuple]]:
    missed: dict[int, list[tuple]] = defaultdict(list)
    rows = AttemptAnswer.objects.filter(AnyOf(F("attempt_id"), list(attempt_ids)), is_correct=False).values_list(
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
        self._chosen: dict[tuple[int, str | None], str] = {}

    def for_person(self, person, course) -> str:
        return self.for_locale(getattr(person, "locale", None), course)

    def for_locale(self, locale: str | None, course) -> str:
        key = (course.pk, locale)
        if key not in self._chosen:
            if course.pk not in self._available:
                self._available[course.pk] = available_languages(course)
            self._chosen[key] = language_for(locale, course, self._available[course.pk])
        return self._chosen[key]

    def overlay(self, course, language: str) -> Overlay:
        key = (course.pk, language)
        if key not in self._overlays:
            self._overlays[key] = overlay_for(course, language)
        return self._overlays[key]

    def read_in(
        self, language: str, *, context: dict, course, rows: list[tuple], main: list[dict] | None = None
    ) -> dict:
        """``context`` with the course's title and what was missed in ``language``; ``main``, when
        given, is what was missed in the course's own language (``_missed`` of ``rows``), reused
        for a reader of that language."""
        overlay = self.overlay(course, language)
        missed = main if main is not None and language == course.language else _missed(rows, overlay)
        return {
            **context,
            "course": overlay.value("course", course.pk, "title", course.title),
            "missed": missed,
            "missed_objectives": sorted({m["objective"] for m in missed if m["objective"]}),
            "content_language": language,
        }


class _Reads:
    """What a run reads once however many batches it has: each course code's policy, each course,
    and the courses' texts in each language (``_Languages``)."""

    def __init__(self) -> None:
        self.languages = _Languages()
        self._policies: dict[str, object] = {}
        self._courses: dict[int, Course] = {}

    def policy(self, course_code: str):
        if course_code not in self._policies:
            self._policies[course_code] = policy_for_course(course_code)
        return self._policies[course_code]

    def courses(self, course_ids) -> dict[int, Course]:
        missing = set(course_ids) - self._courses.keys()
        if missing:
            self._courses.update(Course.objects.in_bulk(missing))
        return self._courses


def attempt_failure_messages(attempt_ids: list[int]) -> tuple[list[Outgoing], list]:
    messages, event_rows = _attempt_failures(attempt_ids, _Reads())
    return messages, [events.event_row(**row) for row in event_rows]


def _attempt_failures(attempt_ids: list[int], reads: _Reads) -> tuple[list[Outgoing], list[dict]]:
    """The messages and case-file event rows (``events.event_row``'s arguments) of failed attempts."""
    attempts = list(
        Attempt.objects.filter(
            pk__in=attempt_ids, status=Attempt.Status.SUBMITTED, passed=False, quiz__kind=Quiz.Kind.FINAL
        ).select_related("assignment__learner__manager", "assignment__course", "quiz__course")
    )
    if not attempts:
        return [], []
    missed_rows = _missed_rows_by_attempt([a.pk for a in attempts])
    languages = reads.languages
    # A SCORM package's attempt: the LMS showed a score only, the package its own feedback (if any).
    packaged = set(
        ScormPackage.objects.filter(quiz_id__in={a.quiz_id for a in attempts}).values_list("quiz_id", flat=True)
    )
    messages, event_rows = [], []
    for attempt in attempts:
        assignment = attempt.assignment
        learner = assignment.learner
        code = assignment.course_code
        policy = reads.policy(code)
        course = assignment.course
        rows = missed_rows[attempt.pk]
        # The case file keeps the course's own texts; each reader gets theirs (_Languages).
        main = _missed(rows, Overlay(course.pk, course.language, {}))
        objectives = sorted({m["objective"] for m in main if m["objective"]})
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

        if policy is None or policy.notify_learner_on_fail:
            messages.append(
                Outgoing(
                    learner.pk,
                    Notification.Kind.ATTEMPT_FAILED,
                    f"attempt_failed:{attempt.pk}:learner",
                    languages.read_in(
                        attempt.language or course.language, context=context, course=course, rows=rows, main=main
                    ),
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
                        languages.for_person(learner.manager, course),
                        context=context,
                        course=course,
                        rows=rows,
                        main=main,
                    ),
                    assignment.pk,
                )
            )
        event_rows.append(
            {
                "assignment_id": assignment.pk,
                "kind": EscalationEvent.Kind.ATTEMPT_FAILED,
                "occurred_at": attempt.submitted_at or timezone.now(),
                "dedupe_key": f"attempt_failed:{attempt.pk}",
                "reason": f"Attempt {attempt.number} scored {score_text(attempt.score)}%"
                f" (pass mark {attempt.quiz.effective_pass_mark}%)"
                + (f"; missed: {', '.join(objectives)}" if objectives else "."),
                "detail": {
                    "attempt": attempt.pk,
                    "missed_objectives": objectives,
                    "manager_told": bool(learner.manager_id and (policy is None or policy.notify_manager_on_fail)),
                },
            }
        )
    return messages, event_rows


def follow_up_attempts(
    attempt_ids: list[int], *, dry_run: bool = False, summary: Summary | None = None
) -> list[Outgoing]:
    """Tell of failed attempts; returns the new messages (and adds them, with the case-file events
    written, to ``summary`` when given)."""
    return _follow_up_attempts(attempt_ids, dry_run=dry_run, summary=summary, reads=_Reads())


def _follow_up_attempts(
    attempt_ids: list[int], *, dry_run: bool, summary: Summary | None, reads: _Reads
) -> list[Outgoing]:
    messages, event_rows = _attempt_failures(attempt_ids, reads)
    recorded = 0
    with transaction.atomic():
        new = _enqueue(messages, dry_run=dry_run)
        if not dry_run:
            recorded = _record(event_rows, count=summary is not None)
    if summary is not None:
        summary.add(new, events=recorded)
    return new


# What follow_up_exhausted reads of an assignment whose attempts ran out (and of its learner).
_EXHAUSTED_COLUMNS = (
    "pk",
    "course_code",
    "course_id",
    "failed_at",
    "retake_deadline",
    "due_date",
    "learner_id",
    "learner__first_name",
    "learner__last_name",
    "learner__manager_id",
    "learner__manager__locale",
)


def _exhausted_rows(assignments):
    return assignments.order_by("pk").values_list(*_EXHAUSTED_COLUMNS)


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
    rows = list(
        _exhausted_rows(
            Assignment.objects.filter(pk__in=assignment_ids, status=Assignment.Status.FAILED, archived_at__isnull=True)
        )
    )
    return _follow_up_exhausted(rows, as_of=as_of or timezone.now(), dry_run=dry_run, summary=summary, reads=_Reads())


def _follow_up_exhausted(
    rows: list[tuple], *, as_of: dt.datetime, dry_run: bool, summary: Summary | None, reads: _Reads
) -> list[Outgoing]:
    """``follow_up_exhausted`` of assignments read as ``_exhausted_rows``."""
    from escalation.models import ReviewBooking, ReviewSession
    from escalation.reviews import review_book_next

    if not rows:
        return []
    last_attempts: dict[int, tuple] = {}
    for assignment_id, *attempt in (
        Attempt.objects.filter(
            AnyOf(F("assignment_id"), [row[0] for row in rows]),
            status=Attempt.Status.SUBMITTED,
            quiz__kind=Quiz.Kind.FINAL,
        )
        .order_by("assignment_id", "number")
        .values_list("assignment_id", "pk", "number", "score", "language")
    ):
        last_attempts[assignment_id] = tuple(attempt)
    missed_rows = _missed_rows_by_attempt([attempt[0] for attempt in last_attempts.values()])
    courses = reads.courses({row[2] for row in rows})
    languages = reads.languages

    messages, event_rows, deadlines = [], [], {}
    # A batch's retake deadlines are a few dates: each is written out once (record_day is slow).
    deadline_words: dict[dt.date, str] = {}
    today = as_of.date()
    for pk, code, course_id, failed_at, deadline, due_date, learner_id, first, last, manager_id, locale in rows:
        policy = reads.policy(code)
        key = f"exhausted:{pk}:{failed_at:%Y%m%d%H%M%S}" if failed_at else f"exhausted:{pk}:0"
        if deadline is None and policy is not None:
            deadline = max(today, due_date) + dt.timedelta(days=policy.retake_deadline_days)
            deadlines[pk] = deadline
        attempt = last_attempts.get(pk)
        course = courses[course_id]
        missed = missed_rows.get(attempt[0], []) if attempt else []
        # The case file keeps the course's own texts; each reader gets theirs (_Languages).
        main = _missed(missed, Overlay(course.pk, course.language, {}))
        objectives = sorted({m["objective"] for m in main if m["objective"]})
        context = {
            "learner": full_name(first, last),
            "first_name": first,
            "course": course.title,
            "course_code": code,
            "attempts": attempt[1] if attempt else 0,
            "score": str(attempt[2]) if attempt else "",
            "missed": main,
            "missed_objectives": objectives,
            "retake_deadline": deadline.isoformat() if deadline else "",
            "review_sessions": bool(policy and policy.book_review_session),
            "reason": "attempts used up",
        }
        language = (attempt[3] if attempt else "") or course.language
        messages.append(
            Outgoing(
                learner_id,
                Notification.Kind.ATTEMPTS_EXHAUSTED,
                f"{key}:learner",
                languages.read_in(language, context=context, course=course, rows=missed, main=main),
                pk,
            )
        )
        if manager_id and (policy is None or policy.notify_manager_on_exhausted):
            messages.append(
                Outgoing(
                    manager_id,
                    Notification.Kind.MANAGER_ATTEMPTS_EXHAUSTED,
                    f"{key}:manager",
                    languages.read_in(
                        languages.for_locale(locale, course), context=context, course=course, rows=missed, main=main
                    ),
                    pk,
                )
            )
        event_rows.append(
            {
                "assignment_id": pk,
                "kind": EscalationEvent.Kind.ATTEMPTS_EXHAUSTED,
                "occurred_at": as_of,
                "dedupe_key": key,
                "reason": "All allowed attempts used without passing"
                + (f"; missed: {', '.join(objectives)}" if objectives else "")
                + (f". Retake deadline {_day_words(deadline_words, deadline)}." if deadline else "."),
                "detail": {"missed_objectives": objectives},
            }
        )
    with transaction.atomic():
        new = _enqueue(messages, dry_run=dry_run)
        if dry_run:
            if summary is not None:
                summary.add(new)
            return new
        # Only where still unset: a concurrent follow-up keeps the first deadline it set.
        unset = _set_retake_deadlines(deadlines)
        _audit_deadlines([(pk, {"retake_deadline": [None, deadlines[pk]]}) for pk in unset], at=as_of)
        recorded = _record(event_rows, count=summary is not None)
    told = {m.assignment_id for m in new if m.kind == Notification.Kind.ATTEMPTS_EXHAUSTED}
    wants_review = [
        row[0]
        for row in rows
        if row[0] in told and reads.policy(row[1]) is not None and reads.policy(row[1]).book_review_session
    ]
    booked = 0
    if wants_review and ReviewSession.objects.filter(starts_at__gt=as_of).exists():
        already = set(
            ReviewBooking.objects.filter(
                assignment__in=wants_review, session__starts_at__gt=as_of, attended__isnull=True
            ).values_list("assignment_id", flat=True)
        )
        for assignment in (
            Assignment.objects.filter(pk__in=wants_review).select_related("learner__manager", "course").order_by("pk")
        ):
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


def _set_retake_deadlines(deadlines: dict[int, dt.date]) -> list[int]:
    """Give each assignment of ``deadlines`` whose retake deadline is still unset its own, in one
    UPDATE; returns their ids, in order. On PostgreSQL the (id, deadline) pairs are two arrays
    joined by id (a CASE of one id list per deadline is evaluated for every row, a quarter of a
    second per 2,000 rows), and the UPDATE says which rows it changed (RETURNING): its
    ``retake_deadline IS NULL`` is checked again on each row once locked."""
    if not deadlines:
        return []
    pks = sorted(deadlines)
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Assignment._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS a SET retake_deadline = r.deadline "
                "FROM unnest(%s::bigint[], %s::date[]) AS r(id, deadline) "
                "WHERE a.id = r.id AND a.retake_deadline IS NULL RETURNING a.id",
                [pks, [deadlines[pk] for pk in pks]],
            )
            return sorted(pk for (pk,) in cursor.fetchall())
    unset = sorted(
        Assignment.objects.select_for_update()
        .filter(pk__in=pks, retake_deadline__isnull=True)
        .values_list("pk", flat=True)
    )
    by_deadline: dict[dt.date, list[int]] = defaultdict(list)
    for pk in unset:
        by_deadline[deadlines[pk]].append(pk)
    if unset:
        Assignment.objects.filter(pk__in=unset).update(
            retake_deadline=Case(
                *(When(pk__in=ids, then=Value(deadline)) for deadline, ids in by_deadline.items()),
                output_field=DateField(),
            )
        )
    return unset


def _audit_deadlines(entries: list[tuple[int, dict]], *, at: dt.datetime) -> None:
    """The audit rows of retake deadlines set (``lms.audit.audit_record_many``); on PostgreSQL in
    one statement from plain rows."""
    audit = {
        "actor": None,
        "action": AuditEntry.Action.CHANGE,
        "obj_label": label_of(Assignment),
        "entries": entries,
        "reason": "Attempts used up: retake deadline set by the escalation policy.",
        "at": at,
    }
    if not entries or connection.vendor != "postgresql":
        audit_record_many(**audit)
        return
    insert_new_rows(AuditEntry, audit_rows(**audit), returning="object_id")


def _enqueue(messages: list[Outgoing], *, dry_run: bool) -> list[Outgoing]:
    """``escalation.outbox.enqueue`` of the messages (none has a ``send_after``); on PostgreSQL in
    one statement that returns the keys it inserted."""
    if not messages or dry_run or connection.vendor != "postgresql":
        return enqueue(messages, dry_run=dry_run)
    inserted = set(
        insert_new_rows(
            Notification,
            [
                {
                    "recipient_id": m.recipient_id,
                    "kind": m.kind,
                    "dedupe_key": m.dedupe_key,
                    "context": m.context,
                    "assignment_id": m.assignment_id,
                }
                for m in messages
            ],
            returning="dedupe_key",
            send_after=timezone.now(),
        )
    )
    new = []
    for message in messages:
        if message.dedupe_key in inserted:
            inserted.discard(message.dedupe_key)  # a key twice in the list: its first message
            new.append(message)
    return new


def _record(event_rows: list[dict], *, count: bool) -> int:
    """``escalation.events.record`` of event rows (``events.event_row``'s arguments); on PostgreSQL
    in one statement, which counts the new rows whether or not ``count`` asks."""
    if not event_rows or connection.vendor != "postgresql":
        return events.record([events.event_row(**row) for row in event_rows], count=count)
    return len(insert_new_rows(EscalationEvent, event_rows, returning="dedupe_key"))


def run_failure_followup(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    summary = Summary("failure_followup", dry_run)
    reads = _Reads()
    since = as_of - CATCH_UP
    attempt_ids = Attempt.objects.filter(
        status=Attempt.Status.SUBMITTED,
        passed=False,
        quiz__kind=Quiz.Kind.FINAL,
        submitted_at__gte=since,
        submitted_at__lte=as_of,
        assignment__archived_at__isnull=True,
    ).values_list("pk", flat=True)
    # Both reads are taken whole (a list of ids, then of plain rows), not through a cursor:
    # PostgreSQL plans a cursor's query for its first rows, and for the failed assignments in id
    # order that was a walk of the whole table along its primary key instead of the two weeks'
    # failures found through their index and sorted (twice the time).
    for batch in chunks(list(attempt_ids.order_by("pk"))):
        _follow_up_attempts(batch, dry_run=dry_run, summary=summary, reads=reads)
    already_followed_up = EscalationEvent.objects.filter(
        assignment_id=OuterRef("pk"),
        kind=EscalationEvent.Kind.ATTEMPTS_EXHAUSTED,
        occurred_at__gte=OuterRef("failed_at"),
    )
    exhausted = Assignment.objects.filter(
        status=Assignment.Status.FAILED, archived_at__isnull=True, failed_at__gte=since, failed_at__lte=as_of
    ).exclude(Exists(already_followed_up))
    for batch in chunks(list(_exhausted_rows(exhausted))):
        _follow_up_exhausted(batch, as_of=as_of, dry_run=dry_run, summary=summary, reads=reads)
    return summary
