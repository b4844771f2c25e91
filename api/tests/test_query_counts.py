"""Lists read a page in a constant number of queries, whatever the number of rows on it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.tests.factories import AssignmentFactory, CompletionFactory, CourseFactory
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


def _queries(api, path: str, params: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        body = api.get(path, params).json()
    return len(queries), len(body["results"])


def test_people_assignments_and_completions_pages_cost_the_same_for_3_and_30_rows(api):
    course = CourseFactory(code="FIRE-1")
    counts = {}
    for size in (3, 30):
        with time_machine.travel(T0 + dt.timedelta(days=size), tick=False):
            for _ in range(size if size == 3 else size - 3):
                person = UserFactory(manager=UserFactory())
                CompletionFactory(
                    learner=person, course=course, assignment=AssignmentFactory(learner=person, course=course)
                )
        with time_machine.travel(T0 + dt.timedelta(days=size, hours=1), tick=False):
            counts[size] = {
                "people": _queries(api, "/api/v1/people/", {"page_size": 500}),
                "assignments": _queries(api, "/api/v1/assignments/", {"page_size": 500}),
                "completions": _queries(api, "/api/v1/completions/", {"page_size": 500}),
            }

    for name in ("people", "assignments", "completions"):
        (small, rows_small), (large, rows_large) = counts[3][name], counts[30][name]
        assert rows_large > rows_small
        assert small == large, f"{name}: {small} queries for {rows_small} rows, {large} for {rows_large}"
