"""The big reports' queries written for the planner (issue 19) give what the plain queries give:
the counts per state (``state_counts``: grouped by the state of a subquery, not by the state's
CASE) and the forecast's first people (two ordered lists merged, not one sort of every row); and
the join of every assignment to its completion reads only what completion_assignment_idx carries
(an index-only scan on the bench)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from assignments.models import Completion
from reports.selectors import Scope, forecast, scoped_assignments
from reports.selectors.compliance import forecast_queryset
from reports.selectors.summary import FORECAST_WINDOWS, state_counts
from reports.tests.conftest import D, assign, complete, days

pytestmark = pytest.mark.django_db


def plain_counts(scope: Scope, *, day=D, history=False) -> tuple[Counter, dict[int, int]]:
    """Per (course, department, state), and the valid certificates expiring within each window,
    worked out row by row in Python from the state-annotated rows."""
    qs = scoped_assignments(scope, day=day, history=history)
    counts: Counter = Counter()
    expiring = dict.fromkeys(FORECAST_WINDOWS, 0)
    for row in qs.values("course_code", "learner__department_id", "state", "report_expires_on"):
        counts[(row["course_code"], row["learner__department_id"], row["state"])] += 1
        expires = row["report_expires_on"]
        if row["state"] in ("compliant", "expiring") and expires is not None:
            for window in FORECAST_WINDOWS:
                if day <= expires <= day + dt.timedelta(days=window):
                    expiring[window] += 1
    return counts, expiring


@pytest.mark.parametrize(
    ("day", "history"), [(D, False), (D, True), (D - dt.timedelta(days=45), True), (D + dt.timedelta(days=30), False)]
)
def test_state_counts_match_the_states_row_by_row(org, day, history):
    expected, expected_expiring = plain_counts(Scope(), day=day, history=history)
    rows, expiring = state_counts(
        scoped_assignments(Scope(), day=day, history=history), ["course_code", "learner__department_id"], day=day
    )
    assert {(r["course_code"], r["learner__department_id"], r["state"]): r["n"] for r in rows} == dict(expected)
    assert expiring == expected_expiring
    assert all(r["n"] > 0 for r in rows)


def test_state_counts_are_one_statement_grouped_by_the_subquerys_state(org, django_assert_num_queries):
    # given the organisation's required assignments with their state
    qs = scoped_assignments(Scope(), day=D)
    # when they are counted by course and department
    with django_assert_num_queries(1) as captured:
        state_counts(qs, ["course_code", "learner__department_id"])
    # then the state is worked out in a subquery and grouped on as its column (which PostgreSQL
    # estimates at 200 values), not on its CASE (which it estimates at one group per row)
    statement = captured.captured_queries[0]["sql"]
    grouped = statement.rsplit("GROUP BY", 1)[1]
    assert grouped.strip() == 's."course_code", s."learner__department_id", s."state"'
    assert "OFFSET 0) s " in statement


def test_state_counts_of_a_chain_and_of_nothing(org):
    chain = Scope(manager_id=org.director.pk, subtree=True).with_people()
    rows, expiring = state_counts(scoped_assignments(chain, day=D), ["course_code"])
    expected, _ = plain_counts(chain)
    by_course: Counter = Counter()
    for (code, _dep, state), n in expected.items():
        by_course[(code, state)] += n
    assert {(r["course_code"], r["state"]): r["n"] for r in rows} == dict(by_course)
    assert expiring == {}
    # a scope nobody is in: no rows, no query error
    nobody = Scope(manager_id=org.olly.pk, subtree=True).with_people()
    assert state_counts(scoped_assignments(nobody, day=D), ["course_code"], day=D) == (
        [],
        dict.fromkeys(FORECAST_WINDOWS, 0),
    )


def test_forecast_people_are_the_first_of_one_sort_over_both_kinds(org):
    # given more lapses than the list shows, of both kinds, with ties on the day across kinds
    for i, person in enumerate(org.q):
        complete(assign(person, org.code, due=days(-5)), on=days(-4), expires=days(10 + i))
    assign(org.olly, org.code, due=days(10))
    expected = [
        (r["learner__email"], r["course_code"], r["lapses_on"])
        for r in forecast_queryset(scope=Scope(), day=D)
        .values("learner__email", "course_code", "lapses_on")
        .order_by("lapses_on", "learner__last_name", "pk")
    ]
    assert len(expected) >= 6
    for limit in (1, 2, 3, 4, len(expected), len(expected) + 5):
        # when the forecast lists the first ``limit``
        people = forecast(scope=Scope(), day=D, limit=limit)["people"]
        # then they are the first ``limit`` of the one sort, with the days left and the reason
        assert [(p["learner__email"], p["course_code"], p["lapses_on"]) for p in people] == expected[:limit]
        assert all(p["days_left"] == (p["lapses_on"] - D).days for p in people)


@pytest.mark.parametrize("history", [False, True])
def test_the_completion_join_reads_only_what_its_index_carries(org, history):
    # given the columns completion_assignment_idx carries
    index = next(i for i in Completion._meta.indexes if i.name == "completion_assignment_idx")
    carried = {Completion._meta.get_field(name).column for name in [*index.fields, *index.include]}
    # when the organisation report's counts are read (today, or as of a past day)
    qs = scoped_assignments(Scope(), day=D, history=history).values("course_code", "learner__department_id", "state")
    sql, _params = qs.query.sql_with_params()
    # then every column of the completion it reads is in the index, so PostgreSQL can answer the
    # join from the index alone (a column added to the state's rule must be added to the index)
    read = set(re.findall(r'report_completion\."(\w+)"', sql))
    assert {"assignment_id", "id", "expires_on", *(["completed_at"] if history else [])} <= read
    assert read <= carried, read - carried
