"""The language switcher in a browser (issue 16): a learner switches, the page comes back in that
language (right to left for Arabic, with Bootstrap's RTL build), and the choice is theirs: it
survives signing out and in again, from a browser that never saw the switcher."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from lms.models import User
from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _sign_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("main input[name=username]").fill(email)
    page.locator("main input[name=password]").fill(TEST_PASSWORD)
    page.locator("main button[type=submit]").click()


def _switch(page: Page, language: str) -> None:
    """The switcher of the bar: in the person's own menu once signed in, in the bar before."""
    switcher = page.get_by_role("navigation").get_by_test_id("language-switcher")
    if page.locator("#user-menu").count():
        page.locator("#user-menu").click()
    switcher.locator("select[name=language]").select_option(language)
    switcher.get_by_role("button").click()


def test_a_learner_switches_language_and_keeps_it_after_signing_out_and_in(page: Page, browser: Browser, live_server):
    UserFactory(email="lee@example.com", first_name="Lee", locale="en-gb")
    _sign_in(page, live_server, "lee@example.com")
    expect(page.get_by_role("heading", name="About you")).to_be_visible()

    _switch(page, "fr")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name=_in("fr", "About you"))).to_be_visible()
    expect(page.get_by_role("navigation").locator("select[name=language]")).to_have_value("fr")

    _switch(page, "ar")

    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("link[href*='bootstrap.rtl.min.css']")).to_have_count(1)
    expect(page.get_by_role("heading", name=_in("ar", "About you"))).to_be_visible()
    # Mirrored: the brand sits at the right-hand end of the bar.
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand["x"] > page.viewport_size["width"] / 2
    assert User.objects.get(email="lee@example.com").locale == "ar"

    page.locator("#user-menu").click()
    page.locator("form[action$='/logout/'] button").click()
    expect(page.locator("main input[name=username]")).to_be_visible()

    # Another browser, asking for English, without the switcher's cookie: the person's language wins.
    other = browser.new_context(locale="en-GB", extra_http_headers={"Accept-Language": "en-GB,en;q=0.9"})
    try:
        fresh = other.new_page()
        _sign_in(fresh, live_server, "lee@example.com")
        expect(fresh.locator("html")).to_have_attribute("dir", "rtl")
        expect(fresh.locator("html")).to_have_attribute("lang", "ar")
        expect(fresh.get_by_role("heading", name=_in("ar", "About you"))).to_be_visible()
    finally:
        other.close()


def test_a_visitor_switches_the_login_page_without_signing_in(page: Page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    _switch(page, "de")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name=_in("de", "Log in"))).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
