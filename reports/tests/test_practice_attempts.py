"""Practice checks are not attempts at the assessment (issue 13 item 4): a learner with two failed
final attempts and one module check shows "Attempts 2" everywhere, and the check apart."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Attempt
from assignments.selectors.lifecycle import learner_history
from courses.models import Quiz
from courses.tests.factories import AssignmentFactory, AttemptFactory, QuizFactory, make_course
from lms.tests.factories import UserFactory
from reports.selectors import learner_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def tried():
    lead = UserFactory(first_name="Lee", last_name="Lead")
    learner = UserFactory(first_name="Pat", last_name="Practice", manager=lead)
    course = make_course(code="GDPR", title="Data protection", max_attempts=3)
    check = QuizFactory(
        course=course, kind=Quiz.Kind.MODULE_CHECK, module=course.modules.first(), title="Check your understanding"
    )
    assignment = AssignmentFactory(learner=learner, course=course)
    now = timezone.now()
    for number, score in ((1, 40), (2, 55)):
        AttemptFactory(
            assignment=assignment,
            number=number,
            status=Attempt.Status.SUBMITTED,
            started_at=now - dt.timedelta(hours=3 - number),
            submitted_at=now - dt.timedelta(hours=3 - number),
            score=score,
            passed=False,
        )
    AttemptFactory(
        assignment=assignment,
        quiz=check,
        number=1,
        status=Attempt.Status.SUBMITTED,
        started_at=now,
        submitted_at=now,
        score=90,
        passed=False,
    )
    return lead, learner, assignment


def text(response) -> str:
    return " ".join(response.content.decode().split())


def test_history_counts_the_assessments_attempts_and_shows_practice_apart(client, tried):
    _lead, learner, assignment = tried
    row = learner_history(learner=learner)["assignments"].get(pk=assignment.pk)
    assert (row.attempt_count, row.practice_count) == (2, 1)
    client.force_login(learner)
    body = text(client.get(reverse("assignments:my_history")))
    table = body[body.index('data-testid="history-assignments"') :]
    assert "<td>2 <span" in table and "(and 1 practice check, not counted)" in table


def test_the_manager_sees_the_practice_check_apart_never_as_not_passed(client, tried):
    lead, learner, assignment = tried
    record = learner_record(person=learner, day=timezone.localdate())
    (row,) = record["assignments"]
    assert (row.attempt_count, row.practice_count, float(row.best_score)) == (2, 1, 55.0)
    assert [a.quiz.kind for a in record["attempts"]] == ["final", "final"]
    assert [a.quiz.title for a in record["practice"]] == ["Check your understanding"]
    client.force_login(lead)
    body = text(client.get(reverse("reports_learner_record", args=[learner.pk]), follow=True))
    attempts = body[body.index('data-testid="record-attempts"') : body.index('data-testid="record-practice"')]
    assert attempts.count("Not passed") == 2 and "Check your understanding" not in attempts
    practice = body[body.index('data-testid="record-practice"') :]
    practice = practice[: practice.index("</table>")]
    assert "Check your understanding" in practice and "Module check" in practice and "Not passed" not in practice
    assert "(and 1 practice check, not counted)" in body
