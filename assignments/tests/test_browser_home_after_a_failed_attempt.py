"""In a real browser: after failing the assessment the learner's home card says so, how many
attempts are left, and its button starts the retake (issue 13 item 5)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from courses.tests.factories import AssignmentFactory, make_course
from lms.tests.factories import UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_home_card_after_a_failed_attempt_leads_to_the_retake(page: Page, live_server):
    learner = UserFactory(email="learner@example.com", first_name="Robin")
    course = make_course(title="Anti-bribery basics", questions=2, modules=1, max_attempts=3, pass_mark=80)
    AssignmentFactory(learner=learner, course=course)
    log_in(page, live_server, "learner@example.com")
    page.get_by_test_id("my-training").get_by_role("link", name="Anti-bribery basics", exact=True).click()
    page.get_by_role("button", name="Start the assessment").click()
    questions = page.get_by_test_id("question")
    for index in range(questions.count()):
        questions.nth(index).get_by_label("Wrong 0", exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_test_id("result-summary")).to_contain_text("Not passed")

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="My training").click()
    card = page.get_by_test_id("assignment-card")
    expect(card.get_by_test_id("attempt-outcome")).to_contain_text("Not passed")
    expect(card.get_by_test_id("attempt-outcome")).to_contain_text("Attempt 1: 0% (pass mark 80%).")
    expect(card.get_by_test_id("attempt-next")).to_have_text("2 attempts left.")
    expect(card.get_by_role("link", name="Continue")).to_have_count(0)
    card.get_by_role("button", name="Retake the assessment").click()
    expect(page.get_by_text("Attempt 2.", exact=False)).to_be_visible()
