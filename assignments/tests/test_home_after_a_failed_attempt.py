"""The learner's home card after a failed attempt at the final assessment (issue 13 item 5): it says
the attempt was not passed and with what score, how many attempts are left (or that none are, and
what happens next), when a retake opens after a wait, and its button is the next step."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments.models import Assignment, Attempt
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Quiz
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def learner():
    return UserFactory(timezone="Europe/London")


def fail_once(learner, **course_fields) -> Assignment:
    course = make_course(questions=2, modules=2, pass_mark=80, **course_fields)
    assignment = AssignmentFactory(learner=learner, course=course, due_date=dt.date(2026, 7, 15))
    final = course.quizzes.get(kind=Quiz.Kind.FINAL)
    attempt = attempt_start(assignment=assignment, quiz=final, now=NOW)
    attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong={attempt.layout[0]["q"]}), now=NOW)
    return assignment


def card(client, learner, assignment) -> str:
    client.force_login(learner)
    body = " ".join(client.get(reverse("home")).content.decode().split())
    start = body.index(f'href="{reverse("player_course", args=[assignment.pk])}"')
    start = body.rindex('data-testid="assignment-card"', 0, start)
    return body[start : body.index("</article>", start)]


def test_attempts_left_say_not_passed_how_many_are_left_and_offer_the_retake(client, learner):
    assignment = fail_once(learner, max_attempts=3)
    text = card(client, learner, assignment)
    assert "Not passed" in text and "Attempt 1: 50% (pass mark 80%)." in text
    assert "2 attempts left." in text
    start = reverse("player_quiz_start", args=[assignment.pk, assignment.course.quizzes.get(kind="final").pk])
    assert f'action="{start}"' in text and "Retake the assessment" in text
    assert ">Continue<" not in text.replace(" ", "") and "Continue " not in text
    # the button does what it says: attempt 2 starts
    response = client.post(start)
    assert response.status_code == 302
    assert Attempt.objects.filter(assignment=assignment, number=2, status=Attempt.Status.IN_PROGRESS).exists()
    reopened = card(client, learner, assignment)
    assert "You have an attempt open" in reopened and "Continue your attempt" in reopened


def test_a_cooldown_says_from_when_and_offers_the_material_not_a_retake(client, learner):
    assignment = fail_once(learner, max_attempts=3, cooldown_first_minutes=24 * 60)
    text = card(client, learner, assignment)
    assert "2 attempts left." in text
    assert "You can retake it from 16 Jun 2026" in text and "10:00" in text
    assert "Retake the assessment" not in text and "Review the material" in text


def test_no_attempts_left_says_so_and_what_happens_next_without_a_button(client, learner):
    assignment = fail_once(learner, max_attempts=1)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.FAILED
    text = card(client, learner, assignment)
    assert "Not passed" in text and "No attempts left." in text
    assert "will arrange a review with you" in text
    assert "Retake the assessment" not in text and "Continue" not in text and 'class="btn' not in text


def test_the_home_reads_every_cards_attempts_in_a_fixed_number_of_queries(client, learner):
    fail_once(learner, max_attempts=3)
    client.force_login(learner)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("home"))
    for _ in range(3):
        fail_once(learner, max_attempts=3)
    with CaptureQueriesContext(connection) as four:
        client.get(reverse("home"))
    assert len(four) == len(one)
