"""The stored counts of large reporting chains (``TeamSnapshot``): what the nightly job stores and
what a manager's "everyone below me" dashboard reads.

Counting live means working out the state of every assignment below the manager: for a director
with 10,000 people below, a pass over 100,000 assignments and their completions (250-400 ms) for
the counts and one more for each list, about a second for the page at 1,000,000 assignments. The
rows of 10,000 people are spread over the whole table, so no index makes that pass cheap. The
night counts every large chain in one grouped query instead; the page says when, and "Count again
now" counts live. The lists of people are never stored: they are always read live.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Q

from lms.models import User
from lms.selectors import MAX_CHAIN_DEPTH
from reports.selectors.state import COMPLIANT_STATES, STATES, Excused, Scope, scoped_assignments
from reports.selectors.summary import FORECAST_WINDOWS, StateCounts, Summary, course_titles

# A manager with at least this many people below (at any depth) has their counts stored each night.
# Below it the live count is fast enough: at 1,000,000 assignments a whole page counted live takes
# 40-46 ms for 12 people and 165-185 ms for 990 (bench/reports.py), so ~100 ms at 500.
TEAM_SNAPSHOT_MIN_PEOPLE = 500


def team_counts(*, day: dt.date, excused: Excused, min_people: int | None = None) -> list[dict]:
    """For every manager with at least ``min_people`` (default ``TEAM_SNAPSHOT_MIN_PEOPLE``) people
    below at any depth: counts per course code and state of everyone below, and of the valid
    certificates expiring within 30, 60 and 90 days, as rows of ``manager_id``, ``course_code``,
    ``state``, ``n``, ``e30``, ``e60``, ``e90``.

    One statement. The large chains are found by walking up from the managers only (people below a
    manager = their direct reports plus those of every manager below them), not from every person.
    Today's state-annotated assignments (the organisation report's own queryset, so the figures
    cannot drift from the live ones) are counted per direct manager, course and state, and the
    counts summed per large chain. Joining each assignment to every chain above it instead works
    out the state of each once per chain (twice as many rows, 3.8 s against 1.6 at 1,000,000
    assignments). Written in SQL around the ORM's query because the ORM cannot join a recursive
    CTE."""
    windows = {
        f"e{days}": Count(
            "pk", filter=Q(report_expires_on__gte=day, report_expires_on__lte=day + dt.timedelta(days=days))
        )
        for days in FORECAST_WINDOWS
    }
    per_manager = (
        scoped_assignments(Scope(), day=day, excused=excused)
        .filter(learner__manager_id__isnull=False)
        .order_by()
        .values("learner__manager_id", "course_code", "state")
        .annotate(n=Count("pk"), **windows)
    )
    inner, inner_params = per_manager.query.sql_with_params()
    table = User._meta.db_table
    compliant = sorted(COMPLIANT_STATES)
    # Certificates expiring soon count only while valid (compliant or in the renewal window), as on the page.
    sums = ", ".join(f"CAST(SUM(CASE WHEN s.state IN (%s, %s) THEN s.{name} ELSE 0 END) AS BIGINT)" for name in windows)
    # The large chains' managers, as (chain's manager, a manager in it) pairs: about 20,000 rows at
    # 100,000 people, found in ~0.1 s. Walking up from every person instead of from the managers
    # alone made 290,000 rows and took a second. (Handing the pairs to the count as arrays, whose
    # size the planner then knows, measured no faster.)
    walk = (
        "WITH RECURSIVE "
        f"direct(id, n) AS (SELECT manager_id, COUNT(*) FROM {table} WHERE manager_id IS NOT NULL GROUP BY manager_id), "
        f"managers(id, manager_id, n) AS (SELECT u.id, u.manager_id, d.n FROM {table} u JOIN direct d ON d.id = u.id), "
        "up(ancestor, manager, depth) AS ("
        "SELECT manager_id, id, 1 FROM managers WHERE manager_id IS NOT NULL "
        f"UNION ALL SELECT u.manager_id, up.manager, up.depth + 1 FROM up JOIN {table} u ON u.id = up.ancestor "
        f"WHERE u.manager_id IS NOT NULL AND up.depth < {MAX_CHAIN_DEPTH}), "
        "big(ancestor) AS (SELECT ancestor FROM (SELECT id AS ancestor, n FROM managers "
        "UNION ALL SELECT up.ancestor, m.n FROM up JOIN managers m ON m.id = up.manager) below "
        "GROUP BY ancestor HAVING SUM(n) >= %s) "
        "SELECT ancestor, ancestor AS manager FROM big UNION SELECT up.ancestor, up.manager FROM up JOIN big ON big.ancestor = up.ancestor"
    )
    sql = (
        f"SELECT pairs.ancestor, s.course_code, s.state, CAST(SUM(s.n) AS BIGINT), {sums} FROM ({inner}) s "
        f"JOIN ({walk}) pairs ON pairs.manager = s.learner__manager_id "
        "GROUP BY pairs.ancestor, s.course_code, s.state"
    )
    params = [
        *(compliant * len(windows)),
        *inner_params,
        TEAM_SNAPSHOT_MIN_PEOPLE if min_people is None else min_people,
    ]
    keys = ["manager_id", "course_code", "state", "n", *windows]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


def team_snapshot_summary(
    *, manager_id: int, day: dt.date, course_code: str = ""
) -> tuple[Summary, dt.datetime] | None:
    """The counts of everyone below ``manager_id`` on ``day`` from the nightly team snapshot, with
    the time it was taken; None when none was stored for them that day (a small chain: count live)."""
    from reports.models import TeamSnapshot

    windows = {days: f"expiring_{days}" for days in FORECAST_WINDOWS}
    rows = list(
        TeamSnapshot.objects.filter(day=day, manager_id=manager_id).values(
            "course_code", "created_at", *STATES, *windows.values()
        )
    )
    if not rows:
        return None
    taken_at = max(row["created_at"] for row in rows)
    total = StateCounts(label="all")
    courses: dict[str, StateCounts] = {}
    expiring = dict.fromkeys(FORECAST_WINDOWS, 0)
    for row in rows:
        if course_code and row["course_code"] != course_code:
            continue
        course = courses.setdefault(row["course_code"], StateCounts(key=row["course_code"]))
        for state in STATES:
            total.add(state, row[state])
            course.add(state, row[state])
        for days, name in windows.items():
            expiring[days] += row[name]
    titles = course_titles(courses)
    for code, group in courses.items():
        group.label = f"{code} · {titles.get(code, '')}".rstrip(" ·")
    summary = Summary(
        total=total, by_course=sorted(courses.values(), key=lambda g: g.key), by_department=[], expiring_counts=expiring
    )
    return summary, taken_at
