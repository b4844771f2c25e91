"""The reports' side of the compliance state: their words for it, which assignments are required
on a day, and whose (``Scope``).

The state itself is the one rule of ``assignments.state`` (reports never see ``archived``: they
select the assignments required on the day instead). As of a past day (``history=True``) the rule
reads the history: see ``assignments.state``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import connection, models
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment
from assignments.state import Excused, end_of_day, excused_for, with_compliance_state
from lms.models import User
from lms.replica import read_connection


class ReportState(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    EXPIRING = "expiring", _("Expiring (in renewal window)")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Failed")
    OVERDUE = "overdue", _("Overdue")
    DUE = "due", _("Due")
    EXEMPT = "exempt", _("Exempt")


STATES = [state.value for state in ReportState]
# Compliant for the percentage: completed and not expired (the renewal window still counts).
COMPLIANT_STATES = {ReportState.COMPLIANT.value, ReportState.EXPIRING.value}
NON_COMPLIANT_STATES = {ReportState.EXPIRED.value, ReportState.FAILED.value, ReportState.OVERDUE.value}


def active_assignments(*, day: dt.date, history: bool = False) -> QuerySet[Assignment]:
    """The assignments that were required on ``day``: not archived (then), of people employed (then)."""
    if not history:
        return Assignment.objects.filter(archived_at__isnull=True, learner__is_active=True)
    end = end_of_day(day)
    return Assignment.objects.filter(
        Q(archived_at__isnull=True) | Q(archived_at__gte=end),
        Q(learner__is_active=True) | Q(learner__deactivated_at__gte=end),
        assigned_at__lt=end,
    )


def with_report_state(
    qs: QuerySet[Assignment], *, day: dt.date, excused: Excused, history: bool = False
) -> QuerySet[Assignment]:
    """Annotate ``state`` (a ReportState value), ``report_completion_id``, ``report_expires_on`` and
    ``report_completed_at``, by the one rule (``assignments.state``)."""
    return with_compliance_state(qs, day=day, excused=excused, history=history)


def id_list_sql(ids: Iterable[int]) -> RawSQL:
    """A subquery of the given ids in one parameter (an array on PostgreSQL, JSON on SQLite), so a
    list of thousands of ids costs neither thousands of placeholders nor a long IN list, and the
    planner knows how many there are (it cannot estimate the rows of a recursive CTE, and a wrong
    guess picks a plan for a chain many times the size)."""
    ids = [int(pk) for pk in ids]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


@dataclass(frozen=True)
class Scope:
    """Whose assignments a report covers: a manager's chain (direct reports or the whole sub-tree),
    or the whole organisation for admins; optionally narrowed to departments and a course.

    ``people_ids``: the sub-tree's people once read (``with_people``), so that the queries of a
    page use the list instead of each walking the reporting chain again."""

    manager_id: int | None = None
    subtree: bool = False
    department_ids: tuple[int, ...] = ()
    course_code: str = ""
    people_ids: tuple[int, ...] | None = None

    def people(self) -> QuerySet[User] | None:
        from lms.selectors import user_ids_below_sql

        if self.manager_id is None:
            return None
        if self.subtree:
            return User.objects.filter(pk__in=user_ids_below_sql(self.manager_id))
        return User.objects.filter(manager_id=self.manager_id)

    def with_people(self) -> Scope:
        """The same scope with the sub-tree's people read now (one query); other scopes unchanged."""
        if self.manager_id is None or not self.subtree or self.people_ids is not None:
            return self
        from lms.selectors import user_ids_below_sql

        below = user_ids_below_sql(self.manager_id)
        # Raw SQL: the router is asked which database reads it (the replica in a report, lms.replica).
        with read_connection(User).cursor() as cursor:
            cursor.execute(below.sql, below.params)
            ids = tuple(sorted({row[0] for row in cursor.fetchall()}))
        return replace(self, people_ids=ids)

    def filter(self, qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
        from lms.selectors import user_ids_below_sql

        if self.manager_id is not None and self.subtree and self.people_ids is not None:
            qs = qs.filter(learner_id__in=id_list_sql(self.people_ids))
        elif self.manager_id is not None and self.subtree:
            # The chain's ids straight from the recursive CTE (no second pass over the user table).
            qs = qs.filter(learner_id__in=user_ids_below_sql(self.manager_id))
        elif self.manager_id is not None:
            qs = qs.filter(learner__manager_id=self.manager_id)
        if self.department_ids:
            qs = qs.filter(learner__department_id__in=self.department_ids)
        if self.course_code:
            qs = qs.filter(course_code=self.course_code)
        return qs


def scoped_assignments(
    scope: Scope, *, day: dt.date, history: bool = False, excused: Excused | None = None
) -> QuerySet[Assignment]:
    """The required assignments in ``scope`` on ``day``, annotated with their report state."""
    excused = excused_for(day, history=history) if excused is None else excused
    qs = scope.filter(active_assignments(day=day, history=history))
    return with_report_state(qs, day=day, excused=excused, history=history)
