"""A learner's whole path in a real browser: read the modules, fail, review, retake, pass,
download the certificate."""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import Page, expect

from assignments.models import Completion
from courses.tests.factories import AssignmentFactory, make_course
from lms.tests.factories import TEST_PASSWORD, UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer(page: Page, *, right: bool) -> None:
    """Choose the right (or a wrong) choice for every question on the attempt page."""
    wanted = "Right 0" if right else "Wrong 0"
    questions = page.get_by_test_id("question")
    for index in range(questions.count()):
        questions.nth(index).get_by_label(wanted, exact=True).check()


def test_learner_fails_reviews_retakes_passes_and_downloads_the_certificate(page: Page, live_server, tmp_path):
    # given a compliance-critical course with two modules, a 0-minute cooldown and three attempts
    learner = UserFactory(email="learner@example.com", first_name="Robin", last_name="Ashworth")
    course = make_course(title="Anti-bribery basics", questions=2, modules=2, max_attempts=3, compliance_critical=True)
    AssignmentFactory(learner=learner, course=course)
    first_module, second_module = course.modules.order_by("order")

    # the learner opens the course from their home page
    log_in(page, live_server, "learner@example.com")
    training = page.get_by_test_id("my-training")
    expect(training.get_by_test_id("assignment-card")).to_contain_text("Anti-bribery basics")
    expect(training.get_by_test_id("assignment-card")).to_contain_text("Due")
    training.get_by_role("link", name="Anti-bribery basics", exact=True).click()
    expect(page.get_by_role("heading", name="Anti-bribery basics", level=1)).to_be_visible()

    # reads both modules in order
    page.get_by_role("link", name="Start the first module").click()
    expect(page.get_by_role("heading", name=first_module.title)).to_be_visible()
    expect(page.get_by_test_id("resources")).to_contain_text(course.resources.first().title)
    page.get_by_role("button", name="Mark as done and continue").click()
    expect(page.get_by_role("heading", name=second_module.title)).to_be_visible()
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("2 of 2 modules done")).to_be_visible()

    # fails the assessment
    page.get_by_role("button", name="Start the assessment").click()
    answer(page, right=False)
    page.get_by_label(re.compile("I confirm that I am Robin Ashworth")).check()
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Submit answers").click()

    # sees at once what was wrong, why, and where to review it
    expect(page.get_by_test_id("result-summary")).to_contain_text("Not passed")
    expect(page.get_by_test_id("wrong-question")).to_have_count(2)
    expect(page.get_by_test_id("wrong-question").first).to_contain_text("Because the policy says so.")
    expect(page.get_by_test_id("missed-objectives")).to_contain_text(first_module.title)
    expect(page.get_by_test_id("next-steps")).to_contain_text("2 attempts left")
    page.get_by_test_id("remediation-link").first.click()
    expect(page.get_by_role("heading", name=first_module.title)).to_be_visible()
    page.go_back()

    # retakes (no cooldown) and passes, with a wrong password refused first
    page.get_by_role("button", name="Retake the assessment").click()
    answer(page, right=True)
    page.get_by_label(re.compile("I confirm that I am Robin Ashworth")).check()
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_test_id("password-error")).to_contain_text("That password is not right")
    assert not Completion.objects.exists()
    answer(page, right=True)
    page.get_by_label(re.compile("I confirm that I am Robin Ashworth")).check()
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_test_id("result-summary")).to_contain_text("Passed")

    # downloads the certificate PDF
    completion = Completion.objects.get(learner=learner)
    expect(page.get_by_test_id("certificate")).to_contain_text(completion.certificate_number)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your certificate (PDF)").click()
    path = tmp_path / "certificate.pdf"
    download_info.value.save_as(path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert "Robin Ashworth" in text
    assert completion.certificate_number in text
    assert completion.attested_at is not None

    # and the home page now shows the course completed, with the completion in the history
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="My training").click()
    expect(page.get_by_test_id("assignment-card")).to_have_attribute("data-state", "completed")
    expect(page.get_by_test_id("completion-history")).to_contain_text(completion.certificate_number)


def test_player_works_by_keyboard_on_a_phone(page: Page, live_server):
    page.set_viewport_size({"width": 390, "height": 800})
    learner = UserFactory(email="phone@example.com")
    course = make_course(title="Fire safety", questions=1, modules=1)
    AssignmentFactory(learner=learner, course=course)
    log_in(page, live_server, "phone@example.com")
    page.get_by_test_id("my-training").get_by_role("link", name="Fire safety", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Fire safety", level=1)).to_be_visible()
    page.get_by_role("button", name="Start the assessment").focus()
    page.keyboard.press("Enter")
    first_choice = page.get_by_test_id("question").first.get_by_label("Right 0", exact=True)
    first_choice.focus()
    page.keyboard.press("Space")
    expect(first_choice).to_be_checked()
    page.get_by_role("button", name="Submit answers").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("result-summary")).to_contain_text("Passed")
    # nothing overflows the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
