"""The nightly run takes fresh planner statistics after a big write (issue 19).

A freshly seeded or freshly imported database was planned from figures taken before the night's
writes; a workflow that writes more than ``LMS_ANALYZE_AFTER_ROWS`` rows into a table analyses it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from assignments.services.imports import import_run
from escalation.models import Notification
from escalation.nightly import run_nightly
from escalation.tests.conftest import assign, at

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAY = dt.date(2026, 3, 20)


@pytest.fixture
def three_reminders(team, course, policy):
    policy.reminder_days = [5]
    policy.save()
    for person in team[2]:
        assign(person, course, due=DAY + dt.timedelta(days=5))


def analyzed(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]


@override_settings(LMS_ANALYZE_AFTER_ROWS=2)
def test_a_workflow_that_writes_more_rows_than_the_threshold_analyses_that_table(three_reminders):
    with CaptureQueriesContext(connection) as queries:
        run_nightly(as_of=at(DAY), only=["due_reminders"])

    # Three reminders, their three case-file events and the three assignments' progress markers.
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 3
    assert analyzed(queries) == [
        'ANALYZE "assignments_assignment"',
        'ANALYZE "escalation_escalationevent"',
        'ANALYZE "escalation_notification"',
    ]


@override_settings(LMS_ANALYZE_AFTER_ROWS=3)
def test_a_workflow_that_writes_fewer_rows_analyses_nothing(three_reminders):
    with CaptureQueriesContext(connection) as queries:
        run_nightly(as_of=at(DAY), only=["due_reminders"])

    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 3
    assert analyzed(queries) == []


@override_settings(LMS_ANALYZE_AFTER_ROWS=2)
def test_a_dry_run_analyses_nothing(three_reminders):
    with CaptureQueriesContext(connection) as queries:
        run_nightly(as_of=at(DAY), only=["due_reminders"], dry_run=True)

    assert not Notification.objects.exists()
    assert analyzed(queries) == []


@override_settings(LMS_ANALYZE_AFTER_ROWS=2)
def test_a_large_users_import_analyses_the_people_table(db):
    header = "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
    lines = "".join(f"p{i}@example.com,P{i},Person,,,,Analyst,,Europe/London\n" for i in range(3))

    with CaptureQueriesContext(connection) as queries:
        outcome = import_run(kind="users", data=(header + lines).encode(), dry_run=False)

    assert outcome.applied
    assert 'ANALYZE "lms_user"' in analyzed(queries)
    with CaptureQueriesContext(connection) as queries:
        import_run(kind="users", data=(header + lines.replace("p", "q")).encode(), dry_run=True)
    assert analyzed(queries) == []
