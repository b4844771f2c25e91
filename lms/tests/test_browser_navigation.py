"""The main navigation in a real browser (issue 13 item 21): at 1,280 px an admin's menu fits on
one row with their name level with the links; "My team" and "Team dashboard" each say what they
are for; a focused navigation link shows a ring that stands out from the bar (3:1 or more)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def admin_with_a_long_name(db):
    admin = AdminFactory(email="admin@example.com", first_name="Alexandra", last_name="Administrator-Smythe")
    UserFactory(manager=admin)
    return admin


def test_at_1280_px_the_admin_navigation_is_one_row_with_the_name_level(
    page: Page, live_server, admin_with_a_long_name
):
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "admin@example.com")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_test_id("signed-in-as")).to_have_text("Alexandra Administrator-Smythe")
    items = nav.locator(".navbar-brand, .navbar-nav > .nav-item > .nav-link")
    boxes = [items.nth(i).bounding_box() for i in range(items.count())]
    assert len(boxes) >= 7  # brand, 3 learner links, Team, Admin, the user's menu
    middles = [box["y"] + box["height"] / 2 for box in boxes]
    assert max(middles) - min(middles) <= 2, middles  # one row, the name level with the links
    tops = [box["y"] for box in boxes[1:]]
    assert max(tops) - min(tops) <= 1, tops
    assert nav.bounding_box()["height"] < 80  # not two rows


def test_my_team_and_team_dashboard_say_what_each_is_for(page: Page, live_server, admin_with_a_long_name):
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "admin@example.com")
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Team").click()
    team = nav.get_by_role("link", name="My team")
    dashboard = nav.get_by_role("link", name="Team dashboard")
    expect(team).to_contain_text("Who reports to you")
    expect(dashboard).to_contain_text("Compliance of everyone below you")
    dashboard.click()
    expect(page.get_by_role("heading", name="Team dashboard")).to_be_visible()


def test_a_focused_navigation_link_shows_a_ring_that_stands_out_from_the_bar(
    page: Page, live_server, admin_with_a_long_name
):
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "admin@example.com")
    nav = page.get_by_role("navigation", name="Main navigation")
    bar = nav.evaluate("(n) => getComputedStyle(n).backgroundColor")
    link = nav.get_by_role("link", name="Training history")
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    link.focus()
    style = link.evaluate(
        "(a) => { const s = getComputedStyle(a); return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor}; }"
    )
    assert style["style"] == "solid" and style["width"] >= 2, style
    assert contrast(style["colour"], bar) >= 3, (style, bar)
    for name in ("Team", "Admin"):
        button = nav.get_by_role("button", name=name, exact=True)
        button.focus()
        colour = button.evaluate("(b) => getComputedStyle(b).outlineColor")
        assert button.evaluate("(b) => getComputedStyle(b).outlineStyle") == "solid"
        assert contrast(colour, bar) >= 3
