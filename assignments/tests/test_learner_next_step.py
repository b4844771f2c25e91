"""What the learner is told to do next (fix_eyes E3, E4): an attempt open at the final assessment
is continued from the home card and counted on the course page as "attempt 1 of 3"; after a failed
attempt the course page's next step is the modules its result listed, then the retake."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

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


def text(response) -> str:
    return " ".join(response.content.decode().split())


def started(**course_fields):
    learner = UserFactory(timezone="Europe/London")
    course = make_course(questions=2, modules=2, pass_mark=80, max_attempts=3, **course_fields)
    assignment = AssignmentFactory(learner=learner, course=course, due_date=dt.date(2026, 7, 15))
    attempt = attempt_start(assignment=assignment, quiz=course.quizzes.get(kind=Quiz.Kind.FINAL), now=NOW)
    return learner, assignment, attempt


def test_the_home_card_continues_an_attempt_opened_before_any_module_was_read(client):
    learner, assignment, attempt = started()
    client.force_login(learner)

    body = text(client.get(reverse("home")))

    card = body[body.index('data-testid="assignment-card"') : body.index("</article>")]
    assert f'href="{reverse("player_attempt", args=[attempt.pk])}"' in card
    assert "Continue your attempt" in card
    assert "Start" not in card
    assert "answers are kept" in card


def test_the_course_page_counts_the_open_attempt_as_attempt_1_of_3(client):
    learner, assignment, _attempt = started()
    client.force_login(learner)

    body = text(client.get(reverse("player_course", args=[assignment.pk])))

    assert "This is attempt 1 of 3." in body
    assert "attempts left" not in body


def test_after_a_failed_attempt_the_next_step_is_to_review_its_modules_then_retake(client):
    learner, assignment, attempt = started()
    wrong_question = attempt.layout[0]["q"]
    attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong={wrong_question}), now=NOW)
    missed = assignment.course.quizzes.get(kind=Quiz.Kind.FINAL).questions.get(pk=wrong_question).objective
    client.force_login(learner)

    body = text(client.get(reverse("player_course", args=[assignment.pk])))
    result = text(client.get(reverse("player_result", args=[attempt.pk])))

    step = body[body.index('data-testid="next-step"') : body.index("</section>", body.index('data-testid="next-step"'))]
    assert "Start the first module" not in body
    assert f"Review {missed.title}" in step
    assert reverse("player_module", args=[assignment.pk, missed.pk]) in step
    assert "Retake the assessment" in step
    assert body.count("Retake the assessment") == 1
    assert missed.title in result[result.index('data-testid="missed-objectives"') :]
