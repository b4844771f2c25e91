"""Browser journey: an admin sees a missing French text, exports the course's texts as XLIFF, has
them translated (filled in here), imports the file and sees French complete and offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from courses.tests.factories import make_course
from courses.tests.test_browser_authoring import log_in
from courses.translations.selectors import available_languages
from courses.translations.tests.exchange_helpers import fill_xliff
from lms.tests.factories import AdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_exports_xliff_imports_the_translation_and_french_is_complete(page: Page, live_server, tmp_path: Path):
    AdminFactory(email="admin@example.com")
    course = make_course(questions=1, modules=1, code="FIRE-1", title="Fire safety", description="What to do.")
    module = course.modules.get()
    log_in(page, live_server, "admin@example.com")

    # From the course's authoring page to its translations, and French's texts.
    page.goto(f"{live_server.url}/courses/authoring/{course.pk}/")
    page.get_by_test_id("translations-link").click()
    expect(page.get_by_role("heading", name="Translations", exact=True)).to_be_visible()
    expect(page.get_by_test_id("offered-fr")).to_have_text("No: not complete")
    # French is the first language the course can be translated into (not English (US): an en-gb
    # course reads as it is), so its texts are shown at once.
    expect(page.get_by_role("heading", name="French: texts to translate")).to_be_visible()
    missing = page.get_by_test_id(f"text-module:{module.pk}:title")
    expect(missing).to_contain_text(module.title)
    expect(missing).to_contain_text("Missing")

    # Export for a translation tool.
    export = page.get_by_role("region", name="Export for translators")
    export.get_by_label("Language").select_option("fr")
    export.get_by_label("Format").select_option("xliff")
    with page.expect_download() as download_info:
        export.get_by_role("button", name="Export").click()
    download = download_info.value
    assert download.suggested_filename == "FIRE-1-v1-fr.xlf"
    path = tmp_path / "fire.xlf"
    download.save_as(path)

    # The translator's work, then the import.
    translated = fill_xliff(path.read_bytes())
    upload = page.get_by_role("region", name="Import translations")
    upload.get_by_label("Language").select_option("fr")
    upload.get_by_label("Translated file").set_input_files(
        {"name": "fire-fr.xlf", "mimeType": "application/xliff+xml", "buffer": translated}
    )
    upload.get_by_role("button", name="Import").click()

    expect(page.get_by_role("alert").filter(has_text="French translations imported")).to_be_visible()
    expect(page.get_by_test_id("language-complete")).to_have_text("Every text has an up-to-date French translation.")
    expect(page.get_by_test_id("offered-fr")).to_have_text("Yes")
    assert available_languages(course) == ["fr"]
