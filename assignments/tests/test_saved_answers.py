"""Answers saved as they are chosen in an open attempt, and restored when the learner comes back
(issue 13 item 7)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from assignments.models import Attempt, SavedAnswer
from assignments.services.archive import assignment_archive
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Choice, Question, Quiz
from courses.tests.factories import AssignmentFactory, answers_for, make_course, make_question
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_attempt():
    learner = UserFactory(email="lee@example.com")
    course = make_course(questions=2)
    final = course.quizzes.get(kind=Quiz.Kind.FINAL)
    make_question(final, kind=Question.Kind.MULTIPLE, correct=2, wrong=1)
    assignment = AssignmentFactory(learner=learner, course=course)
    attempt = attempt_start(assignment=assignment, quiz=final)
    return attempt


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _save(client: Client, attempt: Attempt, question_id: int, *choice_ids: int):
    return client.post(
        reverse("player_attempt_answer", args=[attempt.pk]), {"question": question_id, "choice": list(choice_ids)}
    )


def _wrong_choice(question_id: int) -> Choice:
    return Choice.objects.filter(question_id=question_id, is_correct=False).order_by("pk").first()


def test_an_answer_chosen_is_saved_and_the_reply_never_says_whether_it_is_right(open_attempt):
    # given a learner in their open attempt
    client = _client(open_attempt.assignment.learner)
    first = open_attempt.layout[0]["q"]
    right = answers_for(open_attempt)[first][0]
    wrong = _wrong_choice(first).pk

    # when they choose a wrong answer, then the right one
    wrong_reply = _save(client, open_attempt, first, wrong)
    right_reply = _save(client, open_attempt, first, right)

    # then the last choice is saved, and the two replies are the same bar nothing
    assert wrong_reply.status_code == right_reply.status_code == 200
    assert wrong_reply.json() == right_reply.json() == {"saved": True, "message": "Answer saved."}
    assert list(SavedAnswer.objects.values_list("question_id", "choice_ids")) == [(first, [right])]


def test_coming_back_to_the_open_attempt_shows_the_saved_answers_chosen(open_attempt):
    client = _client(open_attempt.assignment.learner)
    single = next(e for e in open_attempt.layout if Question.objects.get(pk=e["q"]).kind == Question.Kind.SINGLE)
    multiple = next(e for e in open_attempt.layout if Question.objects.get(pk=e["q"]).kind == Question.Kind.MULTIPLE)
    chosen_single = _wrong_choice(single["q"]).pk
    chosen_multiple = multiple["c"][:2]
    assert _save(client, open_attempt, single["q"], chosen_single).status_code == 200
    assert _save(client, open_attempt, multiple["q"], *chosen_multiple).status_code == 200

    # when the learner comes back to the attempt
    page = client.get(reverse("player_attempt", args=[open_attempt.pk]))

    # then exactly the saved choices are checked, rendered by the server
    form = page.context["form"]
    assert form[f"q_{single['q']}"].value() == str(chosen_single)
    assert sorted(form[f"q_{multiple['q']}"].value()) == sorted(str(pk) for pk in chosen_multiple)
    html = page.content.decode()
    checked = set(re.findall(r'<input type="(?:radio|checkbox)" name="q_\d+" value="(\d+)"[^>]* checked', html))
    assert checked == {str(chosen_single), *(str(pk) for pk in chosen_multiple)}


def test_unticking_every_box_takes_the_saved_answer_away(open_attempt):
    client = _client(open_attempt.assignment.learner)
    question = open_attempt.layout[0]["q"]
    _save(client, open_attempt, question, _wrong_choice(question).pk)
    assert _save(client, open_attempt, question).status_code == 200
    assert not SavedAnswer.objects.exists()


def test_a_choice_of_another_question_is_refused_and_nothing_is_saved(open_attempt):
    client = _client(open_attempt.assignment.learner)
    first, second = (entry["q"] for entry in open_attempt.layout[:2])
    reply = _save(client, open_attempt, first, _wrong_choice(second).pk)
    assert reply.status_code == 400
    assert "does not belong to its question" in reply.json()["message"]
    assert not SavedAnswer.objects.exists()


def test_two_choices_for_a_single_choice_question_or_an_unknown_question_are_refused(open_attempt):
    client = _client(open_attempt.assignment.learner)
    single = next(e for e in open_attempt.layout if Question.objects.get(pk=e["q"]).kind == Question.Kind.SINGLE)
    assert _save(client, open_attempt, single["q"], *single["c"][:2]).status_code == 400
    other_quiz_question = make_question(make_course(questions=0).quizzes.get())
    assert (
        _save(client, open_attempt, other_quiz_question.pk, other_quiz_question.choices.first().pk).status_code == 400
    )
    assert client.post(reverse("player_attempt_answer", args=[open_attempt.pk]), {"question": "x"}).status_code == 400
    assert not SavedAnswer.objects.exists()


def test_a_submitted_attempt_takes_no_more_answers(open_attempt):
    client = _client(open_attempt.assignment.learner)
    attempt_submit(attempt=open_attempt, answers=answers_for(open_attempt))
    question = open_attempt.layout[0]["q"]
    reply = _save(client, open_attempt, question, _wrong_choice(question).pk)
    assert reply.status_code == 409
    assert "submitted" in reply.json()["message"]
    assert not SavedAnswer.objects.exists()


def test_an_attempt_whose_assignment_was_archived_takes_no_more_answers(open_attempt):
    client = _client(open_attempt.assignment.learner)
    assignment_archive(
        assignment=open_attempt.assignment, actor=AdminFactory(), reason="assigned_in_error", note="Wrong person."
    )
    question = open_attempt.layout[0]["q"]
    reply = _save(client, open_attempt, question, _wrong_choice(question).pk)
    assert reply.status_code == 409
    assert not SavedAnswer.objects.exists()


def test_another_persons_attempt_is_404_and_saves_nothing(open_attempt):
    question = open_attempt.layout[0]["q"]
    for someone in (UserFactory(), AdminFactory(), open_attempt.assignment.learner.manager or UserFactory()):
        assert _save(_client(someone), open_attempt, question, _wrong_choice(question).pk).status_code == 404
    assert not SavedAnswer.objects.exists()


def test_saving_needs_the_csrf_token(open_attempt):
    client = Client(enforce_csrf_checks=True)
    client.force_login(open_attempt.assignment.learner)
    question = open_attempt.layout[0]["q"]
    reply = _save(client, open_attempt, question, _wrong_choice(question).pk)
    assert reply.status_code == 403
    assert not SavedAnswer.objects.exists()


def test_submitting_scores_the_answers_and_clears_the_saved_ones(open_attempt):
    client = _client(open_attempt.assignment.learner)
    answers = answers_for(open_attempt)
    for question_id, choice_ids in answers.items():
        _save(client, open_attempt, question_id, *choice_ids)
    assert SavedAnswer.objects.count() == len(answers)
    result = attempt_submit(attempt=open_attempt, answers=answers)
    assert result.attempt.score == 100
    assert not SavedAnswer.objects.exists()


@pytest.mark.parametrize("enforce_csrf", [False, True])
def test_a_body_with_too_many_fields_gets_a_json_answer_like_the_other_errors(open_attempt, settings, enforce_csrf):
    # fix_misc item 5: Django refuses the body (DATA_UPLOAD_MAX_NUMBER_FIELDS) before the view,
    # while the CSRF check reads it; the answer is still the JSON that player.js reads.
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(open_attempt.assignment.learner)
    question = open_attempt.layout[0]["q"]
    body = {"question": question, "choice": [str(n) for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)]}

    token = "a" * 32  # a CSRF cookie and header as player.js sends them
    client.cookies[settings.CSRF_COOKIE_NAME] = token

    reply = client.post(reverse("player_attempt_answer", args=[open_attempt.pk]), body, HTTP_X_CSRFTOKEN=token)

    assert reply.status_code == 400
    assert reply["Content-Type"] == "application/json"
    assert reply.json() == {"saved": False, "message": "This request could not be read."}
    assert not SavedAnswer.objects.exists()


def test_other_pages_keep_the_html_answer_for_a_body_with_too_many_fields(client, settings):
    from lms.tests.factories import AdminFactory

    client.force_login(AdminFactory())
    body = {"ids": [str(n) for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)], "action": "notify"}

    reply = client.post(reverse("assignments:bulk"), body)

    assert reply.status_code == 400
    assert reply["Content-Type"].startswith("text/html")
