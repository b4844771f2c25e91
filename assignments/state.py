"""The compliance state of an assignment on a day: the one rule, written once.

Every page, list, job and report that says whether someone is compliant reads it from here: the
learner's home and course page, the admin's assignment lists and histories, the nightly workflows
(through ``exemptions_in_force``) and every report and export.

The rule, first match wins, for an assignment on day D (DESIGN, "Compliance state"):

1. ``archived``: archived, in lists that show archived rows (reports select the required
   assignments instead, so they never see this state);
2. ``expiring``: a completion still valid on D (no expiry, or expiring on or after D) and D inside
   the course's recertification window before the expiry;
3. ``compliant``: a completion still valid on D; or a completed status with no completion row
   (history imported before evidence was kept);
4. ``exempt``: an exemption in force on D for the learner, for every course or for this course
   code. Exempt wins over every state that is not compliant: an excused learner is never counted as
   expired, failed or late (DESIGN: "Exempt learners count as excused, never as failed");
5. ``expired``: a completion whose expiry is before D;
6. ``failed``: the attempts ran out (status failed);
7. ``overdue``: the due date is before D;
8. ``due`` otherwise.

``RULE`` holds that order once. Each input of the rule is one comparison, given side by side in
SQL (``_Inputs.sql``) and in Python (``_Inputs.python``); ``state_case`` compiles the rule into one SQL
``CASE`` for querysets, and ``state_of`` evaluates it for one assignment already in memory.

"As of" a past day (``history=True``) the rule reads the history: completions recorded by the end of
D, failures recorded by then, exemptions in force then (including one revoked since).

Matching exemptions: for a report over a million assignments the exemptions are matched with
uncorrelated ``IN (SELECT ...)`` subqueries, one per kind of exemption present (``excused_for``: one
small query first), which PostgreSQL hashes once per query; for a page of a few rows a correlated
``EXISTS`` needs no query first (``excused_for(day, read_codes=False)``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, FilteredRelation, Func, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment, Exemption


class ComplianceState(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    EXPIRING = "expiring", _("Expiring")
    EXPIRED = "expired", _("Expired")
    EXEMPT = "exempt", _("Exempt")
    FAILED = "failed", _("Failed")
    OVERDUE = "overdue", _("Overdue")
    DUE = "due", _("Due")
    ARCHIVED = "archived", _("Archived")


# One label per state, as every page shows it (filters, lists, badges, histories): the admin lists
# and the learner say "completed" for a valid completion, reports "compliant".
STATE_LABELS = {
    "due": _("Due"),
    "overdue": _("Overdue"),
    "failed": _("Failed"),
    "exempt": _("Exempt"),
    "completed": _("Completed"),
    ComplianceState.COMPLIANT.value: _("Compliant"),
    "expiring": _("Expiring soon"),
    "expired": _("Expired"),
    "archived": _("Archived"),
}


# The rule: (state, the inputs that must all hold), first match wins; ``due`` when none does.
RULE: list[tuple[str, tuple[str, ...]]] = [
    (ComplianceState.ARCHIVED, ("archived",)),
    (ComplianceState.EXPIRING, ("valid_completion", "in_renewal_window")),
    (ComplianceState.COMPLIANT, ("valid_completion",)),
    (ComplianceState.COMPLIANT, ("completed_without_evidence",)),
    (ComplianceState.EXEMPT, ("excused",)),
    (ComplianceState.EXPIRED, ("has_completion",)),
    (ComplianceState.FAILED, ("failed",)),
    (ComplianceState.OVERDUE, ("late",)),
]
DEFAULT_STATE = ComplianceState.DUE


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


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the organisation's time zone (settings.TIME_ZONE)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def exemptions_in_force(day: dt.date, *, history: bool = False) -> QuerySet[Exemption]:
    """The exemptions covering ``day``: started on or before it, not ended before it, not revoked.
    As of a past day (``history``): one revoked since still counts (it was in force then), and so
    does one recorded later (the leave happened then)."""
    qs = Exemption.objects.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
    if history:
        return qs.filter(Q(revoked_at__isnull=True) | Q(revoked_at__gte=end_of_day(day)))
    return qs.filter(revoked_at__isnull=True)


@dataclass(frozen=True)
class Excused:
    """Who is excused on a day, for matching assignments in SQL.

    ``codes``: the course codes exemptions in force are for ("" = every course), read once so that
    only the kinds present are matched, each with an uncorrelated subquery (no list of ids: a list
    of thousands of placeholders costs the driver more than the query). ``None``: not read; matched
    with one correlated EXISTS per row, right for a page of a few rows."""

    exemptions: QuerySet[Exemption]
    codes: frozenset[str] | None

    def q(self) -> Q:
        """A Q matching assignments whose learner is excused (from every course, or from its course)."""
        if self.codes is None:
            return Q(
                Exists(
                    self.exemptions.filter(learner_id=OuterRef("learner_id")).filter(
                        Q(course_code="") | Q(course_code=OuterRef("course_code"))
                    )
                )
            )
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


def excused_for(day: dt.date, *, history: bool = False, read_codes: bool = True) -> Excused:
    """The exemptions in force on ``day``, ready to match; ``read_codes`` reads which kinds are
    present (one small query), for the big reports."""
    exemptions = exemptions_in_force(day, history=history).order_by()
    codes = frozenset(exemptions.values_list("course_code", flat=True).distinct()) if read_codes else None
    return Excused(exemptions=exemptions, codes=codes)


class _Inputs:
    """The inputs of the rule on ``day``: each as a SQL condition and as a Python test of one
    assignment's facts (``Facts``)."""

    def __init__(self, *, day: dt.date, excused: Excused | None = None, history: bool = False):
        self.day, self.excused, self.history = day, excused, history

    def sql(self, name: str) -> Q:
        day = self.day
        valid = Q(report_completion_id__isnull=False) & (
            Q(report_expires_on__isnull=True) | Q(report_expires_on__gte=day)
        )
        if name == "archived":
            # As of a past day the required assignments are chosen by the caller (archived later).
            return Q(pk__in=[]) if self.history else Q(archived_at__isnull=False)
        if name == "valid_completion":
            return valid
        if name == "in_renewal_window":
            return Q(report_expiring_from__lte=day)
        if name == "completed_without_evidence":
            if self.history:
                return Q(pk__in=[])
            return Q(status=Assignment.Status.COMPLETED) & Q(report_completion_id__isnull=True)
        if name == "excused":
            return self.excused.q()
        if name == "has_completion":
            return Q(report_completion_id__isnull=False)
        if name == "failed":
            if self.history:
                return Q(failed_at__lt=end_of_day(day))
            return Q(status=Assignment.Status.FAILED)
        if name == "late":
            return Q(due_date__lt=day)
        raise KeyError(name)

    def python(self, name: str, facts: Facts) -> bool:
        day = self.day
        valid = facts.has_completion and (facts.expires_on is None or facts.expires_on >= day)
        if name == "archived":
            return facts.archived
        if name == "valid_completion":
            return valid
        if name == "in_renewal_window":
            return facts.expires_on is not None and day >= facts.expires_on - dt.timedelta(days=facts.window_days)
        if name == "completed_without_evidence":
            return facts.status == Assignment.Status.COMPLETED and not facts.has_completion
        if name == "excused":
            return facts.excused
        if name == "has_completion":
            return facts.has_completion
        if name == "failed":
            return facts.status == Assignment.Status.FAILED
        if name == "late":
            return facts.due_date < day
        raise KeyError(name)


@dataclass(frozen=True)
class Facts:
    """What the rule needs to know of one assignment (``state_of``)."""

    status: str
    due_date: dt.date
    has_completion: bool = False
    expires_on: dt.date | None = None
    window_days: int = 0
    excused: bool = False
    archived: bool = False


def with_completion(qs: QuerySet[Assignment], *, day: dt.date, history: bool = False) -> QuerySet[Assignment]:
    """Join each assignment's completion (at most one: ``completion_one_per_assignment``; as of a
    past day, only one recorded by then) and annotate ``report_completion_id``,
    ``report_expires_on``, ``report_completed_at`` and ``report_expiring_from`` (the first day of
    the renewal window). A LEFT JOIN, not a subquery per row: over a million rows PostgreSQL merges
    the assignments in id order with completion_assignment_idx, which carries every column of the
    completion read here, so the completions' table is not read (a column added here belongs in
    that index too; reports/tests/test_report_queries.py checks it)."""
    if history:
        completion = FilteredRelation("completions", condition=Q(completions__completed_at__lt=end_of_day(day)))
    else:
        completion = FilteredRelation("completions")
    return qs.annotate(report_completion=completion).annotate(
        report_completion_id=F("report_completion__id"),
        report_expires_on=F("report_completion__expires_on"),
        report_completed_at=F("report_completion__completed_at"),
        report_expiring_from=DateMinusDays(
            F("report_completion__expires_on"), F("course__recertification_window_days")
        ),
    )


def state_case(
    *,
    day: dt.date,
    excused: Excused,
    history: bool = False,
    archived: bool = False,
    words: Mapping[str, str] | None = None,
) -> Case:
    """The rule as one SQL CASE over a queryset annotated by ``with_completion``.

    ``archived``: whether the queryset holds archived rows to be shown as such. ``words``: the
    word an audience uses for a state (the learner and the admin lists say "completed" where the
    reports say "compliant"); the rule is the same."""
    inputs = _Inputs(day=day, excused=excused, history=history)
    words = words or {}
    whens = []
    for state, needs in RULE:
        if state == ComplianceState.ARCHIVED and not archived:
            continue
        condition = Q()
        for name in needs:
            condition &= inputs.sql(name)
        whens.append(When(condition, then=Value(words.get(state, state.value))))
    return Case(*whens, default=Value(words.get(DEFAULT_STATE, DEFAULT_STATE.value)), output_field=models.CharField())


def with_compliance_state(
    qs: QuerySet[Assignment],
    *,
    day: dt.date,
    excused: Excused | None = None,
    history: bool = False,
    archived: bool = False,
    words: Mapping[str, str] | None = None,
) -> QuerySet[Assignment]:
    """Annotate ``state`` (and the completion it was derived from, see ``with_completion``).
    Without ``excused``, exemptions in force on ``day`` are matched per row (a page of rows)."""
    if excused is None:
        excused = excused_for(day, history=history, read_codes=False)
    qs = with_completion(qs, day=day, history=history)
    return qs.annotate(state=state_case(day=day, excused=excused, history=history, archived=archived, words=words))


def state_of(facts: Facts, *, day: dt.date, words: Mapping[str, str] | None = None) -> str:
    """The rule for one assignment whose facts are in memory (the same ``RULE`` as the SQL)."""
    inputs = _Inputs(day=day)
    words = words or {}
    for state, needs in RULE:
        if all(inputs.python(name, facts) for name in needs):
            return words.get(state, state.value)
    return words.get(DEFAULT_STATE, DEFAULT_STATE.value)
