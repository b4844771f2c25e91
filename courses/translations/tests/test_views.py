"""The admin's translation pages: status, one text's translation, export and import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Module
from courses.tests.factories import make_course
from courses.translations.exchange import importing, tabular, xliff
from courses.translations.models import TextTranslation
from courses.translations.selectors import digest, source_texts
from courses.translations.services import translation_save
from courses.translations.tests.exchange_helpers import fill_csv, fill_xliff
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return make_course(questions=1, modules=1, code="FIRE-1", title="Fire safety", description="What to do.")


@pytest.fixture
def admin_client(client):
    admin = AdminFactory()
    client.force_login(admin)
    client.admin = admin
    return client


def module_of(course) -> Module:
    return course.modules.get()


def status_url(course, language: str = "") -> str:
    url = reverse("authoring_course_translations", args=[course.pk])
    return f"{url}?language={language}" if language else url


def edit_url(course, language: str, kind: str, object_id: int, field: str, action: str = "edit") -> str:
    return reverse(f"authoring_translation_{action}", args=[course.pk, language, kind, object_id, field])


def upload(data: bytes, name: str = "fire-fr.xlf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- the status page ------------------------------------------------------------------------


def test_the_course_page_links_to_its_translations(admin_client, course):
    response = admin_client.get(reverse("authoring_course_detail", args=[course.pk]))

    assert f'href="{status_url(course)}"'.encode() in response.content


def test_the_status_page_counts_each_language_and_lists_what_is_missing_or_outdated(admin_client, course):
    module = module_of(course)
    total = len(source_texts(course))
    translation_save(
        course=course, language="fr", kind="module", object_id=module.pk, field="title", text="Alarme", by=None
    )
    translation_save(
        course=course, language="fr", kind="course", object_id=course.pk, field="title", text="Incendie", by=None
    )
    Module.objects.filter(pk=module.pk).update(title="Raising the alarm")

    response = admin_client.get(status_url(course, "fr"))

    assert response.status_code == 200
    [fr] = [row for row in response.context["rows"] if row["status"].language == "fr"]
    assert (fr["status"].translated, fr["status"].missing, fr["status"].outdated) == (1, total - 2, 1)
    assert fr["available"] is False
    assert [row["status"].language for row in response.context["rows"]] == ["fr", "de", "es", "ar"]
    texts = {row.unit_id: row for row in response.context["texts"]}
    assert f"course:{course.pk}:title" not in texts
    assert texts[f"module:{module.pk}:title"].state == "outdated"
    assert texts[f"module:{module.pk}:body"].state == "missing"
    page = response.content.decode()
    assert "Raising the alarm" in page and "Alarme" in page
    assert f'href="{edit_url(course, "fr", "module", module.pk, "body")}"' in page


def test_a_complete_language_says_so_and_is_offered(admin_client, course):
    importing.translations_import(
        course=course, language="de", data=fill_xliff(xliff.export_xliff(course, "de")), by=None
    )

    response = admin_client.get(status_url(course, "de"))

    assert response.context["texts"] == []
    assert b'data-testid="language-complete"' in response.content
    [de] = [row for row in response.context["rows"] if row["status"].language == "de"]
    assert de["available"] is True


@pytest.mark.parametrize("language", ["en-gb", "xx", "fr-fr"])
def test_the_courses_own_or_an_unknown_language_is_404(admin_client, course, language):
    assert admin_client.get(status_url(course, language)).status_code == 404


def test_pages_of_a_course_that_does_not_exist_are_404(admin_client, course):
    missing = course.pk + 1000
    assert admin_client.get(reverse("authoring_course_translations", args=[missing])).status_code == 404
    assert admin_client.get(reverse("authoring_translations_import", args=[missing])).status_code == 404
    assert admin_client.get(reverse("authoring_translations_export", args=[missing])).status_code == 404
    assert (
        admin_client.get(
            edit_url(course, "fr", "course", course.pk, "title").replace(f"/{course.pk}/", f"/{missing}/", 1)
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["learner", "manager"])
def test_learners_and_managers_are_refused(client, course, role):
    user = UserFactory()
    if role == "manager":
        UserFactory(manager=user)
    client.force_login(user)
    module = module_of(course)
    for url in (
        status_url(course),
        reverse("authoring_translations_export", args=[course.pk]) + "?language=fr&format=xliff",
        reverse("authoring_translations_import", args=[course.pk]),
        edit_url(course, "fr", "module", module.pk, "title"),
    ):
        assert client.get(url).status_code == 403, url
    post = client.post(edit_url(course, "fr", "module", module.pk, "title"), {"text": "Alarme"})
    assert post.status_code == 403
    assert client.post(edit_url(course, "fr", "module", module.pk, "title", "delete")).status_code == 403
    imported = client.post(
        reverse("authoring_translations_import", args=[course.pk]),
        {"language": "fr", "file": upload(fill_xliff(xliff.export_xliff(course, "fr")))},
    )
    assert imported.status_code == 403
    assert TextTranslation.objects.count() == 0


# --- one text -------------------------------------------------------------------------------


def test_an_admin_translates_one_text_beside_its_main_text(admin_client, course):
    module = module_of(course)
    url = edit_url(course, "fr", "module", module.pk, "title")

    page = admin_client.get(url)
    assert page.status_code == 200
    assert module.title in page.content.decode()
    response = admin_client.post(url, {"text": "  Donner l'alerte  "})

    assert response.status_code == 302
    assert response.url == status_url(course, "fr") + "#texts"
    saved = TextTranslation.objects.get()
    assert (saved.kind, saved.object_id, saved.field, saved.language) == ("module", module.pk, "title", "fr")
    assert saved.text == "Donner l'alerte"
    assert saved.source_digest == digest(module.title)
    assert saved.translated_by == admin_client.admin


def test_an_html_translation_uses_the_body_editor_and_is_sanitised(admin_client, course):
    module = module_of(course)
    url = edit_url(course, "ar", "module", module.pk, "body")

    page = admin_client.get(url).content.decode()
    assert 'data-rich-text="true"' in page
    assert 'lang="ar"' in page and 'dir="rtl"' in page
    admin_client.post(url, {"text": '<p>اقرأ هذا.</p><script>alert(1)</script><a href="javascript:x()">x</a>'})

    assert TextTranslation.objects.get().text == '<p>اقرأ هذا.</p><a rel="noopener noreferrer">x</a>'


def test_an_empty_translation_is_refused_on_the_field(admin_client, course):
    module = module_of(course)

    response = admin_client.post(edit_url(course, "fr", "module", module.pk, "title"), {"text": "   "})

    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [
        "Enter the translation. To show learners the main text instead, delete the translation."
    ]
    assert TextTranslation.objects.count() == 0


def test_a_text_of_another_course_or_an_unknown_text_is_404(admin_client, course):
    other = make_course(questions=1, modules=1, code="GDPR-1")
    other_module = module_of(other)
    module = module_of(course)
    for url in (
        edit_url(course, "fr", "module", other_module.pk, "title"),
        edit_url(course, "fr", "module", module.pk, "video_url"),
        edit_url(course, "fr", "lesson", module.pk, "title"),
        edit_url(course, "en-gb", "module", module.pk, "title"),
    ):
        assert admin_client.get(url).status_code == 404, url
        assert admin_client.post(url, {"text": "x"}).status_code == 404, url
    delete = edit_url(course, "fr", "module", other_module.pk, "title", "delete")
    assert admin_client.post(delete).status_code == 404
    assert TextTranslation.objects.count() == 0


def test_an_admin_deletes_a_translation(admin_client, course):
    module = module_of(course)
    translation_save(
        course=course, language="fr", kind="module", object_id=module.pk, field="title", text="Alarme", by=None
    )

    response = admin_client.post(edit_url(course, "fr", "module", module.pk, "title", "delete"), follow=True)

    assert TextTranslation.objects.count() == 0
    assert "French translation of Module" in response.content.decode()
    assert admin_client.get(edit_url(course, "fr", "module", module.pk, "title", "delete")).status_code == 405


# --- export and import ----------------------------------------------------------------------


def test_export_downloads_xliff_or_csv_named_after_the_course(admin_client, course):
    url = reverse("authoring_translations_export", args=[course.pk])

    xliff_file = admin_client.get(url, {"language": "fr", "format": "xliff"})
    csv_file = admin_client.get(url, {"language": "fr", "format": "csv"})

    assert xliff_file["Content-Type"] == "application/xliff+xml"
    assert xliff_file["Content-Disposition"] == 'attachment; filename="FIRE-1-v1-fr.xlf"'
    assert xliff_file.content == xliff.export_xliff(course, "fr")
    assert csv_file["Content-Disposition"] == 'attachment; filename="FIRE-1-v1-fr.csv"'
    assert csv_file.content == tabular.export_csv(course, "fr")


def test_an_export_without_a_language_goes_back_saying_so(admin_client, course):
    url = reverse("authoring_translations_export", args=[course.pk])

    response = admin_client.get(url, {"language": "en-gb", "format": "xliff"}, follow=True)

    assert response.redirect_chain[-1][0] == status_url(course)
    assert "Choose a language and a format to export." in response.content.decode()


def test_an_import_shows_its_summary_and_a_replay_says_nothing_changed(admin_client, course):
    url = reverse("authoring_translations_import", args=[course.pk])
    data = fill_csv(tabular.export_csv(course, "fr"))
    total = len(source_texts(course))

    first = admin_client.post(url, {"language": "fr", "file": upload(data, "fire.csv")}, follow=True)
    second = admin_client.post(url, {"language": "fr", "file": upload(data, "fire.csv")}, follow=True)

    assert (
        f"French translations imported: {total} translations added, 0 updated, 0 unchanged." in first.content.decode()
    )
    assert (
        f"Nothing changed: every translation in the file is already saved (0 translations added, 0 updated, "
        f"{total} unchanged)." in second.content.decode()
    )
    assert TextTranslation.objects.filter(language="fr").count() == total


def test_a_refused_import_lists_its_problems_and_writes_nothing(admin_client, course):
    module = module_of(course)
    data = fill_xliff(xliff.export_xliff(course, "fr"))
    Module.objects.filter(pk=module.pk).update(title="Raising the alarm")

    response = admin_client.post(
        reverse("authoring_translations_import", args=[course.pk]), {"language": "fr", "file": upload(data)}
    )

    assert response.status_code == 200
    assert response.context["problems"][0].startswith("The main text of 1 text changed since this file was exported")
    assert "Nothing was imported. Problems found:" in response.content.decode()
    assert TextTranslation.objects.count() == 0


def test_an_upload_over_the_limit_is_refused_before_it_is_read(admin_client, course, settings):
    settings.UPLOAD_MAX_BYTES = 1000

    response = admin_client.post(
        reverse("authoring_translations_import", args=[course.pk]),
        {"language": "fr", "file": upload(b"<" + b"x" * 5000)},
    )

    assert response.context["problems"] == ["The file is too large (4.9\xa0KB); the limit is 1000\xa0bytes."]
    assert TextTranslation.objects.count() == 0


def test_the_status_page_reads_a_fixed_number_of_queries_whatever_the_course_size(
    admin_client, django_assert_max_num_queries
):
    small = make_course(questions=1, modules=1, code="SMALL-1")
    large = make_course(questions=12, modules=8, code="LARGE-1")
    for course in (small, large):
        data = fill_xliff(xliff.export_xliff(course, "fr"))
        importing.translations_import(course=course, language="fr", data=data, by=None)

    with django_assert_max_num_queries(40) as small_queries:
        admin_client.get(status_url(small, "de"))
    with django_assert_max_num_queries(40) as large_queries:
        admin_client.get(status_url(large, "de"))

    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_with_its_byte_order_mark_is_imported_through_the_page(admin_client, course, encoding):
    # Outside eyes: the page's upload check refused UTF-16 as binary before the importer, which
    # reads it, ever saw the file.
    import codecs

    text = fill_csv(tabular.export_csv(course, "fr")).decode("utf-8")
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    url = reverse("authoring_translations_import", args=[course.pk])

    response = admin_client.post(
        url, {"language": "fr", "file": upload(bom + text.encode(encoding), "unicode.csv")}, follow=True
    )

    assert "French translations imported:" in response.content.decode()
    assert TextTranslation.objects.filter(language="fr").count() == len(source_texts(course))


def test_a_binary_file_is_still_refused_by_the_page_and_nothing_is_written(admin_client, course):
    url = reverse("authoring_translations_import", args=[course.pk])
    response = admin_client.post(url, {"language": "fr", "file": upload(b"id,text\x00\x01\x02", "odd.csv")})

    assert "binary data" in " ".join(response.context["problems"])
    assert TextTranslation.objects.count() == 0
