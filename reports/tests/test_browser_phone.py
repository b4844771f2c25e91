"""Charts and tables on a phone, in a real browser at 390 px (issue 13 item 20): no chart label
clipped (measured by the browser, not estimated), chart text readable, and the key columns of a
table never cut at the screen's edge."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import Page, expect

from courses.models import Course
from lms.tests.test_browser import log_in
from reports.tests.conftest import D, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_TITLE = "INFOSEC essentials for every member of staff, contractors included"

# For each visible chart: every text's box (as drawn, in viewBox units) and its drawn height in px.
CHART_TEXTS = """(figure) => [...figure.querySelectorAll('svg.report-chart')]
  .filter((svg) => svg.getBoundingClientRect().width > 0)
  .map((svg) => ({
    viewBox: svg.viewBox.baseVal.width,
    drawnWidth: svg.getBoundingClientRect().width,
    texts: [...svg.querySelectorAll('text')].map((t) => {
      const box = t.getBBox();
      return {text: t.textContent, x: box.x, right: box.x + box.width, px: t.getBoundingClientRect().height};
    }),
  }))"""


@pytest.fixture(autouse=True)
def _on_day_d():
    with time_machine.travel(at(D), tick=True):
        yield


def assert_charts_fit(page: Page, testid: str) -> list[dict]:
    charts = page.get_by_test_id(testid).evaluate(CHART_TEXTS)
    assert len(charts) == 1  # one layout shown at a time
    chart = charts[0]
    assert chart["drawnWidth"] <= PHONE["width"]
    for text in chart["texts"]:
        assert text["x"] >= 0 and text["right"] <= chart["viewBox"] + 0.5, text
        assert text["px"] >= 11, text  # readable, not a 640-unit chart shrunk to 6 px text
    return chart["texts"]


def test_charts_at_390_px_are_readable_and_clip_no_label(page: Page, live_server, org):
    Course.objects.filter(code="SAFE").update(title=LONG_TITLE)
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "lee@example.com")
    page.goto(f"{live_server.url}/reports/team/")
    texts = assert_charts_fit(page, "course-chart")
    label = next(t["text"] for t in texts if "INFOSEC" in t["text"])
    assert label.startswith("SAFE · INFOSEC essentials")  # its start kept; the full title in <title>
    chart = page.get_by_test_id("course-chart").get_by_role("img")
    expect(chart).to_have_attribute(
        "aria-label", f"Compliance % by course: CODE · Code of conduct: 0%; SAFE · {LONG_TITLE}: 50%; Overall: 33.3%"
    )

    page.context.clear_cookies()
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/reports/organisation/")
    assert_charts_fit(page, "course-chart")
    assert_charts_fit(page, "trend-chart")


def test_at_1280_px_the_wide_chart_is_shown(page: Page, live_server, org):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "lee@example.com")
    page.goto(f"{live_server.url}/reports/team/")
    charts = page.get_by_test_id("course-chart").evaluate(CHART_TEXTS)
    assert len(charts) == 1 and charts[0]["viewBox"] == 640
    assert all(t["x"] >= 0 and t["right"] <= 640.5 for t in charts[0]["texts"])


def in_view(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_tables_at_390_px_keep_their_key_columns_readable(page: Page, live_server, org):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "p1@example.com")
    # the learner's completed training: one card per row, the certificate link whole on screen
    row = page.get_by_test_id("completion-row").first
    link = row.get_by_role("link", name="Download certificate")
    expect(link).to_be_visible()
    assert in_view(page, link)
    assert link.evaluate("(a) => a.scrollWidth <= a.getBoundingClientRect().width + 1")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    # a wide table scrolled to its end keeps its first column (the person) in view
    page.context.clear_cookies()
    log_in(page, live_server, "lee@example.com")
    page.goto(f"{live_server.url}/reports/team/")
    table = page.get_by_test_id("overdue-list")
    scroller = table.locator("xpath=ancestor::div[contains(@class, 'table-responsive')][1]")
    assert scroller.evaluate("(d) => d.scrollWidth > d.clientWidth")  # it does scroll sideways
    scroller.evaluate("(d) => { d.scrollLeft = d.scrollWidth; }")
    person = table.get_by_role("link", name="P3 Person3")
    assert in_view(page, person)


def test_table_captions_at_390_px_show_whole_above_the_scroll_box(page: Page, live_server, org):
    """Outside eyes 13 (D4): "Counts per state by department; choose a de…" was cut inside the
    table's horizontal scroll box on the organisation report and the dashboard."""
    page.set_viewport_size(PHONE)
    for who, path, testids in (
        ("admin@example.com", "/reports/organisation/", ("department-table", "org-course-table")),
        ("dana@example.com", "/reports/team/?scope=all&state=overdue", ("course-table", "state-list")),
        # and the lapse forecast's two tables (a later outside-eyes pass found its captions cut)
        ("admin@example.com", "/reports/forecast/", ("forecast-table", "forecast-people")),
    ):
        page.context.clear_cookies()
        log_in(page, live_server, who)
        page.goto(f"{live_server.url}{path}")
        for testid in testids:
            table = page.get_by_test_id(testid)
            caption = page.get_by_test_id(f"{testid}-caption")
            expect(caption).to_be_visible()
            # the whole text is on screen: it wraps inside the viewport, nothing scrolled away
            assert in_view(page, caption), (path, testid)
            assert caption.evaluate("(p) => p.scrollWidth <= p.clientWidth + 1"), (path, testid)
            assert caption.inner_text() == table.locator("caption").text_content()
            # a screen reader still hears the table's caption with the table
            assert table.evaluate("(t) => t.caption !== null && t.caption.textContent.length > 0")
        if path.startswith("/reports/forecast/"):
            continue  # plain counts there, no share beside them
        # a count with its share ("9 (13%)") stays on one line
        cells = page.get_by_test_id(testids[0]).locator("tbody td.text-end")
        assert cells.count() > 0
        assert cells.evaluate_all("(cs) => cs.every((c) => getComputedStyle(c).whiteSpace === 'nowrap')")
    page.context.clear_cookies()
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/reports/organisation/")
    assert "choose a department to see its people" in page.get_by_test_id("department-table-caption").inner_text()


@pytest.mark.parametrize("width", [390, 1280])
def test_charts_on_an_arabic_page_keep_their_labels_inside(page: Page, live_server, org, width):
    # Outside eyes (issue 16): on Arabic pages the labels (text-anchor "start", read right to left)
    # were drawn over the bars and off the chart.
    from lms.models import User

    User.objects.filter(email="lee@example.com").update(locale="ar")
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "lee@example.com")
    page.goto(f"{live_server.url}/reports/team/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    charts = page.get_by_test_id("course-chart").evaluate(CHART_TEXTS)
    assert len(charts) == 1
    for text in charts[0]["texts"]:
        assert text["x"] >= 0 and text["right"] <= charts[0]["viewBox"] + 0.5, text
    page.get_by_test_id("course-chart").screenshot(path=f"/tmp/ar-chart-{width}.png")
