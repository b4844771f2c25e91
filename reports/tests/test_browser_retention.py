"""The team's forgetting curve on the team dashboard in a real browser, wide and at 390 px
(issue 17). The figures are those of reports/tests/test_retention.py's hand-computed fixture."""

from __future__ import annotations

import os

import pytest
import time_machine
from playwright.sync_api import Page, expect

from lms.tests.test_browser import log_in
from reports.tests.conftest import D, at
from reports.tests.test_retention import boosters  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("RETENTION_SCREENSHOTS", "")


@pytest.fixture(autouse=True)
def _on_day_d():
    with time_machine.travel(at(D), tick=True):
        yield


def test_the_team_leader_reads_the_forgetting_curve_beside_compliance(page: Page, live_server, org, boosters):  # noqa: F811
    log_in(page, live_server, "lee@example.com")
    page.goto(f"{live_server.url}/reports/team/")
    panel = page.get_by_test_id("panel-retention")
    expect(panel.get_by_role("heading", name="Retention after the course")).to_be_visible()
    chart = panel.get_by_test_id("retention-chart").locator("svg.chart-wide")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute(
        "aria-label",
        "Booster answers right, by step after the course: CODE · Code of conduct: Step 1: 100% | "
        "SAFE · Safety basics: Step 1: 66.7%; Step 2: 33.3%; Step 3: 50%",
    )
    # the lines are drawn: one per course, with a marker at each answered step
    assert chart.locator("polyline").count() == 1  # CODE has one answered step: a point, not a line
    assert chart.locator("circle, rect, polygon").count() >= 4 + 2  # markers and legend samples
    safe = panel.get_by_test_id("retention-course").filter(has_text="SAFE")
    expect(safe.get_by_test_id("retention-step").nth(1)).to_contain_text("33.3%")
    expect(panel.get_by_role("link", name="CSV")).to_have_attribute("href", "/reports/team/retention/export.csv")
    if SHOTS:
        panel.screenshot(path=f"{SHOTS}/retention-wide.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    panel = page.get_by_test_id("panel-retention")
    narrow = panel.get_by_test_id("retention-chart").locator("svg.chart-narrow")
    expect(narrow).to_be_visible()
    expect(panel.get_by_test_id("retention-chart").locator("svg.chart-wide")).to_be_hidden()
    box = narrow.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    # the page itself does not scroll sideways (the table scrolls in its own box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if SHOTS:
        panel.screenshot(path=f"{SHOTS}/retention-phone.png")
