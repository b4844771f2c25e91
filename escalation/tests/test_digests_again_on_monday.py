"""A second run of the digests on a manager's Monday (issue 19): the bench's "same night again" did
the whole digest work again, because whether a Monday's check-in was due depends on the lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.models import Assignment
from escalation.models import Notification
from escalation.tests.conftest import assign, at
from escalation.workflows.digests import run_checkins_and_digests

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)  # a Monday


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the shortcut needs the one-statement write")
def test_a_second_run_on_a_monday_reads_no_list_and_writes_nothing(team, course, policy):
    director, lead, people = team
    assign(people[0], course, due=DAY - dt.timedelta(days=2))  # overdue: listed and at risk
    assign(people[1], course, due=DAY + dt.timedelta(days=30), status=Assignment.Status.IN_PROGRESS)
    assign(lead, course, due=DAY + dt.timedelta(days=30))  # the director's team has training too
    first = run_checkins_and_digests(as_of=at(DAY))
    assert sorted(Notification.objects.values_list("kind", flat=True)) == ["checkin", "digest", "digest"]
    with CaptureQueriesContext(connection) as queries:
        again = run_checkins_and_digests(as_of=at(DAY))
    # On PostgreSQL every digest and check-in of a night is written by one statement, so every
    # digest found means the check-ins were written with them: nothing is read or written again,
    # not even the counts: exemptions, managers, and the two lookups of the digests' keys.
    assert again["notifications"] == 0 and first["notifications"] == 3
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]
    assert len(queries) == 4
    assert Notification.objects.count() == 3


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the shortcut needs the one-statement write")
def test_where_a_manager_has_no_digest_the_counts_tell_and_the_lists_are_still_not_read(team, course, policy):
    _, lead, people = team
    assign(people[0], course, due=DAY - dt.timedelta(days=2))  # the director's team (the lead) has none
    run_checkins_and_digests(as_of=at(DAY))
    with CaptureQueriesContext(connection) as queries:
        again = run_checkins_and_digests(as_of=at(DAY))
    assert again["notifications"] == 0
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]
    # exemptions, managers, the first manager's key (the director's: none), the counts per team,
    # and the two lookups of the teams' keys
    assert len(queries) == 6


def test_a_second_run_on_a_monday_writes_nothing_new(team, course, policy):
    _, lead, people = team
    assign(people[0], course, due=DAY - dt.timedelta(days=2))
    run_checkins_and_digests(as_of=at(DAY))
    assert run_checkins_and_digests(as_of=at(DAY))["notifications"] == 0
    assert Notification.objects.filter(kind="checkin").count() == 1
