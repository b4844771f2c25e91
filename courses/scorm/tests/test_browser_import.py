"""Browser journey: an admin uploads a SCORM zip, sees the course with its SCO list and publishes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from courses.models import Course
from courses.scorm.models import ScormPackage
from courses.scorm.testing import build_package
from courses.scorm.tests.conftest import stored_files
from courses.tests.test_browser_authoring import log_in
from lms.tests.factories import AdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _file(name: str, content: bytes) -> dict:
    return {"name": name, "mimeType": "application/zip", "buffer": content}


def test_admin_uploads_a_scorm_package_sees_its_scos_and_publishes(page: Page, live_server, scorm_storage, tmp_path):
    AdminFactory(email="admin@example.com")
    log_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server.url}/courses/authoring/")
    page.get_by_role("link", name="Import a SCORM package").click()
    expect(page.get_by_role("heading", name="Import a SCORM package")).to_be_visible()

    # The common mistake first: the folder zipped instead of its contents.
    page.get_by_label("SCORM package (.zip)").set_input_files(_file("course.zip", build_package(folder="Course")))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("import-problems")).to_contain_text(
        "the zip has one at Course/imsmanifest.xml: zip the folder's contents, not the folder."
    )
    assert not Course.objects.exists() and stored_files(scorm_storage) == []

    package = build_package(
        "2004-4",
        scos=[{"title": "Welcome", "parent": "Part 1"}, {"title": "Gifts and hospitality", "parent": "Part 1"}, "Quiz"],
        mastery_score=80,
        title="Anti-bribery",
    )
    page.get_by_label("SCORM package (.zip)").set_input_files(_file("anti-bribery.zip", package))
    page.get_by_label("Code").fill("ABC-2026")
    page.get_by_label("Compliance-critical").check()
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="Anti-bribery", exact=True)).to_be_visible()
    expect(page.get_by_test_id("course-status")).to_have_text("Draft")
    package_box = page.get_by_test_id("scorm-package")
    expect(package_box).to_contain_text("SCORM package “Anti-bribery” (SCORM 2004 4th edition)")
    expect(package_box).to_contain_text("mastery score 80%")
    items = page.get_by_test_id("scorm-items").get_by_role("listitem")
    expect(items).to_have_text(
        [
            "Part 1 › Welcome (SCO: sco1/index.html)",
            "Part 1 › Gifts and hospitality (SCO: sco2/index.html)",
            "Quiz (SCO: sco3/index.html)",
        ]
    )
    expect(page.get_by_test_id("quiz-scorm")).to_contain_text(
        "Played by the SCORM package of the module “Anti-bribery”"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "scorm-course-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert")).to_contain_text("ABC-2026 v1: Anti-bribery is published.")
    course = Course.objects.get(code="ABC-2026")
    assert course.status == Course.Status.PUBLISHED and course.pass_mark == 80 and course.compliance_critical
    assert ScormPackage.objects.get().course == course
