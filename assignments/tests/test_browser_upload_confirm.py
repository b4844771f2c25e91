"""After "Confirm and import" the upload page follows the import by itself (eyes 14, F4): with a
worker that has not started yet, the page came back showing "Checked; waiting for confirmation"
with the button still active, and only a reload showed "Imported"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assignments.models import ImportJob
from assignments.services import imports
from assignments.tests.test_browser_assignments import HEADER, log_in
from lms.models import User
from lms.tests.factories import AdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_after_confirming_the_page_shows_progress_then_the_result_without_a_reload(
    page: Page, live_server, monkeypatch
):
    AdminFactory(email="admin@example.com")
    queued: list[int] = []
    # The worker: queued, run below once the page has come back (as a busy worker would).
    monkeypatch.setattr("assignments.views.lifecycle.import_job_apply_task.delay", queued.append)
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/uploads/")
    page.get_by_label("People").check()
    page.locator("input[type=file]").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": (HEADER + "ann@example.com,Ann,A,,,,,,\n").encode()}
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_test_id("import-preview")).to_contain_text("1 person to add")

    page.get_by_role("button", name="Confirm and import").click()

    expect(page.get_by_test_id("job-status")).to_have_text("Confirmed; waiting to import")
    expect(page.get_by_role("button", name="Confirm and import")).to_have_count(0)
    expect(page.locator("progress")).to_be_visible()
    (job_id,) = queued
    assert ImportJob.objects.get(pk=job_id).status == ImportJob.Status.CONFIRMED
    imports.import_job_apply(job_id=job_id)

    expect(page.get_by_test_id("import-done")).to_contain_text("1 added", timeout=10_000)
    expect(page.get_by_test_id("job-status")).to_have_text("Imported")
    assert User.objects.filter(email="ann@example.com").count() == 1


def test_the_confirm_button_is_disabled_once_pressed(page: Page, live_server, monkeypatch):
    AdminFactory(email="admin@example.com")
    monkeypatch.setattr("assignments.views.lifecycle.import_job_apply_task.delay", lambda pk: None)
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/uploads/")
    page.get_by_label("People").check()
    page.locator("input[type=file]").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": (HEADER + "bo@example.com,Bo,B,,,,,,\n").encode()}
    )
    page.get_by_role("button", name="Upload and check").click()
    button = page.get_by_role("button", name="Confirm and import")
    # Keep the page (a listener after the page's own cancels the navigation) to read the button.
    page.evaluate(
        "document.querySelector('form[data-import-confirm]')"
        ".addEventListener('submit', (event) => event.preventDefault())"
    )
    button.click()
    expect(button).to_be_disabled()
    assert ImportJob.objects.get().status == ImportJob.Status.READY  # nothing was sent
