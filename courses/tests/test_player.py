from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from assignments.models import Assignment, Attempt, AttemptAnswer, Completion, ModuleProgress
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Quiz
from courses.tests.factories import (
    AssignmentFactory,
    LearningResourceFactory,
    QuizFactory,
    answers_for,
    make_course,
    make_question,
)
from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def assignment():
    return AssignmentFactory(course=make_course(questions=3, modules=2, max_attempts=3))


@pytest.fixture
def learner_client(client, assignment):
    client.force_login(assignment.learner)
    return client


def form_data(attempt: Attempt, answers: dict[int, list[int]], **extra) -> dict:
    data = {f"q_{question}": [str(c) for c in choices] for question, choices in answers.items()}
    data.update(extra)
    return data


def start_via_view(client, assignment, quiz=None) -> Attempt:
    quiz = quiz or assignment.course.final_quiz
    response = client.post(reverse("player_quiz_start", args=[assignment.pk, quiz.pk]))
    attempt = Attempt.objects.filter(assignment=assignment, quiz=quiz).latest("number")
    assert response.status_code == 302 and response.url == reverse("player_attempt", args=[attempt.pk])
    return attempt


# --- access ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, assignment):
    response = client.get(reverse("player_course", args=[assignment.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_another_learners_course_and_attempt_are_404(client, assignment):
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    module = assignment.course.modules.first()
    resource = assignment.course.resources.first()
    client.force_login(UserFactory())
    urls = [
        reverse("player_course", args=[assignment.pk]),
        reverse("player_module", args=[assignment.pk, module.pk]),
        reverse("player_resource", args=[assignment.pk, resource.pk]),
        reverse("player_attempt", args=[attempt.pk]),
        reverse("player_result", args=[attempt.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("player_attempt", args=[attempt.pk]), {}).status_code == 404
    assert client.post(reverse("player_quiz_start", args=[assignment.pk, attempt.quiz_id])).status_code == 404
    assert Attempt.objects.count() == 1


def test_module_of_another_course_is_404(learner_client, assignment):
    stranger = make_course().modules.first()
    assert learner_client.get(reverse("player_module", args=[assignment.pk, stranger.pk])).status_code == 404


# --- the player -----------------------------------------------------------------------------


def test_course_page_lists_modules_in_order_resources_and_the_quiz(learner_client, assignment):
    response = learner_client.get(reverse("player_course", args=[assignment.pk]))
    assert response.status_code == 200
    titles = [m.title for m in response.context["modules"]]
    assert titles == list(assignment.course.modules.order_by("order").values_list("title", flat=True))
    html = response.content.decode()
    assert assignment.course.resources.first().title in html
    assert "Start the assessment" in html
    assert "3 attempts left" in html


def test_reading_modules_records_progress_and_moves_on(learner_client, assignment):
    first, second = assignment.course.modules.order_by("order")
    response = learner_client.post(reverse("player_module", args=[assignment.pk, first.pk]))
    assert response.url == reverse("player_module", args=[assignment.pk, second.pk])
    response = learner_client.post(reverse("player_module", args=[assignment.pk, second.pk]))
    assert response.url == reverse("player_course", args=[assignment.pk])
    assert ModuleProgress.objects.filter(assignment=assignment, completed_at__isnull=False).count() == 2
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS
    page = learner_client.get(reverse("player_course", args=[assignment.pk]))
    assert page.context["progress_percent"] == 100 and page.context["modules_done"] == 2


def test_resource_page_shows_the_resource(learner_client, assignment):
    resource = assignment.course.resources.first()
    response = learner_client.get(reverse("player_resource", args=[assignment.pk, resource.pk]))
    assert response.status_code == 200
    assert "Remember this." in response.content.decode()


# --- taking a quiz --------------------------------------------------------------------------


def test_attempt_page_never_sends_the_correct_answers(learner_client, assignment):
    attempt = start_via_view(learner_client, assignment)
    response = learner_client.get(reverse("player_attempt", args=[attempt.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "correct" not in html.lower()
    assert "See the module." not in html  # choice feedback is shown only after submission
    assert "Because the policy says so." not in html  # nor the explanation
    for question in response.context["questions"]:
        assert set(question) == {"id", "number", "kind", "multiple", "text", "choices", "field"}
        assert all(set(choice) == {"id", "text"} for choice in question["choices"])
    assert html.count('type="radio"') == 9


def test_failed_attempt_shows_wrong_questions_explanations_and_remediation(learner_client, assignment):
    attempt = start_via_view(learner_client, assignment)
    wrong = {attempt.layout[0]["q"]}
    response = learner_client.post(
        reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers_for(attempt, wrong=wrong))
    )
    assert response.url == reverse("player_result", args=[attempt.pk])
    result = learner_client.get(response.url)
    html = result.content.decode()
    assert "Not passed" in html and "66.66%" in html  # 2 of 3, cut, never rounded up (lms.scores)
    assert [row.question.pk for row in result.context["wrong"]] == list(wrong)
    module = result.context["wrong"][0].remediation_module
    assert reverse("player_module", args=[assignment.pk, module.pk]) in html
    assert "Because the policy says so." in html
    assert [m.pk for m in result.context["missed_objectives"]] == [module.pk]
    assert "2 attempts left" in html
    assert "Retake the assessment" in html


def test_result_names_the_cooldown_and_when_to_come_back(learner_client):
    assignment = AssignmentFactory(
        course=make_course(questions=2, cooldown_first_minutes=30), learner__timezone="America/New_York"
    )
    learner_client.force_login(assignment.learner)
    start = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        attempt = start_via_view(learner_client, assignment)
        learner_client.post(
            reverse("player_attempt", args=[attempt.pk]),
            form_data(attempt, answers_for(attempt, wrong={e["q"] for e in attempt.layout})),
        )
        html = learner_client.get(reverse("player_result", args=[attempt.pk])).content.decode()
        # 12:30 UTC is 08:30 in New York
        assert "You can retake the assessment from 1 Jun 2026, 08:30 EDT" in html
        response = learner_client.post(reverse("player_quiz_start", args=[assignment.pk, attempt.quiz_id]))
        assert response.url == reverse("player_course", args=[assignment.pk])
        assert Attempt.objects.filter(assignment=assignment).count() == 1


def test_last_failed_attempt_tells_the_learner_what_happens_next(client):
    assignment = AssignmentFactory(course=make_course(questions=2, max_attempts=1))
    client.force_login(assignment.learner)
    attempt = start_via_view(client, assignment)
    client.post(
        reverse("player_attempt", args=[attempt.pk]),
        form_data(attempt, answers_for(attempt, wrong={attempt.layout[0]["q"]})),
    )
    html = client.get(reverse("player_result", args=[attempt.pk])).content.decode()
    assert "You have used all your attempts" in html and "Your manager and the training team have been told" in html
    assert "Retake the assessment" not in html
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.FAILED


def test_double_post_records_one_result(learner_client, assignment):
    attempt = start_via_view(learner_client, assignment)
    url = reverse("player_attempt", args=[attempt.pk])
    first = learner_client.post(url, form_data(attempt, answers_for(attempt, wrong={attempt.layout[0]["q"]})))
    second = learner_client.post(url, form_data(attempt, answers_for(attempt)), follow=True)
    assert first.status_code == 302
    assert "already submitted" in second.content.decode()
    attempt.refresh_from_db()
    assert attempt.passed is False
    assert AttemptAnswer.objects.filter(attempt=attempt).count() == 3
    assert not Completion.objects.exists()


def test_choice_from_another_question_is_refused_with_a_message(learner_client, assignment):
    attempt = start_via_view(learner_client, assignment)
    answers = answers_for(attempt)
    first_q, second_q = attempt.layout[0]["q"], attempt.layout[1]["q"]
    answers[first_q] = answers[second_q]
    response = learner_client.post(reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert not AttemptAnswer.objects.exists()


def test_unanswered_question_is_asked_for_again(learner_client, assignment):
    attempt = start_via_view(learner_client, assignment)
    answers = answers_for(attempt)
    del answers[attempt.layout[2]["q"]]
    response = learner_client.post(reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers))
    assert response.status_code == 200
    assert "Choose an answer." in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS


def test_attestation_with_a_wrong_password_is_refused_and_nothing_recorded(client):
    assignment = AssignmentFactory(course=make_course(questions=2, compliance_critical=True))
    client.force_login(assignment.learner)
    attempt = start_via_view(client, assignment)
    url = reverse("player_attempt", args=[attempt.pk])
    page = client.get(url).content.decode()
    assert assignment.learner.get_full_name() in page and 'type="password"' in page
    response = client.post(url, form_data(attempt, answers_for(attempt), attest="on", password="wrong-password-1"))
    assert response.status_code == 200
    assert "That password is not right" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and attempt.attested_at is None
    assert not Completion.objects.exists() and not AttemptAnswer.objects.exists()
    # without ticking the box it is refused too
    response = client.post(url, form_data(attempt, answers_for(attempt), password=TEST_PASSWORD))
    assert "Tick the box" in response.content.decode()
    # with both, the attestation is recorded on the completion
    response = client.post(url, form_data(attempt, answers_for(attempt), attest="on", password=TEST_PASSWORD))
    assert response.status_code == 302
    completion = Completion.objects.get(assignment=assignment)
    assert completion.attested_at is not None
    assert completion.attested_at == Attempt.objects.get(pk=attempt.pk).attested_at


def test_passing_shows_the_certificate_link(learner_client, assignment):
    attempt = start_via_view(learner_client, assignment)
    learner_client.post(reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers_for(attempt)))
    html = learner_client.get(reverse("player_result", args=[attempt.pk])).content.decode()
    completion = Completion.objects.get(assignment=assignment)
    assert "Passed" in html and completion.certificate_number in html
    assert reverse("certificate_download", args=[completion.pk]) in html


# --- review after completion ----------------------------------------------------------------


def test_reviewing_a_completed_course_records_no_new_completion(learner_client, assignment):
    # given a completed course
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    progress_before = ModuleProgress.objects.count()
    module = assignment.course.modules.first()
    # when the learner reviews it
    assert learner_client.get(reverse("player_course", args=[assignment.pk])).status_code == 200
    page = learner_client.get(reverse("player_module", args=[assignment.pk, module.pk]))
    assert page.status_code == 200 and "Mark as done" not in page.content.decode()
    learner_client.post(reverse("player_module", args=[assignment.pk, module.pk]))
    response = learner_client.post(
        reverse("player_quiz_start", args=[assignment.pk, assignment.course.final_quiz.pk]), follow=True
    )
    # then nothing new is recorded
    assert "You have completed this course" in response.content.decode()
    assert Completion.objects.filter(learner=assignment.learner).count() == 1
    assert Attempt.objects.filter(assignment=assignment).count() == 1
    assert ModuleProgress.objects.count() == progress_before


# --- pre-test -------------------------------------------------------------------------------


def test_pretest_through_the_player_tests_out_of_modules(learner_client, assignment):
    first_module, second_module = assignment.course.modules.order_by("order")
    pretest = QuizFactory(course=assignment.course, kind=Quiz.Kind.PRETEST, title="Check what you know")
    make_question(pretest, objective=first_module)
    page = learner_client.get(reverse("player_course", args=[assignment.pk])).content.decode()
    assert "Take the pre-test" in page
    attempt = start_via_view(learner_client, assignment, quiz=pretest)
    learner_client.post(reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers_for(attempt)))
    result = learner_client.get(reverse("player_result", args=[attempt.pk]))
    assert [m.pk for m in result.context["tested_out"]] == [first_module.pk]
    page = learner_client.get(reverse("player_course", args=[assignment.pk]))
    assert page.context["modules_done"] == 1
    assert "Take the pre-test" not in page.content.decode()


def test_remediation_resource_link_is_shown(learner_client):
    course = make_course(questions=0)
    resource = LearningResourceFactory(course=course, title="Data breach cheat sheet")
    make_question(course.final_quiz, remediation_resource=resource)
    assignment = AssignmentFactory(course=course)
    learner_client.force_login(assignment.learner)
    attempt = start_via_view(learner_client, assignment)
    learner_client.post(
        reverse("player_attempt", args=[attempt.pk]),
        form_data(attempt, answers_for(attempt, wrong={attempt.layout[0]["q"]})),
    )
    html = learner_client.get(reverse("player_result", args=[attempt.pk])).content.decode()
    assert reverse("player_resource", args=[assignment.pk, resource.pk]) in html
    assert "Review resource: Data breach cheat sheet" in html


def test_module_check_is_unlimited_practice_that_changes_no_status(client):
    # given a failed assignment whose module has a practice check
    course = make_course(questions=1, modules=1, max_attempts=1)
    module = course.modules.get()
    check = QuizFactory(course=course, kind=Quiz.Kind.MODULE_CHECK, module=module, title="Quick check")
    make_question(check, objective=module)
    assignment = AssignmentFactory(course=course, status=Assignment.Status.FAILED)
    client.force_login(assignment.learner)
    assert "Quick check" in client.get(reverse("player_module", args=[assignment.pk, module.pk])).content.decode()
    # when the learner takes the check three times
    for _ in range(3):
        attempt = start_via_view(client, assignment, quiz=check)
        client.post(reverse("player_attempt", args=[attempt.pk]), form_data(attempt, answers_for(attempt)))
    # then every attempt was scored and the assignment is still failed, with no completion
    assert Attempt.objects.filter(quiz=check, status=Attempt.Status.SUBMITTED).count() == 3
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.FAILED
    assert not Completion.objects.exists()
