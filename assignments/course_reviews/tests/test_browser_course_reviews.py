"""A learner reviews a course they passed and an admin moderates the comment, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assignments.course_reviews.models import CourseReview
from assignments.services.attempts import attempt_start, attempt_submit
from courses.models import Question, Quiz
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_reviews_a_course_and_an_admin_approves_the_comment(page: Page, live_server):
    # given a learner who has just passed Fire safety, and an admin
    learner = UserFactory(email="learner@example.com")
    AdminFactory(email="admin@example.com")
    course = make_course(code="FIRE-1", title="Fire safety", questions=3)
    assignment = AssignmentFactory(learner=learner, course=course)
    attempt = attempt_start(assignment=assignment, quiz=course.quizzes.get(kind=Quiz.Kind.FINAL))
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    question = Question.objects.filter(quiz__course=course).order_by("order", "pk")[1]

    # when the learner reviews it from the result page
    log_in(page, live_server, "learner@example.com")
    page.goto(f"{live_server.url}/courses/learn/attempts/{attempt.pk}/result/")
    page.get_by_role("link", name="Review this course").click()
    page.get_by_label("4 – very good").check()
    page.get_by_label("What was useful?").fill("The evacuation map <b>really</b> helped.")
    page.get_by_label("What was unclear?").fill("Which extinguisher for electrical fires.")
    page.get_by_label("A question that was unclear").select_option(str(question.pk))
    page.get_by_role("button", name="Send review").click()

    # then it is saved, awaiting moderation, and the learner can still change it
    expect(page.get_by_text("Thank you: your review is saved.")).to_be_visible()
    expect(page.get_by_test_id("review-status")).to_contain_text("You rated this course 4 out of 5.")
    expect(page.get_by_test_id("review-status")).to_contain_text("await moderation")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    # and the admin sees no comment in the summary until it is approved
    page.context.clear_cookies()
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/reports/course-reviews/FIRE-1/")
    expect(page.get_by_test_id("whole-figures")).to_have_text("Average 4.00 out of 5 from 1 review.")
    expect(page.get_by_test_id("no-comments")).to_be_visible()

    # when the admin approves it on the moderation page
    page.get_by_role("link", name="Comments awaiting moderation").click()
    item = page.get_by_test_id("moderation-item")
    expect(item).to_contain_text("The evacuation map <b>really</b> helped.")
    item.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Comments approved")).to_be_visible()
    expect(page.get_by_test_id("moderation-empty")).to_be_visible()

    # then the comment appears in the summary, escaped, with its link to item analysis
    page.goto(f"{live_server.url}/reports/course-reviews/FIRE-1/")
    comment = page.get_by_test_id("approved-comment")
    expect(comment).to_contain_text("The evacuation map <b>really</b> helped.")
    comment.get_by_test_id("item-analysis-link").click()
    expect(page).to_have_url(f"{live_server.url}/reports/item-analysis/?course=FIRE-1#question-{question.pk}")
    expect(page.locator(f"#question-{question.pk}")).to_contain_text(question.text)

    # and the learner's review is now locked
    review = CourseReview.objects.get()
    assert review.status == CourseReview.Status.APPROVED and review.moderated_by.email == "admin@example.com"
    page.context.clear_cookies()
    log_in(page, live_server, "learner@example.com")
    page.goto(f"{live_server.url}/assignments/history/")
    page.get_by_role("link", name="See your review (FIRE-1 version 1)").click()
    expect(page.get_by_test_id("review-status")).to_contain_text("Your comments have been approved.")
    expect(page.get_by_test_id("review-form")).to_have_count(0)
