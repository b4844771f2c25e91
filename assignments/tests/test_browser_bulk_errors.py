"""Apply with nothing ticked, in a browser: the message is where the person is (fix_eyes E1)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from courses.tests.factories import AssignmentFactory
from lms.tests.factories import AdminFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_apply_with_nothing_ticked_opens_the_list_on_the_message_with_focus_on_it(page: Page, live_server):
    AdminFactory(email="admin@example.com")
    AssignmentFactory.create_batch(30)
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/assignments/")

    page.get_by_role("button", name="Apply").click()

    alert = page.get_by_test_id("bulk-errors")
    expect(alert).to_be_focused()
    expect(alert).to_be_in_viewport()
    expect(alert).to_contain_text("Tick at least one assignment")
    expect(alert).not_to_contain_text("Choose a reason")
