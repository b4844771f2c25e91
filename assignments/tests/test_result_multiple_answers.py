"""The result of a select-all-that-apply question (fix_eyes E2): each choice is shown as ticked and
right, ticked and wrong, or missed (right but not ticked), and the question is marked partly right
or wrong, so a learner who ticked two of three right answers sees which one they missed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from assignments.selectors.player import attempt_feedback
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Question
from courses.tests.factories import (
    AssignmentFactory,
    CourseFactory,
    ModuleFactory,
    QuizFactory,
    make_question,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def multiple():
    course = CourseFactory(max_attempts=3, pass_mark=80)
    module = ModuleFactory(course=course, title="Personal data breaches")
    quiz = QuizFactory(course=course)
    question = make_question(
        quiz, kind=Question.Kind.MULTIPLE, correct=3, wrong=1, objective=module, remediation_module=module
    )
    assignment = AssignmentFactory(course=course)
    with time_machine.travel(NOW, tick=False):
        attempt = attempt_start(assignment=assignment, quiz=quiz, now=NOW)
    return assignment, question, attempt


def _ids(question, *texts):
    return [question.choices.get(text=text).pk for text in texts]


def test_two_of_three_right_answers_ticked_show_the_missed_one_and_partly_right(client, multiple):
    assignment, question, attempt = multiple
    attempt_submit(attempt=attempt, answers={question.pk: _ids(question, "Right 0", "Right 1")}, now=NOW)
    client.force_login(assignment.learner)

    html = client.get(reverse("player_result", args=[attempt.pk])).content.decode()
    (row,) = attempt_feedback(attempt=attempt)

    assert {o.choice.text: o.status for o in row.options} == {
        "Right 0": "right",
        "Right 1": "right",
        "Right 2": "missed",
        "Wrong 0": "",
    }
    assert row.partly_right
    assert 'data-testid="question-verdict">Partly right</span>' in html
    assert html.count("Ticked, right") == 2
    assert "Missed: right, not ticked</span> Right 2" in " ".join(html.split())
    assert "Ticked, wrong" not in html


def test_a_wrong_tick_and_no_right_one_is_wrong_with_each_choice_marked(client, multiple):
    assignment, question, attempt = multiple
    attempt_submit(attempt=attempt, answers={question.pk: _ids(question, "Wrong 0")}, now=NOW)
    client.force_login(assignment.learner)

    html = client.get(reverse("player_result", args=[attempt.pk])).content.decode()

    assert 'data-testid="question-verdict">Wrong</span>' in html
    assert html.count("Ticked, wrong") == 1
    assert html.count("Missed: right, not ticked") == 3


def test_the_result_reads_in_three_queries_of_feedback_whatever_the_questions(multiple, django_assert_num_queries):
    _assignment, question, attempt = multiple
    attempt_submit(attempt=attempt, answers={question.pk: _ids(question, "Right 0")}, now=NOW)

    with django_assert_num_queries(3):
        attempt_feedback(attempt=attempt)
