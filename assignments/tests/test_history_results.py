"""The learner's history names the course of each completion and gives each assignment's attempts
with their result (fix_eyes E7): "Anti-bribery and corruption ABC-201 v1", "1 (passed 85%)"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments.models import Attempt
from courses.tests.factories import AssignmentFactory, AttemptFactory, CompletionFactory, make_course

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(response.content.decode().split())


def submitted(assignment, number: int, score: int, passed: bool) -> Attempt:
    when = timezone.now() - dt.timedelta(hours=10 - number)
    return AttemptFactory(
        assignment=assignment,
        number=number,
        status=Attempt.Status.SUBMITTED,
        started_at=when,
        submitted_at=when,
        score=score,
        passed=passed,
    )


def test_the_history_shows_each_completions_course_title_and_the_last_attempts_result(client):
    passed_course = make_course(code="ABC-201", title="Anti-bribery and corruption")
    failing_course = make_course(code="GDPR-1", title="Data protection")
    passed = AssignmentFactory(course=passed_course)
    learner = passed.learner
    failing = AssignmentFactory(course=failing_course, learner=learner)
    submitted(passed, 1, 85, True)
    submitted(failing, 1, 40, False)
    submitted(failing, 2, 60, False)
    CompletionFactory(assignment=passed, learner=learner, course=passed_course, score=85)
    client.force_login(learner)

    body = text(client.get(reverse("assignments:my_history")))

    completions = body[body.index('data-testid="history-completions"') :]
    assert "Anti-bribery and corruption" in completions and "ABC-201 v1" in completions
    assignments = body[
        body.index('data-testid="history-assignments"') : body.index('data-testid="history-completions"')
    ]
    assert '<td>1 <span data-testid="last-result">(passed 85%)</span>' in assignments
    assert '<td>2 <span data-testid="last-result">(last 60%, not passed)</span>' in assignments


def test_the_history_reads_in_the_same_number_of_queries_for_more_rows(client):
    first = AssignmentFactory(course=make_course())
    learner = first.learner
    submitted(first, 1, 90, True)
    client.force_login(learner)
    client.get(reverse("assignments:my_history"))  # the session read once

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("assignments:my_history"))
    for _ in range(4):
        other = AssignmentFactory(course=make_course(), learner=learner)
        submitted(other, 1, 50, False)
        CompletionFactory(assignment=other, learner=learner, course=other.course)
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("assignments:my_history"))

    assert len(five) == len(one)
