"""The course player in a real browser: answers kept when a learner leaves an open attempt
(issue 13 item 7), and the course page leading with the real next step (item 8)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assignments.models import Attempt
from courses.models import Quiz
from courses.tests.factories import AssignmentFactory, QuizFactory, make_course, make_question
from lms.tests.factories import UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_answers_chosen_are_still_chosen_after_leaving_the_attempt_and_submit_scores_them(page: Page, live_server):
    # given a learner with a three-question assessment
    learner = UserFactory(email="learner@example.com")
    course = make_course(title="Data protection", questions=3, modules=1)
    assignment = AssignmentFactory(learner=learner, course=course)
    log_in(page, live_server, "learner@example.com")
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/")
    page.get_by_role("button", name="Start the assessment").click()

    # when they answer two questions (one right, one wrong) and leave
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(3)
    with page.expect_response(lambda response: response.url.endswith("/answers/")) as saved:
        questions.nth(0).get_by_label("Right 0", exact=True).check()
    assert saved.value.status == 200
    expect(page.get_by_test_id("save-status")).to_have_text("Your answers are saved as you choose them.")
    with page.expect_response(lambda response: response.url.endswith("/answers/")) as saved:
        questions.nth(1).get_by_label("Wrong 1", exact=True).check()
    assert saved.value.status == 200
    page.get_by_role("link", name="Back to the course (your attempt stays open)").click()
    page.goto(f"{live_server.url}/")

    # and come back to the open attempt from the course page
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/")
    page.get_by_role("link", name="Continue your attempt").click()

    # then their answers are still chosen, the third is not
    questions = page.get_by_test_id("question")
    expect(questions.nth(0).get_by_label("Right 0", exact=True)).to_be_checked()
    expect(questions.nth(1).get_by_label("Wrong 1", exact=True)).to_be_checked()
    expect(questions.nth(2).get_by_role("radio", checked=True)).to_have_count(0)

    # and submitting, after answering the third, scores what was kept: 2 of 3
    questions.nth(2).get_by_label("Right 0", exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_test_id("result-summary")).to_be_visible()
    attempt = Attempt.objects.get(assignment=assignment)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert str(attempt.score) == "66.66"


def test_the_course_page_leads_with_the_next_step_and_offers_the_pretest_only_below_it(page: Page, live_server):
    # given a course with two modules, a final assessment and a diagnostic pre-test
    learner = UserFactory(email="learner@example.com")
    course = make_course(title="Fire safety", questions=2, modules=2)
    pretest = QuizFactory(course=course, kind=Quiz.Kind.PRETEST, title="Diagnostic pretest")
    make_question(pretest, objective=course.modules.first())
    assignment = AssignmentFactory(learner=learner, course=course)
    log_in(page, live_server, "learner@example.com")
    page.goto(f"{live_server.url}/courses/learn/{assignment.pk}/")

    # before any module: the next step (the first module) comes first, the pre-test after it
    next_step = page.get_by_test_id("next-step")
    expect(next_step).to_contain_text("Start the first module")
    expect(page.get_by_role("heading", name="Diagnostic pretest")).to_be_visible()
    assert _top(page, "next-step") < _top(page, "pretest")

    # when every module is done
    page.get_by_role("link", name="Start the first module").click()
    page.get_by_role("button", name="Mark as done and continue").click()
    page.get_by_role("button", name="Mark as done").click()

    # then the final assessment leads, above the modules, and the pre-test is no longer offered
    next_step = page.get_by_test_id("next-step")
    expect(next_step).to_contain_text(course.quizzes.get(kind=Quiz.Kind.FINAL).title)
    expect(next_step.get_by_role("button", name="Start the assessment")).to_be_visible()
    assert _top(page, "next-step") < _top(page, "module-list")
    expect(page.get_by_test_id("pretest")).to_have_count(0)
    expect(page.get_by_text("We recommend finishing the modules first.")).to_have_count(0)


def _top(page: Page, test_id: str) -> float:
    box = page.get_by_test_id(test_id).first.bounding_box()
    assert box is not None
    return box["y"]
