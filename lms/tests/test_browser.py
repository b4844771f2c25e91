from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lms.tests.factories import TEST_PASSWORD, AdminFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_learner_logs_in_and_sees_only_their_own_home(page: Page, live_server):
    UserFactory(email="learner@example.com", first_name="Lee")
    log_in(page, live_server, "learner@example.com")
    expect(page.get_by_role("heading", name="Welcome, Lee")).to_be_visible()
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="My team")).to_have_count(0)
    expect(nav.get_by_role("link", name="People")).to_have_count(0)
    expect(nav.get_by_role("button", name="Admin")).to_have_count(0)


def test_manager_logs_in_and_sees_the_team(page: Page, live_server):
    lead = UserFactory(email="lead@example.com", first_name="Taylor")
    member = UserFactory(manager=lead, first_name="Robin", last_name="Report")
    log_in(page, live_server, "lead@example.com")
    expect(page.get_by_role("heading", name="My team")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Team", exact=True).click()  # "My team" and "Team dashboard" (issue 13 item 21)
    nav.get_by_role("link", name="My team").click()
    expect(page.get_by_test_id("team-table")).to_contain_text(member.get_full_name())


def test_admin_logs_in_and_sees_administration(page: Page, live_server):
    AdminFactory(email="admin@example.com", first_name="Alex")
    log_in(page, live_server, "admin@example.com")
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    page.get_by_role("navigation", name="Main navigation").get_by_role("button", name="Admin").click()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()


def test_wrong_password_shows_an_error_and_stays_logged_out(page: Page, live_server):
    UserFactory(email="learner@example.com")
    log_in(page, live_server, "learner@example.com", "not-the-password")
    expect(page.get_by_test_id("login-error")).to_contain_text("do not match")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_phone_width_navigation_is_reachable_by_keyboard(page: Page, live_server):
    page.set_viewport_size({"width": 390, "height": 800})
    lead = UserFactory(email="lead@example.com")
    UserFactory(manager=lead)
    log_in(page, live_server, "lead@example.com")
    toggle = page.get_by_role("button", name="Toggle navigation")
    expect(toggle).to_be_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Main navigation")
    team_menu = nav.get_by_role("button", name="Team", exact=True)
    expect(team_menu).to_be_visible()
    team_menu.focus()
    page.keyboard.press("Enter")
    nav_link = nav.get_by_role("link", name="My team")
    expect(nav_link).to_be_visible()
