"""The compliance state of an assignment, as reports count it, in SQL.

It follows the learner-facing rule of ``assignments.selectors_learner`` (same vocabulary, same
expiry and recertification-window arithmetic through ``DateMinusDays``) with two differences
that reports need:

- exempt wins over every non-compliant state (expired, failed, overdue, due): an excused person is
  never counted as non-compliant (DESIGN: "Exempt learners count as excused, never as failed");
  a valid completion still counts as compliant;
- scale: the completion is a LEFT JOIN (at most one per assignment, ``completion_one_per_assignment``)
  and exemptions are matched with uncorrelated subqueries (``Excused``: hashed once per query by
  PostgreSQL) instead of correlated subqueries per row, so a million assignments are one hash join.

``with_report_state(qs, day=..., excused=..., history=...)`` annotates ``state``; with
``history=True`` it rebuilds the state as it stood at the end of ``day`` from the completion and
assignment history (completions after the day do not count, failures after the day do not count).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection, models
from django.db.models import Case, F, FilteredRelation, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment, Exemption
from assignments.selectors_learner import DateMinusDays
from lms.models import User


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


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the organisation's time zone (settings.TIME_ZONE)."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def exemptions_in_force(day: dt.date, *, history: bool = False) -> QuerySet[Exemption]:
    """The exemptions covering ``day``. Today: the rule of ``escalation.selectors.excused_on`` (not
    revoked). A past day: the periods covering it, including one revoked since (it was in force
    then) and one recorded later (the leave happened then)."""
    qs = Exemption.objects.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
    if history:
        return qs.filter(Q(revoked_at__isnull=True) | Q(revoked_at__gte=end_of_day(day)))
    return qs.filter(revoked_at__isnull=True)


@dataclass(frozen=True)
class Excused:
    """Who is excused on a day, for matching in SQL.

    The match is a subquery on the exemption table per kind of exemption (every course, or one
    course code), not lists of learner ids: PostgreSQL hashes an uncorrelated ``IN (SELECT ...)``
    once per query, and the query text stays short. With ~2,000 excused people at 1,000,000
    assignments, lists of ids cost ~27 ms per query in the driver (psycopg splitting a query of
    thousands of placeholders) plus Django compiling them, before PostgreSQL saw the query: most of
    a team leader's dashboard (214 ms then, 40-46 ms now). ``codes`` is read once (one small query) so
    that only the kinds of exemption present are matched."""

    exemptions: QuerySet[Exemption]
    codes: frozenset[str]

    def q(self) -> Q:
        """A Q matching assignments whose learner is excused (from every course, or from its course)."""
        parts = []
        if "" in self.codes:
            parts.append(Q(learner_id__in=self.exemptions.filter(course_code="").values("learner_id")))
        for code in sorted(self.codes - {""}):
            parts.append(
                Q(course_code=code, learner_id__in=self.exemptions.filter(course_code=code).values("learner_id"))
            )
        if not parts:
            return Q(pk__in=[])
        q = parts[0]
        for part in parts[1:]:
            q |= part
        return q


def excused_for(day: dt.date, *, history: bool = False) -> Excused:
    """The exemptions covering ``day`` and the course codes they are for ("" = every course): one query."""
    exemptions = exemptions_in_force(day, history=history)
    codes = frozenset(exemptions.order_by().values_list("course_code", flat=True).distinct())
    return Excused(exemptions=exemptions.order_by(), codes=codes)


def excused_q(excused: Excused) -> Q:
    return excused.q()


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
    ``report_completed_at``."""
    if history:
        completion = FilteredRelation("completions", condition=Q(completions__completed_at__lt=end_of_day(day)))
        failed = Q(failed_at__lt=end_of_day(day))
        completed_without_evidence = Q(pk__in=[])
    else:
        completion = FilteredRelation("completions")
        failed = Q(status=Assignment.Status.FAILED)
        # A completed status with no completion row (history imported before evidence was kept).
        completed_without_evidence = Q(status=Assignment.Status.COMPLETED)
    qs = qs.annotate(report_completion=completion).annotate(
        report_completion_id=F("report_completion__id"),
        report_expires_on=F("report_completion__expires_on"),
        report_completed_at=F("report_completion__completed_at"),
        report_expiring_from=DateMinusDays(
            F("report_completion__expires_on"), F("course__recertification_window_days")
        ),
    )
    valid = Q(report_completion_id__isnull=False) & (Q(report_expires_on__isnull=True) | Q(report_expires_on__gte=day))
    return qs.annotate(
        state=Case(
            When(valid & Q(report_expiring_from__lte=day), then=Value(ReportState.EXPIRING.value)),
            When(valid, then=Value(ReportState.COMPLIANT.value)),
            When(
                completed_without_evidence & Q(report_completion_id__isnull=True),
                then=Value(ReportState.COMPLIANT.value),
            ),
            When(excused_q(excused), then=Value(ReportState.EXEMPT.value)),
            When(report_completion_id__isnull=False, then=Value(ReportState.EXPIRED.value)),
            When(failed, then=Value(ReportState.FAILED.value)),
            When(due_date__lt=day, then=Value(ReportState.OVERDUE.value)),
            default=Value(ReportState.DUE.value),
            output_field=models.CharField(),
        )
    )


def id_list_sql(ids: Iterable[int]) -> RawSQL:
    """A subquery of the given ids in one parameter (an array on PostgreSQL, JSON on SQLite), so a
    list of thousands of ids costs neither thousands of placeholders nor a long IN list, and the
    planner knows how many there are (it cannot estimate the rows of a recursive CTE: at 1,000,000
    assignments it guessed 35,000 people below a head of 1,000 and chose a plan 6x slower)."""
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
        with connection.cursor() as cursor:
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
