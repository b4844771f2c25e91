"""In a real browser, two people at once (two browser contexts): a learner logs external CPD with a
certificate, their manager sees it waiting (the menu counts it), returns it with a comment, the
learner changes it and sends it again, the manager approves it, and it counts in the learner's
record and on the person page's CPD tab."""

from __future__ import annotations

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from assignments.cpd.models import ExternalLearning
from lms.tests.factories import UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(path) -> str:
    Image.new("RGB", (40, 30), "white").save(path, format="PNG")
    return str(path)


def test_a_learner_logs_external_cpd_and_the_manager_returns_then_approves_it(
    page: Page, browser: Browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    manager = UserFactory(email="manager@example.com", first_name="Morgan", last_name="Lead")
    UserFactory(email="nia@example.com", first_name="Nia", last_name="Nurse", manager=manager)
    today = timezone.localdate().isoformat()

    # The learner logs a conference with a photo of the certificate.
    log_in(page, live_server, "nia@example.com")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="My CPD").click()
    page.get_by_role("link", name="Log external learning").click()
    page.get_by_label("Title").fill("Wound care conference")
    page.get_by_label("Provider").fill("Royal College")
    page.get_by_label("Date").fill(today)
    page.get_by_label("Hours").fill("6")
    page.get_by_label("CPD points").fill("4")
    page.get_by_label("Evidence (optional)").set_input_files(png(tmp_path / "certificate.png"))
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_test_id("cpd-status")).to_have_text("Waiting for approval")

    # The manager, in a browser of their own, finds it waiting and returns it.
    boss = browser.new_context(base_url=live_server.url).new_page()
    log_in(boss, live_server, "manager@example.com")
    boss.get_by_role("button", name="Team").click()
    expect(boss.get_by_role("link", name="CPD approvals")).to_contain_text("1")
    boss.get_by_role("link", name="CPD approvals").click()
    boss.get_by_role("link", name="Wound care conference").click()
    with boss.expect_download() as download:
        boss.get_by_test_id("cpd-evidence").click()
    assert download.value.suggested_filename == "certificate.png"
    boss.get_by_role("button", name="Return with comment").click()
    expect(boss.get_by_text("Say what the learner should change")).to_be_visible()
    boss.get_by_label("Comment").fill("Give the points on the certificate: 3.")
    boss.get_by_role("button", name="Return with comment").click()
    expect(boss.get_by_text("Returned to Nia Nurse with your comment.")).to_be_visible()

    # The learner reads the comment, changes the points and sends it again.
    page.reload()
    expect(page.get_by_test_id("cpd-status")).to_have_text("Returned")
    expect(page.get_by_test_id("cpd-comment")).to_have_text("Give the points on the certificate: 3.")
    page.get_by_role("link", name="Change and send again").click()
    page.get_by_label("CPD points").fill("3")
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_test_id("cpd-status")).to_have_text("Waiting for approval")

    # The manager approves the new submission (it is waiting again).
    boss.reload()
    boss.get_by_role("link", name="Wound care conference").click()
    boss.get_by_role("button", name="Approve").click()
    expect(boss.get_by_text("Approved: it now counts in Nia Nurse's CPD record.")).to_be_visible()
    expect(boss.get_by_text("Nothing is waiting for your approval.")).to_be_visible()
    entry = ExternalLearning.objects.get()
    assert (entry.status, entry.submission, str(entry.points)) == ("approved", 2, "3.00")

    # It counts in the learner's record, and on the manager's view of their person page.
    page.goto(f"{live_server.url}/cpd/")
    expect(page.get_by_test_id("cpd-points")).to_have_text("3.00")
    expect(page.get_by_test_id("cpd-hours")).to_have_text("6.00")
    boss.goto(f"{live_server.url}/people/{entry.learner_id}/?tab=cpd")
    expect(boss.get_by_test_id("cpd-items")).to_contain_text("Wound care conference")
    expect(boss.get_by_test_id("cpd-points")).to_have_text("3.00")
    boss.context.close()


@pytest.mark.parametrize("path", ["/cpd/", "/cpd/external/{pk}/"])
def test_a_long_unbroken_title_does_not_widen_the_page_on_a_phone(page: Page, live_server, path):
    # Outside eyes (issue 17): a 199-character title without spaces made "My CPD" 1480 px and the
    # entry page 2133 px wide at 390 px.
    import datetime as dt
    from decimal import Decimal

    from assignments.cpd.services import external_learning_submit

    learner = UserFactory(email="learner@example.com", manager=UserFactory())
    entry = external_learning_submit(
        learner=learner, title="W" * 199, provider="P" * 199, completed_on=dt.date(2026, 5, 1), hours=Decimal("2")
    )
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "learner@example.com")
    page.goto(live_server.url + path.format(pk=entry.pk))
    expect(page.get_by_text("W" * 30, exact=False).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_arabic_record_on_a_phone_scrolls_its_table_and_keeps_the_job_title_whole(
    page: Page, live_server, settings
):
    # Outside tester (fix 17): at 390 px in Arabic the learning table squeezed its titles letter by
    # letter and cut off the Hours column, and the English job title inside the Arabic target line
    # scrambled its brackets.
    import datetime as dt
    from decimal import Decimal

    from assignments.cpd.models import CpdTarget
    from assignments.cpd.services import external_learning_approve, external_learning_submit

    manager = UserFactory()
    learner = UserFactory(email="learner@example.com", manager=manager, locale="ar", job_title="Staff Nurse (Band 5)")
    CpdTarget.objects.create(job_title="Staff Nurse (Band 5)", points=Decimal("30"))
    today = timezone.localdate()
    for title in ("Wound care conference for community nursing teams", "Sepsis recognition webinar"):
        entry = external_learning_submit(
            learner=learner,
            title=title,
            provider="Royal College of Nursing",
            completed_on=today - dt.timedelta(days=1),
            hours=Decimal("12.5"),
            points=Decimal("10"),
        )
        external_learning_approve(entry=entry, actor=manager, submission=1)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, "learner@example.com")
    page.goto(f"{live_server.url}/cpd/")

    # The English job title sits whole, brackets and all, inside the Arabic target line.
    assert "(<bdi>Staff Nurse (Band 5)</bdi>)" in page.get_by_test_id("cpd-totals").inner_html()
    # The caption is shown above the scroll box, and nothing widens the page.
    expect(page.get_by_test_id("cpd-items-caption")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Titles wrap between words, never inside one: no more lines than words.
    for title in ("Wound care conference for community nursing teams", "Sepsis recognition webinar"):
        link = page.get_by_test_id("cpd-items").get_by_role("link", name=title)
        lines = link.evaluate("element => element.getClientRects().length")
        assert 1 <= lines <= len(title.split()), (title, lines)
    # The Hours column can be brought whole into view (the box scrolls sideways when it must).
    hours = page.get_by_test_id("cpd-items").get_by_role("columnheader").last
    hours.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/fix17b/after.png", full_page=True)
    box = hours.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.screenshot(path="/tmp/fix17b/after.png", full_page=True)
