from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assignments.models import Assignment, Completion
from courses.tests.factories import AssignmentFactory, CompletionFactory, CourseFactory
from lms.models import User
from lms.tests.factories import TEST_PASSWORD, AdminFactory, DepartmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_admin_assigns_a_course_to_a_department_and_sees_who_was_skipped(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    course = CourseFactory(code="GDPR-101", title="Data protection")
    warehouse = DepartmentFactory(name="Warehouse")
    night = DepartmentFactory(name="Night shift", parent=warehouse)
    already = UserFactory(department=warehouse, first_name="Sam", last_name="Already")
    UserFactory(department=warehouse, first_name="Nia", last_name="New")
    UserFactory(department=night, first_name="Oli", last_name="Night")
    AssignmentFactory(learner=already, course=course, due_date=dt.date(2030, 1, 15))

    log_in(page, live_server, "admin@example.com")
    page.get_by_role("navigation", name="Main navigation").get_by_role("button", name="Admin").click()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Assign training").click()
    page.get_by_label("Course").select_option(label="GDPR-101 · Data protection")
    page.get_by_label("A department").check()
    page.get_by_label("Department", exact=True).select_option(label="Warehouse")
    expect(page.get_by_label("Include its sub-departments")).to_be_checked()
    page.get_by_label("N days after the assignment is made").check()
    page.get_by_label("Number of days").fill("21")
    page.get_by_role("button", name="Assign").click()

    expect(page.get_by_test_id("assign-summary")).to_contain_text("2 learners assigned")
    expect(page.get_by_test_id("skipped-table")).to_contain_text("Sam Already")
    expect(page.get_by_test_id("skipped-table")).to_contain_text("already assigned, due 15 Jan 2030")
    assert Assignment.objects.filter(course_code="GDPR-101", archived_at=None).count() == 3


def test_admin_archives_a_completed_assignment_and_reassigns_it(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    learner = UserFactory(first_name="Lee", last_name="Learner")
    course = CourseFactory(code="HS-101", default_due_days=14)
    done = AssignmentFactory(
        learner=learner, course=course, status=Assignment.Status.COMPLETED, completed_at=timezone.now()
    )
    first = CompletionFactory(learner=learner, course=course, assignment=done)

    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/people/{learner.pk}/")
    page.get_by_role("link", name="Archive HS-101").click()
    page.get_by_label("Reason").select_option(label="Re-training")
    page.get_by_label("Note").fill("Policy updated")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("alert")).to_contain_text("was archived")
    page.get_by_role("link", name="Re-assign HS-101").click()
    expect(page.get_by_label("Number of days")).to_have_value("14")
    page.get_by_role("button", name="Re-assign").click()

    expect(page.get_by_role("alert")).to_contain_text("was assigned again to Lee Learner")
    history = page.get_by_test_id("history-assignments")
    expect(history.get_by_role("row")).to_have_count(3)  # header + new + archived
    expect(page.get_by_test_id("history-completions")).to_contain_text(first.certificate_number)
    assert (
        Assignment.objects.filter(learner=learner, course_code="HS-101", archived_at=None, status="assigned").count()
        == 1
    )
    assert Completion.objects.filter(learner=learner).count() == 1


def test_admin_uploads_a_bad_csv_fixes_it_previews_and_confirms(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    bad = HEADER + "ann@example.com,Ann,Report,,boss@example.com,Warehouse,Operative,2026-01-05,Europe/London\n"
    bad += "boss@example.com,Bo,Boss,,,Operations,Head,05/01/2020,Europe/London\n"
    good = bad.replace("05/01/2020", "2020-01-05")

    log_in(page, live_server, "admin@example.com")
    page.get_by_role("navigation", name="Main navigation").get_by_role("button", name="Admin").click()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Uploads").click()
    page.get_by_label("People").check()
    page.locator("input[type=file]").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_test_id("import-errors-summary")).to_contain_text("Nothing was imported")
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("hire_date")
    expect(errors.get_by_role("row").nth(1).get_by_role("cell").first).to_have_text("3")
    assert not User.objects.filter(email__in=["ann@example.com", "boss@example.com"]).exists()

    page.get_by_role("link", name="Upload a corrected file").click()
    expect(page.get_by_label("People")).to_be_checked()
    page.locator("input[type=file]").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    page.get_by_role("button", name="Upload and check").click()
    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("2 people to add")
    expect(preview).to_contain_text("New departments: Warehouse, Operations")
    assert not User.objects.filter(email="ann@example.com").exists()
    page.get_by_role("button", name="Confirm and import").click()

    expect(page.get_by_test_id("import-done")).to_contain_text("2 added")
    assert User.objects.get(email="ann@example.com").manager.email == "boss@example.com"


def test_assign_page_is_usable_on_a_phone_with_the_keyboard(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    CourseFactory(code="ABC-201", title="Anti-bribery")
    UserFactory(first_name="Kim", last_name="Keys", email="kim@example.com")
    page.set_viewport_size({"width": 390, "height": 800})

    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/assign/")
    expect(page.get_by_label("Department", exact=True)).to_be_hidden()  # only shown for a department target
    page.get_by_label("Course").focus()
    page.keyboard.press("ArrowDown")
    # the searchable people picker (issue 13 item 12): type, then Enter on the match
    page.get_by_role("combobox", name="Learners").focus()
    page.keyboard.type("Kim Keys")
    expect(page.get_by_role("option", name="Kim Keys <kim@example.com>")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_label("On a fixed date").check()
    page.get_by_label("Fixed due date").fill((timezone.localdate() + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Assign").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("assign-summary")).to_contain_text("1 learner assigned")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
