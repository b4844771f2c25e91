from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from courses.models import Course
from lms.tests.factories import TEST_PASSWORD, AdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_admin_authors_a_course_and_publishes_it_after_fixing_the_question(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    log_in(page, live_server, "admin@example.com")

    # Create a course from the navigation.
    page.get_by_role("navigation", name="Main navigation").get_by_role("button", name="Admin").click()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Courses").click()
    expect(page.get_by_role("heading", name="Courses", exact=True)).to_be_visible()
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Code").fill("FIRE-101")
    page.get_by_label("Title").fill("Fire safety")
    page.get_by_label("Description").fill("What to do when the alarm sounds.")
    page.get_by_label("Unlimited attempts").check()
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_role("heading", name="Fire safety")).to_be_visible()
    expect(page.get_by_test_id("course-status")).to_have_text("Draft")

    # Add a module.
    page.get_by_role("link", name="Add a module").click()
    page.get_by_label("Title").fill("Raising the alarm")
    page.get_by_role("button", name="Edit as HTML").click()  # the rich-text editor's HTML view
    page.get_by_label("Body*", exact=True).fill("<p>Break the glass and leave by the nearest exit.</p>")
    page.get_by_role("button", name="Save module").click()
    expect(page.get_by_test_id("module-list")).to_contain_text("Raising the alarm")

    # Add the final quiz and a question whose choices have no correct one.
    page.get_by_role("link", name="Add a quiz").click()
    page.get_by_label("Kind").select_option(label="Final assessment")
    page.get_by_label("Title").fill("Final assessment")
    page.get_by_role("button", name="Save quiz").click()
    page.get_by_role("link", name="Add a question").click()
    page.get_by_label("Question").fill("What do you do first?")
    page.get_by_label("Explanation").fill("Raising the alarm warns everyone.")
    page.get_by_label("Learning objective (module)").select_option(label="Raising the alarm")
    page.get_by_label("Review module").select_option(label="Raising the alarm")
    first, second = page.get_by_test_id("choice-0"), page.get_by_test_id("choice-1")
    first.get_by_label("Text").fill("Raise the alarm")
    first.get_by_label("Feedback").fill("Yes: everyone needs to know.")
    second.get_by_label("Text").fill("Finish your email")
    page.get_by_role("button", name="Save question").click()

    # Saving is refused with the rule the choices break (issue 13 item 19: checked at save, not
    # first when publishing).
    expect(
        page.get_by_role("alert").filter(has_text="Tick the correct choice: a single-choice question has exactly one.")
    ).to_be_visible()

    # Mark the right choice, with the keyboard, save and publish.
    correct = page.get_by_test_id("choice-0").get_by_label("Correct")
    correct.focus()
    page.keyboard.press("Space")
    expect(correct).to_be_checked()
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#quizzes")).to_contain_text("What do you do first?")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert").filter(has_text="is published")).to_be_visible()
    # Publishing leads on to assigning the course (issue 15), with the course chosen.
    course = Course.objects.get(code="FIRE-101")
    assert course.status == Course.Status.PUBLISHED
    expect(page.get_by_label("Course")).to_have_value(str(course.pk))
