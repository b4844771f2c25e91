"""Compliance summaries for the team dashboard, the organisation report (today or as of a past
day), the lapse forecast and the weekly trend. Each is one grouped query whatever the size of the
team or organisation; lists are capped and ordered in SQL."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment, Completion
from courses.models import Course
from lms.models import Department
from reports.selectors.state import (
    COMPLIANT_STATES,
    STATES,
    Excused,
    ReportState,
    Scope,
    active_assignments,
    excused_for,
    scoped_assignments,
    with_report_state,
)
from reports.selectors.summary import FORECAST_WINDOWS, StateCounts, Summary, course_titles, summarise
from reports.selectors.teams import team_snapshot_summary

ROW_FIELDS = (
    "pk",
    "learner_id",
    "learner__first_name",
    "learner__last_name",
    "learner__email",
    "learner__department__name",
    "course_code",
    "course__title",
    "due_date",
    "state",
    "report_completed_at",
    "report_expires_on",
    "failed_at",
)


def rows(qs: QuerySet[Assignment]) -> QuerySet:
    """Assignment rows for lists and exports, as dicts (one query, no model instances)."""
    return qs.values(*ROW_FIELDS)


# How a list of people in one state is ordered, wherever it is shown (the dashboard's lists, the
# dashboard and the organisation report filtered to that state): the longest late first, the
# earliest failed first, the soonest to expire first; any other state by name.
STATE_ORDER = {
    ReportState.OVERDUE: ("due_date", "learner__last_name", "pk"),
    ReportState.FAILED: ("failed_at", "learner__last_name", "pk"),
    ReportState.EXPIRING: ("report_expires_on", "learner__last_name", "pk"),
    # Due: the soonest deadline first, as people act on it (it was by surname).
    ReportState.DUE: ("due_date", "learner__last_name", "pk"),
}
BY_NAME = ("learner__last_name", "due_date", "pk")
# The column such a list adds (the row key ``with_days`` fills, and its header).
STATE_COLUMN = {
    ReportState.OVERDUE: ("days_overdue", _("Days late")),
    ReportState.EXPIRING: ("days_left", _("Time left")),
}


def with_days(rows: list[dict], *, day: dt.date) -> list[dict]:
    """Each row with ``days_overdue`` (an overdue one: days since the due date) or ``days_left``
    and ``window`` (a valid certificate expiring within 90 days), as of ``day``."""
    for row in rows:
        if row.get("state") == ReportState.OVERDUE:
            row["days_overdue"] = (day - row["due_date"]).days
        expires = row.get("report_expires_on")
        if expires is not None and day <= expires <= day + dt.timedelta(days=max(FORECAST_WINDOWS)):
            row["days_left"] = (expires - day).days
            row["window"] = next(w for w in FORECAST_WINDOWS if row["days_left"] <= w)
    return rows


def attention_lists(
    qs: QuerySet[Assignment], *, day: dt.date, excused: Excused, limit: int = 50, large: bool = True
) -> dict[str, list[dict]]:
    """The dashboard lists of today, each capped at ``limit`` (one query per list): overdue
    (longest late first), failed (earliest first), valid certificates expiring within 90 days
    (soonest first) and exempt (by name).

    Each list also filters on plain columns that its state implies (overdue: past due and neither
    completed nor failed; failed: status failed; exempt: an excused learner), so PostgreSQL drops
    most rows in the table scan before the joins that work out the state. The exempt list starts
    from the excused people only for a ``large`` scope: for a team of a dozen, starting from the
    team is cheaper than from every excused person in the organisation."""
    horizon = day + dt.timedelta(days=max(FORECAST_WINDOWS))
    done_or_failed = [Assignment.Status.COMPLETED, Assignment.Status.FAILED]
    overdue = qs.filter(Q(due_date__lt=day) & ~Q(status__in=done_or_failed), state=ReportState.OVERDUE)
    failed = qs.filter(status=Assignment.Status.FAILED, state=ReportState.FAILED)
    expiring = qs.filter(state__in=COMPLIANT_STATES, report_expires_on__gte=day, report_expires_on__lte=horizon)
    exempt = qs.filter(excused.q(), state=ReportState.EXEMPT) if large else qs.filter(state=ReportState.EXEMPT)
    lists = {
        "overdue": list(rows(overdue).order_by(*STATE_ORDER[ReportState.OVERDUE])[:limit]),
        "failed": list(rows(failed).order_by(*STATE_ORDER[ReportState.FAILED])[:limit]),
        "expiring": list(rows(expiring).order_by(*STATE_ORDER[ReportState.EXPIRING])[:limit]),
        "exempt": list(rows(exempt).order_by("learner__last_name", "learner__first_name", "pk")[:limit]),
    }
    for listed in lists.values():
        with_days(listed, day=day)
    return lists


def state_rows(qs: QuerySet[Assignment], state: str, limit: int, *, day: dt.date) -> list[dict]:
    """The first ``limit`` people in one state, in that state's order (``STATE_ORDER``), with its
    column's figure (one query)."""
    listed = list(rows(qs.filter(state=state)).order_by(*STATE_ORDER.get(state, BY_NAME))[:limit])
    return with_days(listed, day=day)


def team_summary(*, scope: Scope, day: dt.date) -> tuple[Summary, dt.datetime | None]:
    """The team dashboard's headline figures without its lists (the home page's sentence): a large
    chain's counts stored tonight, with the time they were taken, or counted now (``None``)."""
    if scope.subtree and scope.manager_id is not None and not scope.department_ids:
        stored = team_snapshot_summary(manager_id=scope.manager_id, day=day, course_code=scope.course_code)
        if stored is not None:
            return stored
    return summarise(scoped_assignments(scope.with_people(), day=day), by_department=False, day=day), None


def dashboard(*, scope: Scope, day: dt.date, state: str = "", limit: int = 50, live: bool = False) -> dict:
    """Everything the team dashboard shows, in a bounded number of queries.

    A whole reporting chain (``scope.subtree``) with counts stored tonight (``TeamSnapshot``: large
    chains only) shows those counts and when they were taken (``snapshot_at``), unless ``live`` or
    a department filter (the snapshot is per course only) asks for a count now; its lists of people
    are then not drawn (each is a pass over every assignment of the chain), but a state's list
    (``state``) is always read live. Otherwise everything is counted now."""
    if scope.subtree and scope.manager_id is not None and not scope.department_ids and not live:
        stored = team_snapshot_summary(manager_id=scope.manager_id, day=day, course_code=scope.course_code)
        if stored is not None:
            summary, snapshot_at = stored
            data = {"summary": summary, "expiring_counts": summary.expiring_counts, "snapshot_at": snapshot_at}
            if state:
                data["state_rows"] = state_rows(scoped_assignments(scope.with_people(), day=day), state, limit, day=day)
            return data
    excused = excused_for(day)
    qs = scoped_assignments(scope.with_people(), day=day, excused=excused)
    summary = summarise(qs, by_department=False, day=day)
    data = {"summary": summary, "expiring_counts": summary.expiring_counts, "snapshot_at": None}
    if state:
        data["state_rows"] = state_rows(qs, state, limit, day=day)
    else:
        large = scope.manager_id is None or scope.subtree
        data["lists"] = attention_lists(qs, day=day, excused=excused, limit=limit, large=large)
    return data


def organisation(*, scope: Scope, day: dt.date, history: bool = False) -> Summary:
    return summarise(scoped_assignments(scope, day=day, history=history))


def drill_down(*, scope: Scope, day: dt.date, history: bool = False, state: str = "") -> QuerySet:
    qs = scoped_assignments(scope, day=day, history=history)
    by_name = ("learner__last_name", "learner__first_name", "course_code", "pk")
    if state:
        qs = qs.filter(state=state)
    # One state's people in the order the dashboard lists them (the longest late first ...).
    return rows(qs).order_by(*STATE_ORDER.get(state, by_name))


# The lapse forecast --------------------------------------------------------------------------


def _forecast_parts(*, scope: Scope, day: dt.date) -> tuple[QuerySet[Assignment], Q, Q]:
    """The forecast's base queryset (required today, state inputs annotated, excused people left
    out, ``lapse_kind`` and ``lapses_on``) and its two disjoint conditions: a valid completion that
    expires within the horizon, and an open assignment that falls due in it (with no completion:
    the caller adds that condition)."""
    horizon = day + dt.timedelta(days=max(FORECAST_WINDOWS))
    excused = excused_for(day)
    qs = with_report_state(scope.filter(active_assignments(day=day)), day=day, excused=excused)
    expiring = Q(report_completion_id__isnull=False, report_expires_on__gte=day, report_expires_on__lte=horizon)
    # Falling due, but for "and no completion", which each caller says its own way.
    open_due = Q(due_date__gte=day, due_date__lte=horizon) & ~Q(
        status__in=[Assignment.Status.COMPLETED, Assignment.Status.FAILED]
    )
    base = qs.exclude(excused.q()).annotate(
        lapse_kind=Case(
            When(report_completion_id__isnull=False, then=Value("expiry")),
            default=Value("due_date"),
            output_field=CharField(),
        ),
        # The last compliant day: the expiry date, or the due date.
        lapses_on=Case(
            When(report_completion_id__isnull=False, then=F("report_expires_on")),
            default=F("due_date"),
            output_field=DateField(),
        ),
    )
    return base, expiring, open_due


def forecast_queryset(*, scope: Scope, day: dt.date) -> QuerySet[Assignment]:
    """Assignments that become non-compliant within 90 days if nothing happens: a valid completion
    that expires, or an open assignment that falls due. Exempt people are left out (excused).

    Written on the state's inputs rather than on ``state`` itself: a completion expiring on or
    after ``day`` is valid (compliant or expiring); an assignment due on or after ``day`` with no
    completion, not failed and not excused is due. The filters then cut the million rows down in
    the scans instead of working out every row's state."""
    base, expiring, open_due = _forecast_parts(scope=scope, day=day)
    return _lapsing(base, expiring, open_due)


def _lapsing(base: QuerySet[Assignment], expiring: Q, open_due: Q) -> QuerySet[Assignment]:
    return base.filter(expiring | (Q(report_completion_id__isnull=True) & open_due))


def _forecast_people(base: QuerySet[Assignment], expiring: Q, open_due: Q, *, day: dt.date, limit: int) -> list[dict]:
    """The first ``limit`` rows of ``forecast_queryset`` by last compliant day, then last name
    (one query).

    The candidates are two lists of at most ``limit`` rows, merged and sorted in SQL: the soonest
    expiring certificates (in expiry order: ``completion_expiry_idx``) and the soonest falling
    due (in due-date order: ``assignment_active_due_idx``). Ordered on the plain column of its
    kind, each list reads the first days of the horizon only, where ordering on ``lapses_on`` (a
    CASE over both) sorts every assignment lapsing within 90 days. The two kinds are disjoint
    (with a completion or without), so the first ``limit`` of both are among the candidates."""
    fields = [f for f in ROW_FIELDS if f != "state"]
    columns = [*fields, "lapses_on", "lapse_kind"]
    certificates = base.filter(expiring).order_by("report_expires_on", "learner__last_name", "pk")
    # "No completion" as NOT EXISTS (the same rows as the join's ``report_completion_id IS NULL``,
    # one completion at most per assignment): PostgreSQL estimates an anti-join from the tables'
    # statistics, and so reads the due dates in index order; on the outer join's IS NULL it
    # guessed one row and sorted every open assignment of the horizon.
    no_completion = ~Exists(Completion.objects.filter(assignment_id=OuterRef("pk")))
    open_ones = base.filter(open_due, no_completion).order_by("due_date", "learner__last_name", "pk")
    first = certificates.values("pk")[:limit].union(open_ones.values("pk")[:limit], all=True)
    people = list(base.filter(pk__in=first).values(*columns).order_by("lapses_on", "learner__last_name", "pk")[:limit])
    for row in people:
        row["days_left"] = (row["lapses_on"] - day).days
        row["reason"] = row.pop("lapse_kind")
    return people


def forecast(*, scope: Scope, day: dt.date, limit: int = 100) -> dict:
    """Per department, how many assignments lapse within 30, 60 and 90 days (cumulative), and the
    first ``limit`` people in date order (two queries plus department names)."""
    base, expiring, open_due = _forecast_parts(scope=scope, day=day)
    qs = _lapsing(base, expiring, open_due)
    buckets = {
        f"d{days}": Count("pk", filter=Q(lapses_on__lte=day + dt.timedelta(days=days))) for days in FORECAST_WINDOWS
    }
    grouped = (
        qs.order_by()
        .values("learner__department_id")
        .annotate(
            **buckets,
            expiring=Count("pk", filter=Q(report_completion_id__isnull=False)),
            falling_due=Count("pk", filter=Q(report_completion_id__isnull=True)),
        )
    )
    departments = []
    names = dict(Department.objects.values_list("pk", "name"))
    totals = dict.fromkeys([*buckets, "expiring", "falling_due"], 0)
    for row in grouped:
        entry = {
            "department_id": row["learner__department_id"],
            "label": names.get(row["learner__department_id"], "—"),
            **{key: row[key] for key in totals},
        }
        for key in totals:
            totals[key] += row[key]
        departments.append(entry)
    departments.sort(key=lambda d: (-d["d30"], -d["d90"], d["label"].lower()))
    people = _forecast_people(base, expiring, open_due, day=day, limit=limit)
    return {"departments": departments, "totals": totals, "people": people, "windows": FORECAST_WINDOWS}


# The trend from stored snapshots -------------------------------------------------------------


def weekly_trend(
    *, day: dt.date, weeks: int = 52, department_ids: tuple[int, ...] = (), course_code: str = ""
) -> list[dict]:
    """Compliance % by week for the last ``weeks`` weeks from ComplianceSnapshot: the last stored
    day of each ISO week, summed over departments and courses (one query)."""
    from reports.models import ComplianceSnapshot

    start = day - dt.timedelta(weeks=weeks)
    qs = ComplianceSnapshot.objects.filter(day__gt=start, day__lte=day)
    if department_ids:
        qs = qs.filter(department_id__in=department_ids)
    if course_code:
        qs = qs.filter(course_code=course_code)
    per_day = (
        qs.order_by("day")
        .values("day")
        .annotate(required=Sum("required"), compliant=Sum("compliant"), expiring=Sum("expiring"), exempt=Sum("exempt"))
    )
    weeks_seen: dict[tuple[int, int], dict] = {}
    for row in per_day:
        iso = row["day"].isocalendar()
        weeks_seen[(iso.year, iso.week)] = row  # ordered by day: the week's last snapshot wins
    points = []
    for (year, week), row in sorted(weeks_seen.items()):
        denominator = row["required"] - row["exempt"]
        compliant = row["compliant"] + row["expiring"]
        points.append(
            {
                "week": f"{year}-W{week:02d}",
                "day": row["day"],
                "required": row["required"],
                "compliant": compliant,
                "percent": round(100 * compliant / denominator, 1) if denominator else None,
            }
        )
    return points


def snapshot_summary(
    *, day: dt.date, department_ids: tuple[int, ...] = (), course_code: str = ""
) -> tuple[Summary, dt.datetime] | None:
    """The organisation's counts for ``day`` from its stored snapshot (a few hundred rows instead
    of a million assignments), with the time it was taken; None when no snapshot exists yet."""
    from django.db.models import Max

    from reports.models import ComplianceSnapshot

    qs = ComplianceSnapshot.objects.filter(day=day)
    taken_at = qs.aggregate(at=Max("created_at"))["at"]
    if taken_at is None:
        return None
    if department_ids:
        qs = qs.filter(department_id__in=department_ids)
    if course_code:
        qs = qs.filter(course_code=course_code)
    total = StateCounts(label="all")
    courses: dict[str, StateCounts] = {}
    departments: dict[int | None, StateCounts] = {}
    for row in qs.values("department_id", "course_code", *STATES):
        course = courses.setdefault(row["course_code"], StateCounts(key=row["course_code"]))
        department = departments.setdefault(row["department_id"], StateCounts(key=row["department_id"]))
        for state in STATES:
            for group in (total, course, department):
                group.add(state, row[state])
    titles = course_titles(courses)
    for code, group in courses.items():
        group.label = f"{code} · {titles.get(code, '')}".rstrip(" ·")
    names = dict(Department.objects.filter(pk__in=[k for k in departments if k]).values_list("pk", "name"))
    for dep, group in departments.items():
        group.label = names.get(dep, "—") if dep else "—"
    summary = Summary(
        total=total,
        by_course=sorted(courses.values(), key=lambda g: g.key),
        by_department=sorted(departments.values(), key=lambda g: g.label.lower()),
    )
    return summary, taken_at


def snapshot_counts(*, day: dt.date, history: bool = False, excused: Excused | None = None) -> list[dict]:
    """The rows a snapshot stores: counts per department, course code and state (one grouped query)."""
    qs = scoped_assignments(Scope(), day=day, history=history, excused=excused)
    return list(qs.order_by().values("learner__department_id", "course_code", "state").annotate(n=Count("pk")))


def filter_departments() -> QuerySet[Department]:
    """Every department, for a filter's choices (names are not confidential; the figures are scoped)."""
    return Department.objects.order_by("name")


def filter_courses() -> list[tuple[str, str]]:
    """Every course code in the catalogue with its newest title (one query over a small table)."""
    titles: dict[str, str] = {}
    for code, title in Course.objects.order_by("code", "version").values_list("code", "title"):
        titles[code] = title  # ordered by version: the newest title wins
    return sorted(titles.items())


__all__ = [
    "FORECAST_WINDOWS",
    "StateCounts",
    "Summary",
    "active_assignments",
    "STATE_COLUMN",
    "attention_lists",
    "dashboard",
    "drill_down",
    "forecast",
    "organisation",
    "snapshot_counts",
    "snapshot_summary",
    "team_summary",
    "weekly_trend",
    "with_days",
]
