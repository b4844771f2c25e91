"""Reads for a learner's own training: active assignments with their derived state and progress,
and the history of every completion.

The state of an assignment is derived, never stored:

1. ``completed`` when the assignment has a completion; ``expiring`` when that completion expires
   within the course's recertification window of today; ``expired`` after its expiry date;
2. ``exempt`` when an exemption covers today for this course code (or all courses) and is not
   revoked: an exempt learner is excused, never failed or overdue (DESIGN), the same rule as the
   reports (reports/selectors/state.py);
3. ``failed`` when the attempts ran out (status failed);
4. ``overdue`` when today, in the learner's time zone, is after the due date;
5. ``due`` otherwise.

``with_learner_state(qs, today=...)`` annotates any assignment queryset with ``state`` (and its
inputs) in SQL, so lists and reports can filter and count by state; ``derive_state`` is the same
rule in Python for one assignment whose inputs are already known.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import (
    Case,
    Count,
    F,
    Func,
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

from assignments.models import Assignment, Completion
from assignments.selectors import exemption_covering
from courses.models import Module, ModuleProgress


class LearnerState(models.TextChoices):
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")
    FAILED = "failed", _("Failed")
    COMPLETED = "completed", _("Completed")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")
    EXEMPT = "exempt", _("Exempt")


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


class DateMinusDays(Func):
    """``date - n days`` with ``n`` from a column, the same on SQLite and PostgreSQL."""

    output_field = models.DateField()
    arity = 2
    arg_joiner = " - "  # PostgreSQL: date - integer is a date
    template = "(%(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '-' || ", **extra
        )


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
    """The learner-facing state of one assignment (see the module docstring for the rule)."""
    if has_completion or status == Assignment.Status.COMPLETED:
        if expires_on is not None:
            if today > expires_on:
                return LearnerState.EXPIRED
            if today >= expires_on - dt.timedelta(days=window_days):
                return LearnerState.EXPIRING
        return LearnerState.COMPLETED
    if exempt:
        return LearnerState.EXEMPT
    if status == Assignment.Status.FAILED:
        return LearnerState.FAILED
    if today > due_date:
        return LearnerState.OVERDUE
    return LearnerState.DUE


def with_learner_state(qs: QuerySet[Assignment], *, today: dt.date) -> QuerySet[Assignment]:
    """Annotate assignments with ``state`` and its inputs, and with ``progress_percent``.

    ``today`` is the caller's choice: the learner's own date for their home page, the reporting
    date for a report across time zones.
    """
    completion = Completion.objects.filter(assignment_id=OuterRef("pk")).order_by("-completed_at")
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
    qs = qs.annotate(
        completion_id=Subquery(completion.values("pk")[:1]),
        completion_expires_on=Subquery(completion.values("expires_on")[:1]),
        is_exempt=exemption_covering(day=today),
        module_count=Coalesce(Subquery(modules, output_field=IntegerField()), Value(0)),
        modules_done=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
    )
    return (
        qs.annotate(
            expiring_from=DateMinusDays(F("completion_expires_on"), F("course__recertification_window_days")),
        )
        .annotate(
            state=Case(
                When(completion_id__isnull=False, completion_expires_on__lt=today, then=Value(LearnerState.EXPIRED)),
                When(completion_id__isnull=False, expiring_from__lte=today, then=Value(LearnerState.EXPIRING)),
                When(completion_id__isnull=False, then=Value(LearnerState.COMPLETED)),
                When(is_exempt=True, then=Value(LearnerState.EXEMPT)),
                When(status=Assignment.Status.FAILED, then=Value(LearnerState.FAILED)),
                When(due_date__lt=today, then=Value(LearnerState.OVERDUE)),
                default=Value(LearnerState.DUE),
                output_field=models.CharField(),
            ),
        )
        .annotate(
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
    )


def learner_active_assignments(*, learner, today: dt.date | None = None) -> QuerySet[Assignment]:
    """The learner's active (not archived) assignments, what needs action first, in one query."""
    today = today or learner_today(learner)
    qs = Assignment.objects.filter(learner=learner, archived_at__isnull=True).select_related("course")
    return with_learner_state(qs, today=today).order_by("state_rank", "due_date", "pk")


def learner_completion_history(*, learner, today: dt.date | None = None) -> QuerySet[Completion]:
    """Every completion the learner has, newest first, re-trained courses included, each marked
    ``is_expired`` for today (one query)."""
    today = today or learner_today(learner)
    return (
        Completion.objects.filter(learner=learner)
        .select_related("course", "learner")
        .annotate(
            is_expired=Case(
                When(expires_on__lt=today, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )
        .order_by("-completed_at", "-pk")
    )
