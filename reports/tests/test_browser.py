"""The dashboards in a real browser: a team leader, a manager of managers, a learner."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import Page, expect

from lms.tests.test_browser import log_in
from reports.tests.conftest import D, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _on_day_d():
    # The server thread reads the same (travelled) clock; tick so that sessions and timers move.
    with time_machine.travel(at(D), tick=True):
        yield


def test_team_leader_sees_overdue_and_failed_people_and_the_chart_then_opens_a_record(page: Page, live_server, org):
    log_in(page, live_server, "lee@example.com")
    expect(page.get_by_test_id("team-compliance-section")).to_contain_text("33.3% compliant")
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Team", exact=True).click()
    nav.get_by_role("link", name="Team dashboard").click()
    expect(page.get_by_role("heading", name="Team dashboard")).to_be_visible()
    expect(page.get_by_test_id("headline-percent")).to_have_text("33.3%")
    chart = page.get_by_test_id("course-chart").get_by_role("img")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute(
        "aria-label", "Compliance % by course: CODE · Code of conduct: 0%; SAFE · Safety basics: 50%; Overall: 33.3%"
    )
    expect(page.get_by_test_id("overdue-list")).to_contain_text("P3 Person3")
    expect(page.get_by_test_id("overdue-list")).to_contain_text("10 days late")
    expect(page.get_by_test_id("failed-list")).to_contain_text("P4 Person4")
    expect(page.get_by_test_id("exempt-list")).to_contain_text("P5 Person5")
    expect(page.get_by_test_id("overdue-list")).not_to_contain_text("Q2")

    page.get_by_test_id("overdue-list").get_by_role("link", name="P3 Person3").click()
    expect(page.get_by_role("heading", name="P3 Person3", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Compliance record")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("record-assignments")).to_contain_text("10 days late")
    expect(page.get_by_test_id("record-assignments")).to_contain_text("counted as excused")


def test_manager_of_managers_lands_on_the_whole_chain(page: Page, live_server, org):
    # Dana manages two team leads and nobody learning directly (issue 13 item 2).
    log_in(page, live_server, "dana@example.com")
    section = page.get_by_test_id("team-compliance-section")
    expect(section).to_contain_text("Everyone below you (9 people) is")
    expect(section).to_contain_text("compliant: 2 overdue, 1 failed.")
    expect(page.get_by_test_id("team-size")).to_contain_text("2 people report to you directly.")
    section.get_by_role("link", name="Open the team dashboard").click()
    expect(page.get_by_role("heading", name="Team dashboard")).to_be_visible()
    expect(page.get_by_label("People")).to_have_value("all")
    expect(page.get_by_test_id("people-count")).to_have_text("Everyone below you: 9 people.")
    expect(page.get_by_test_id("headline-overdue")).to_have_text("2")
    expect(page.get_by_test_id("overdue-list")).to_contain_text("Q2 Queue2")
    page.get_by_label("State").select_option("overdue")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("state-list")).to_contain_text("P3 Person3")
    expect(page.get_by_test_id("state-list")).to_contain_text("Q2 Queue2")
    expect(page.get_by_test_id("headline-overdue")).to_have_text("2")
    # her direct reports alone, on request
    page.get_by_label("People").select_option("direct")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("people-count")).to_have_text("Your direct reports: 2 people.")
    expect(page.get_by_test_id("headline-overdue")).to_have_text("0")


def test_learner_gets_404_on_the_dashboard(page: Page, live_server, org):
    log_in(page, live_server, "p1@example.com")
    expect(page.get_by_role("heading", name="Welcome, P1")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Team dashboard")).to_have_count(0)
    response = page.goto(f"{live_server.url}/reports/team/")
    assert response.status == 404


def test_admin_opens_the_compliance_report_from_the_admin_menu(page: Page, live_server, org):
    log_in(page, live_server, "admin@example.com")
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Admin").click()
    nav.get_by_role("link", name="Compliance report").click()
    expect(page.get_by_role("heading", name="Organisation compliance report")).to_be_visible()
    expect(page.get_by_test_id("department-table")).to_contain_text("Operations")
    page.get_by_test_id("department-table").get_by_role("link", name="Operations").click()
    expect(page.get_by_test_id("drill-rows")).to_contain_text("Olly Outsider")
