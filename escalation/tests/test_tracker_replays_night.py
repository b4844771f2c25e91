"""Other projects' nightly-job bugs (issue 19), replayed on ours and kept.

- TEAMMATES#6018 ("session opening reminders timeout"): the reminder job selected every session whose
  "opening email sent" flag was false, and years of legacy rows with the flag unset made it time
  out; the fix bounded the read by date. Ours reads each reminder band by due date and marker
  (``assignment_reminder_idx``; the bench checks the plan at 1,000,000 assignments): long-overdue assignments that were never reminded (imported, or
  assigned after their due date) are neither reminded nor read, and the night's queries do not
  grow with them.
- SparkDevNetwork/Rock#4023 ("Send Communication fails when many recipients (SQL timeout)"): the
  job compared recipient lists row by row and timed out at 8,000 people. Our daily digests are
  set-based: ten times the managers, the same number of queries.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.models import Notification
from escalation.tests.conftest import assign, at
from escalation.workflows.digests import run_checkins_and_digests
from escalation.workflows.reminders import run_due_reminders
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)  # a Tuesday: no weekly check-ins


def _reminders_night(day: dt.date) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        summary = run_due_reminders(as_of=at(day))
    return summary["notifications"], len(queries)


def test_teammates_6018_never_reminded_overdue_rows_are_not_read_again(team, course, policy):
    _, lead, people = team
    assign(people[0], course, due=DAY + dt.timedelta(days=7))
    assert _reminders_night(DAY)[0] == 1
    sent, queries = _reminders_night(DAY)  # a quiet night's queries
    assert sent == 0
    # forty legacy rows: long overdue, never reminded (the flag TEAMMATES found unset)
    for index in range(40):
        learner = UserFactory(manager=lead, email=f"legacy{index}@example.com")
        assign(learner, course, due=DAY - dt.timedelta(days=200 + index), assigned_on=DAY - dt.timedelta(days=400))
    assert _reminders_night(DAY) == (0, queries)  # nothing new, the same queries
    assert not Notification.objects.filter(assignment__due_date__lt=DAY, kind=Notification.Kind.REMINDER).exists()


def test_rock_4023_ten_times_the_managers_the_same_digest_queries(course, policy):
    def org(managers: int) -> None:
        for index in range(managers):
            manager = UserFactory(email=f"m{managers}-{index}@example.com")
            for person in range(2):
                learner = UserFactory(manager=manager, email=f"p{managers}-{index}-{person}@example.com")
                assign(learner, course, due=DAY + dt.timedelta(days=3 + person))

    org(2)
    with CaptureQueriesContext(connection) as small:
        first = run_checkins_and_digests(as_of=at(DAY))
    Notification.objects.all().delete()
    org(20)
    with CaptureQueriesContext(connection) as large:
        second = run_checkins_and_digests(as_of=at(DAY))
    assert (first["notifications"], second["notifications"]) == (2, 22)
    assert len(large) == len(small)
