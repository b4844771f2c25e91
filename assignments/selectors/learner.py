"""Reads for a learner's own training: active assignments with their compliance state and
progress, and the history of every completion.

The state is the one rule of ``assignments.state``, in the learner's words: a valid completion is
"completed" (``LearnerState``); ``today`` is the learner's own date.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment, Attempt, Completion, ModuleProgress
from assignments.state import ComplianceState, Facts, excused_for, state_of, with_compliance_state
from courses.models import Module, Quiz


class LearnerState(models.TextChoices):
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")
    FAILED = "failed", _("Failed")
    COMPLETED = "completed", _("Completed")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")
    EXEMPT = "exempt", _("Exempt")


# The learner's word for a valid completion (DESIGN's is "compliant").
LEARNER_WORDS = {ComplianceState.COMPLIANT: LearnerState.COMPLETED.value}

# The order a learner's list is shown in: what needs action first.
STATE_RANK = {
    LearnerState.FAILED: 0,
    LearnerState.OVERDUE: 1,
    LearnerState.EXPIRED: 2,
    LearnerState.DUE: 3,
    LearnerState.EXPIRING: 4,
    LearnerState.EXEMPT: 5,
    LearnerState.COMPLETED: 6,
}


def learner_today(learner) -> dt.date:
    """Today in the learner's own time zone."""
    return timezone.localdate(timezone=learner.tzinfo)


def derive_state(
    *,
    status: str,
    due_date: dt.date,
    today: dt.date,
    has_completion: bool = False,
    expires_on: dt.date | None = None,
    window_days: int = 0,
    exempt: bool = False,
) -> str:
    """The learner-facing state of one assignment whose inputs are already known (the same rule)."""
    facts = Facts(
        status=status,
        due_date=due_date,
        has_completion=has_completion,
        expires_on=expires_on,
        window_days=window_days,
        excused=exempt,
    )
    return LearnerState(state_of(facts, day=today, words=LEARNER_WORDS))


def with_learner_state(qs: QuerySet[Assignment], *, today: dt.date) -> QuerySet[Assignment]:
    """Annotate assignments with ``state`` (in the learner's words), ``state_rank`` (what needs
    action first), ``is_exempt``, ``completion_id``, ``completion_expires_on`` and
    ``progress_percent``.

    ``today`` is the caller's choice: the learner's own date for their home page, the reporting
    date for a report across time zones.
    """
    modules = (
        Module.objects.filter(course_id=OuterRef("course_id"))
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    done = (
        ModuleProgress.objects.filter(assignment_id=OuterRef("pk"))
        .filter(Q(completed_at__isnull=False) | Q(tested_out=True))
        .order_by()
        .values("assignment_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    excused = excused_for(today, read_codes=False)
    qs = with_compliance_state(qs, day=today, excused=excused, words=LEARNER_WORDS).annotate(
        completion_id=F("report_completion_id"),
        completion_expires_on=F("report_expires_on"),
        is_exempt=ExpressionWrapper(excused.q(), output_field=models.BooleanField()),
        module_count=Coalesce(Subquery(modules, output_field=IntegerField()), Value(0)),
        modules_done=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
    )
    return qs.annotate(
        state_rank=Case(
            *[When(state=state, then=Value(rank)) for state, rank in STATE_RANK.items()],
            output_field=IntegerField(),
        ),
        progress_percent=Case(
            When(completion_id__isnull=False, then=Value(100)),
            When(module_count=0, then=Value(0)),
            default=F("modules_done") * 100 / F("module_count"),
            output_field=IntegerField(),
        ),
    )


def learner_active_assignments(*, learner, today: dt.date | None = None) -> QuerySet[Assignment]:
    """The learner's active (not archived) assignments, what needs action first, in one query."""
    today = today or learner_today(learner)
    qs = Assignment.objects.filter(learner=learner, archived_at__isnull=True).select_related("course", "learner")
    return with_learner_state(qs, today=today).order_by("state_rank", "due_date", "pk")


def attach_final_outcomes(assignments: list[Assignment], *, now: dt.datetime | None = None) -> list[Assignment]:
    """Mark each open assignment that has a submitted attempt at its final assessment with
    ``outcome``: the last attempt (``last``: number, score, passed, submitted_at), the pass mark,
    and where the learner stands (``allowance``: attempts left, a cooldown's end, an attempt open),
    so their card can say what happened and what to do next; and each open assignment with an
    attempt at its final assessment open, before any is submitted, with ``open_attempt_id`` (its
    card continues that attempt). Two queries for any number of assignments (final quizzes, their
    attempts)."""
    from assignments.services.attempts import allowance_from_rows

    now = now or timezone.now()
    open_ones = [a for a in assignments if a.completion_id is None and a.archived_at is None]
    for assignment in assignments:
        assignment.outcome = None
        assignment.open_attempt_id = None
    if not open_ones:
        return assignments
    finals = {
        quiz.course_id: quiz
        for quiz in Quiz.objects.filter(course_id__in={a.course_id for a in open_ones}, kind=Quiz.Kind.FINAL)
    }
    rows: dict[int, list[dict]] = {}
    for row in (
        Attempt.objects.filter(assignment_id__in=[a.pk for a in open_ones], quiz__kind=Quiz.Kind.FINAL)
        .order_by("assignment_id", "number")
        .values("assignment_id", "quiz_id", "pk", "number", "status", "submitted_at", "score", "passed")
    ):
        rows.setdefault(row["assignment_id"], []).append(row)
    for assignment in open_ones:
        quiz = finals.get(assignment.course_id)
        attempts = [row for row in rows.get(assignment.pk, []) if quiz is not None and row["quiz_id"] == quiz.pk]
        submitted = [row for row in attempts if row["status"] == Attempt.Status.SUBMITTED]
        assignment.open_attempt_id = next(
            (row["pk"] for row in attempts if row["status"] == Attempt.Status.IN_PROGRESS), None
        )
        if not submitted:
            continue
        quiz.course = assignment.course
        assignment.outcome = {
            "last": submitted[-1],
            "quiz": quiz,
            "pass_mark": quiz.effective_pass_mark,
            "allowance": allowance_from_rows(assignment, quiz, attempts, now=now),
        }
    return assignments


def learner_state_of(*, assignment: Assignment) -> str:
    """One assignment's state in the learner's words, on the learner's own date (one query)."""
    today = learner_today(assignment.learner)
    qs = with_learner_state(Assignment.objects.filter(pk=assignment.pk), today=today)
    return qs.values_list("state", flat=True).get()


def learner_completion_history(*, learner, today: dt.date | None = None) -> QuerySet[Completion]:
    """Every completion the learner has, newest first, re-trained courses included, each marked
    ``is_expired`` for today and with ``attempt_language``, the language of the course texts its
    attempt was taken in (empty without an attempt: the course's own) (one query)."""
    today = today or learner_today(learner)
    return (
        Completion.objects.filter(learner=learner)
        .select_related("course", "learner")
        .annotate(
            attempt_language=F("attempt__language"),
            is_expired=Case(
                When(expires_on__lt=today, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            ),
        )
        .order_by("-completed_at", "-pk")
    )
