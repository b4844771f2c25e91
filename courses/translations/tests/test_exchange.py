"""XLIFF 1.2 and CSV export and import of a course's texts (courses.translations.exchange)."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext

from courses.models import Module
from courses.tests.factories import make_course
from courses.translations.exchange import importing, tabular, xliff
from courses.translations.models import TextTranslation
from courses.translations.selectors import available_languages, digest, source_texts, translation_status
from courses.translations.services import translation_save
from courses.translations.tests.exchange_helpers import csv_rows, fill_csv, fill_xliff, xliff_units
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return make_course(questions=2, modules=2, code="FIRE-1", title="Fire safety", description="What to do.")


@pytest.fixture
def admin():
    return AdminFactory()


def refusal(course, language: str, data: bytes, admin) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        importing.translations_import(course=course, language=language, data=data, by=admin)
    return caught.value.messages


def first_module(course) -> Module:
    return course.modules.order_by("order", "pk").first()


# --- export ---------------------------------------------------------------------------------


def test_xliff_export_names_the_course_languages_and_every_text_with_its_digest(course):
    data = xliff.export_xliff(course, "fr")

    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2">' in data
    assert b'original="course FIRE-1 v1" source-language="en-gb" target-language="fr" datatype="plaintext"' in data
    units = xliff_units(data)
    texts = source_texts(course)
    assert list(units) == [f"{t.kind}:{t.object_id}:{t.field}" for t in texts]
    module = first_module(course)
    unit = units[f"module:{module.pk}:body"]
    assert unit["source"] == "<p>Read this.</p>"
    assert unit["target"] is None
    assert unit["note"] == f"Module “{module.title}”, body (HTML)\nsource-digest: {digest('<p>Read this.</p>')}"


def test_xliff_export_carries_the_current_translation_as_target(course, admin):
    module = first_module(course)
    translation_save(
        course=course, language="fr", kind="module", object_id=module.pk, field="title", text="Alarme", by=admin
    )

    units = xliff_units(xliff.export_xliff(course, "fr"))

    assert units[f"module:{module.pk}:title"]["target"] == "Alarme"
    assert units[f"module:{module.pk}:body"]["target"] is None


def test_csv_export_has_one_row_per_text_with_id_label_digest_source_and_translation(course):
    rows = csv_rows(tabular.export_csv(course, "de"))

    assert rows[0] == ["id", "label", "source_digest", "source (en-gb)", "translation (de)"]
    assert len(rows) == 1 + len(source_texts(course))
    assert rows[1] == [
        f"course:{course.pk}:title",
        "Course “Fire safety”, title",
        digest("Fire safety"),
        "Fire safety",
        "",
    ]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_export_neutralises_cells_a_spreadsheet_would_run_as_a_formula(course, admin, prefix):
    module = first_module(course)
    Module.objects.filter(pk=module.pk).update(title=f'{prefix}HYPERLINK("http://evil")')
    translation_save(
        course=course, language="fr", kind="module", object_id=module.pk, field="title", text=f"{prefix}1+1", by=admin
    )

    [row] = [row for row in csv_rows(tabular.export_csv(course, "fr")) if row[0] == f"module:{module.pk}:title"]

    assert row[3] == f'\'{prefix}HYPERLINK("http://evil")'
    assert row[4] == f"'{prefix}1+1"
    assert not row[1].startswith(tabular.FORMULA_PREFIXES)


@pytest.mark.parametrize("text", ["=1+1", "'quoted", "''=x", "-", "plain", "'"])
def test_the_spreadsheet_quote_round_trips_exactly(text):
    assert tabular.from_spreadsheet_safe(tabular.spreadsheet_safe(text)) == text


# --- round trips ----------------------------------------------------------------------------


def test_xliff_round_trip_completes_the_language_and_offers_it_to_learners(course, admin):
    assert translation_status(course)["fr"].missing == len(source_texts(course))

    summary = importing.translations_import(
        course=course, language="fr", data=fill_xliff(xliff.export_xliff(course, "fr")), by=admin
    )

    total = len(source_texts(course))
    assert (summary.added, summary.updated, summary.unchanged) == (total, 0, 0)
    status = translation_status(course)["fr"]
    assert (status.translated, status.missing, status.outdated) == (total, 0, 0)
    assert "fr" in available_languages(course)
    module = first_module(course)
    saved = TextTranslation.objects.get(kind="module", object_id=module.pk, field="body", language="fr")
    assert saved.text == "FR <p>Read this.</p>"
    assert saved.source_digest == digest(module.body)
    assert saved.translated_by == admin
    assert summary.text() == f"{total} translations added, 0 updated, 0 unchanged"


def test_csv_round_trip_keeps_formula_like_translations_as_text(course, admin):
    module = first_module(course)
    data = fill_csv(tabular.export_csv(course, "es"), lambda source: tabular.spreadsheet_safe("=ES " + source))

    summary = importing.translations_import(course=course, language="es", data=data, by=admin)

    assert summary.added == len(source_texts(course))
    title = TextTranslation.objects.get(kind="module", object_id=module.pk, field="title", language="es")
    assert title.text == f"=ES {module.title}"
    assert translation_status(course)["es"].translated == len(source_texts(course))


def test_html_targets_are_sanitised_as_the_main_body_is(course, admin):
    module = first_module(course)
    uid = f"module:{module.pk}:body"
    data = fill_xliff(
        xliff.export_xliff(course, "fr"), lambda s: '<p onclick="x()">Lisez.</p><script>alert(1)</script>', {uid}
    )

    importing.translations_import(course=course, language="fr", data=data, by=admin)

    assert TextTranslation.objects.get(kind="module", object_id=module.pk, field="body").text == "<p>Lisez.</p>"


def test_a_replayed_import_changes_nothing_and_says_so(course, admin):
    data = fill_xliff(xliff.export_xliff(course, "fr"))
    importing.translations_import(course=course, language="fr", data=data, by=admin)
    before = list(TextTranslation.objects.order_by("pk").values_list("pk", "text", "source_digest", "updated_at"))
    audits = AuditEntry.objects.count()

    summary = importing.translations_import(course=course, language="fr", data=data, by=admin)

    assert not summary.changed
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, len(before))
    assert (
        list(TextTranslation.objects.order_by("pk").values_list("pk", "text", "source_digest", "updated_at")) == before
    )
    assert AuditEntry.objects.count() == audits


def test_an_import_is_audited_with_its_summary(course, admin):
    importing.translations_import(
        course=course, language="fr", data=fill_xliff(xliff.export_xliff(course, "fr")), by=admin
    )

    entry = AuditEntry.objects.filter(reason__startswith="Translations imported").get()
    assert entry.actor_id == admin.pk
    assert entry.object_id == str(course.pk)
    total = len(source_texts(course))
    assert entry.reason == f"Translations imported (fr, XLIFF): {total} added, 0 updated, 0 unchanged"
    # and each text, as a translation saved on its own page is
    module = first_module(course)
    [text_entry] = AuditEntry.objects.filter(
        reason="Translation saved", changes__has_key=f"translation fr module {module.pk} body"
    )
    assert text_entry.changes == {f"translation fr module {module.pk} body": [None, "FR <p>Read this.</p>"]}
    assert AuditEntry.objects.filter(reason="Translation saved").count() == total


def test_empty_targets_are_skipped_not_deletions(course, admin):
    module = first_module(course)
    translation_save(
        course=course, language="fr", kind="module", object_id=module.pk, field="title", text="Alarme", by=admin
    )
    data = fill_xliff(xliff.export_xliff(course, "fr"), lambda s: "   ")

    summary = importing.translations_import(course=course, language="fr", data=data, by=admin)

    assert (summary.added, summary.updated, summary.empty) == (0, 0, len(source_texts(course)))
    assert TextTranslation.objects.get().text == "Alarme"


def test_an_outdated_translation_imported_again_is_updated_and_current(course, admin):
    module = first_module(course)
    translation_save(
        course=course, language="fr", kind="module", object_id=module.pk, field="title", text="Ancien", by=admin
    )
    Module.objects.filter(pk=module.pk).update(title="Raising the alarm")
    assert translation_status(course)["fr"].outdated == 1
    uid = f"module:{module.pk}:title"

    summary = importing.translations_import(
        course=course, language="fr", data=fill_xliff(xliff.export_xliff(course, "fr"), only={uid}), by=admin
    )

    assert (summary.added, summary.updated) == (0, 1)
    saved = TextTranslation.objects.get()
    assert (saved.text, saved.source_digest) == ("FR Raising the alarm", digest("Raising the alarm"))
    assert translation_status(course)["fr"].outdated == 0


def test_an_untouched_export_returned_leaves_an_outdated_translation_outdated(course, admin):
    # Outside eyes (issue 16): importing an export nobody had edited marked the translation of the
    # old text as current, and learners were offered it.
    module = first_module(course)
    translation_save(
        course=course, language="fr", kind="module", object_id=module.pk, field="title", text="Ancien", by=admin
    )
    Module.objects.filter(pk=module.pk).update(title="Raising the alarm")
    exported = xliff.export_xliff(course, "fr")
    assert b'state="needs-review-translation">Ancien</target>' in exported

    for data in (exported, tabular.export_csv(course, "fr")):
        summary = importing.translations_import(course=course, language="fr", data=data, by=admin)
        assert (summary.added, summary.updated) == (0, 0)
        assert translation_status(course)["fr"].outdated == 1
    assert TextTranslation.objects.get().source_digest != digest("Raising the alarm")


# --- refusals -------------------------------------------------------------------------------


def test_a_changed_source_text_refuses_the_whole_file_listing_the_changed_texts(course, admin):
    module = first_module(course)
    data = fill_xliff(xliff.export_xliff(course, "fr"))
    Module.objects.filter(pk=module.pk).update(title="Raising the alarm", body="<p>Break the glass.</p>")

    messages = refusal(course, "fr", data, admin)

    assert messages[0] == (
        "The main texts of 2 texts changed since this file was exported, so nothing was imported (a stale file "
        "must not overwrite newer work). Export the file again and translate the changed texts: "
        f"module:{module.pk}:title (Module “Raising the alarm”, title); "
        f"module:{module.pk}:body (Module “Raising the alarm”, body (HTML))."
    )
    assert TextTranslation.objects.count() == 0


def test_a_stale_csv_is_refused_too(course, admin):
    module = first_module(course)
    data = fill_csv(tabular.export_csv(course, "fr"))
    Module.objects.filter(pk=module.pk).update(title="Raising the alarm")

    messages = refusal(course, "fr", data, admin)

    assert f"module:{module.pk}:title (Module “Raising the alarm”, title)" in messages[0]
    assert TextTranslation.objects.count() == 0


def test_an_unknown_id_is_refused_naming_the_unit(course, admin):
    data = fill_xliff(xliff.export_xliff(course, "fr")).replace(
        f'id="course:{course.pk}:title"'.encode(), b'id="module:99999999:title"'
    )

    messages = refusal(course, "fr", data, admin)

    assert messages == ["Unit module:99999999:title: there is no such text in this course (it may have been deleted)."]
    assert TextTranslation.objects.count() == 0


def test_an_id_of_another_course_is_refused(course, admin):
    other = make_course(questions=1, modules=1, code="GDPR-1")
    other_module = first_module(other)
    data = fill_xliff(xliff.export_xliff(course, "fr")).replace(
        f'id="course:{course.pk}:title"'.encode(), f'id="module:{other_module.pk}:title"'.encode()
    )

    messages = refusal(course, "fr", data, admin)

    assert messages == [f"Unit module:{other_module.pk}:title: this text belongs to another course, not to FIRE-1 v1."]
    assert TextTranslation.objects.count() == 0


def test_the_other_courses_file_is_refused_as_a_whole(course, admin):
    other = make_course(questions=1, modules=1, code="GDPR-1")

    messages = refusal(course, "fr", fill_xliff(xliff.export_xliff(other, "fr")), admin)

    assert messages[0] == "The file was exported from “course GDPR-1 v1”, not from this course (“course FIRE-1 v1”)."
    assert TextTranslation.objects.count() == 0


def test_a_csv_line_with_an_unknown_id_is_named_by_line(course, admin):
    data = fill_csv(tabular.export_csv(course, "fr")).replace(
        f"course:{course.pk}:description".encode(), b"course:0:nonsense"
    )

    messages = refusal(course, "fr", data, admin)

    assert messages == ["Line 3 (course:0:nonsense): “nonsense” is not a translatable field of a course."]


def test_a_malformed_id_is_refused(course, admin):
    data = fill_csv(tabular.export_csv(course, "fr")).replace(f"course:{course.pk}:title".encode(), b"title")

    assert refusal(course, "fr", data, admin) == [
        "Line 2 (title): “title” is not a text id of the form kind:number:field."
    ]


def test_a_file_for_another_target_language_is_refused(course, admin):
    xliff_data = fill_xliff(xliff.export_xliff(course, "de"))
    csv_data = fill_csv(tabular.export_csv(course, "de"))

    assert refusal(course, "fr", xliff_data, admin) == [
        "The file's target language is “de”, but this import is for French (fr). Choose the file's language, "
        "or export the file for French."
    ]
    assert refusal(course, "fr", csv_data, admin) == [
        "Line 1: the file's translations are for “de” (column “translation (de)”), but this import is for French "
        "(fr). Choose the file's language, or export the file for French."
    ]
    assert TextTranslation.objects.count() == 0


def test_the_courses_own_language_is_refused(course, admin):
    messages = refusal(course, "en-gb", fill_xliff(xliff.export_xliff(course, "fr")), admin)

    assert messages == ["en-gb is not a language this course can be translated into (its main language is en-gb)."]


@pytest.mark.parametrize(
    "data,message",
    [
        (b"<xliff version='1.2'><file>", "The file is not well-formed XML: no element found: line 1, column 27."),
        (b"<html><body/></html>", "This is not an XLIFF file: its root element is <html>, not <xliff>."),
        (b"<xliff version='2.0'/>", "This is XLIFF version 2.0; only XLIFF 1.2 is read."),
        (
            b"<xliff version='1.2'/>",
            "The file has 0 <file> elements; an export of one course for one language has exactly one.",
        ),
        (b"", "The file is empty."),
        (
            b"PK\x03\x04rest",
            "This file is a ZIP file, not CSV text. Save it as CSV (for a spreadsheet: “CSV UTF-8”) and upload that.",
        ),
        (
            b"name,email\nx,y\n",
            "Line 1 (the header row) must have the columns id, label, source_digest, source (en-gb), translation (fr); it has name, email.",
        ),
        (b"id,\xe9t\xe9\n", "Line 1 is not UTF-8 text; save the file as “CSV UTF-8” and upload it again."),
        (
            b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en"/>',
            "This is XLIFF version 2.0; only XLIFF 1.2 is read.",
        ),
        (b"\xff\xfe\x00\xd8", "The file starts with a byte order mark but is not UTF-16 text."),
    ],
)
def test_a_malformed_file_is_refused_with_what_is_wrong(course, admin, data, message):
    assert refusal(course, "fr", data, admin) == [message]


def test_a_unit_without_its_digest_is_refused(course, admin):
    data = fill_xliff(xliff.export_xliff(course, "fr"))
    data = data.replace(f"source-digest: {digest(course.title)}".encode(), b"no digest here")

    assert refusal(course, "fr", data, admin) == [
        f"Unit course:{course.pk}:title has no source digest in its note (“source-digest: …”); export the file again."
    ]


def test_a_csv_line_with_a_broken_digest_is_refused(course, admin):
    data = fill_csv(tabular.export_csv(course, "fr")).replace(digest(course.title).encode(), b"abc")

    assert refusal(course, "fr", data, admin) == [
        f"Line 2 (course:{course.pk}:title): the source_digest column must hold the 64-character digest of the export."
    ]


def test_a_unit_appearing_twice_is_refused(course, admin):
    rows = fill_csv(tabular.export_csv(course, "fr")).decode().splitlines()
    data = "\n".join([*rows, rows[1]]).encode()

    messages = refusal(course, "fr", data, admin)

    assert messages == [
        f"Line {len(rows) + 1} (course:{course.pk}:title): the id course:{course.pk}:title appears twice "
        f"(also at Line 2 (course:{course.pk}:title))."
    ]


def test_every_problem_is_listed_and_nothing_is_written(course, admin):
    module = first_module(course)
    data = fill_xliff(xliff.export_xliff(course, "fr"))
    data = data.replace(f'id="course:{course.pk}:title"'.encode(), b'id="module:99999999:title"')
    Module.objects.filter(pk=module.pk).update(title="Raising the alarm")

    messages = refusal(course, "fr", data, admin)

    assert len(messages) == 2
    assert messages[0].startswith("The main text of 1 text changed since this file was exported")
    assert messages[1].startswith("Unit module:99999999:title:")
    assert TextTranslation.objects.count() == 0


def test_a_translation_too_long_for_its_field_is_refused(course, admin):
    module = first_module(course)
    uid = f"module:{module.pk}:title"
    data = fill_xliff(xliff.export_xliff(course, "fr"), lambda s: "x" * 201, {uid})

    assert refusal(course, "fr", data, admin) == [f"Unit {uid}: This translation has 201 characters; at most 200 fit."]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(course, admin, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    data = fill_xliff(xliff.export_xliff(course, "fr"), lambda s: "x" * 20_000)

    assert refusal(course, "fr", data, admin) == [
        f"The file is too large ({filesizeformat(len(data))}); the limit is {filesizeformat(10_000)}."
    ]
    assert TextTranslation.objects.count() == 0


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="x" source-language="en-gb"
 target-language="fr" datatype="plaintext"><body><trans-unit id="course:1:title"><source>a</source>
<target>&xxe;</target><note>source-digest: %s</note></trans-unit></body></file></xliff>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xliff version="1.2"><file><body><trans-unit id="x"><target>&lol3;</target></trans-unit></body></file></xliff>"""

DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE xliff SYSTEM "http://attacker.example/xliff.dtd">
<xliff version="1.2"/>"""


@pytest.mark.parametrize("data", [XXE % (b"0" * 64), BILLION_LAUGHS, DTD_ONLY], ids=["xxe", "billion-laughs", "dtd"])
def test_entities_and_dtds_are_refused(course, admin, data):
    assert refusal(course, "fr", data, admin) == [
        "The file declares a DTD or entities, which an XLIFF file does not need; it was refused for safety. "
        "Export the file again from this page."
    ]
    assert TextTranslation.objects.count() == 0


def test_a_target_with_markup_elements_is_refused(course, admin):
    data = fill_xliff(xliff.export_xliff(course, "fr"), only=set())
    data = data.replace(
        f'<trans-unit id="course:{course.pk}:title" xml:space="preserve">'.encode(),
        f'<trans-unit id="course:{course.pk}:title" xml:space="preserve"><target>Sécurité <g id="1">incendie</g></target>'.encode(),
    )

    assert refusal(course, "fr", data, admin) == [
        f"Unit course:{course.pk}:title: the target contains markup elements (<g>) this import does not read; "
        "write the translation as text only."
    ]


def test_a_main_text_edited_during_the_import_refuses_the_file(course, admin, monkeypatch):
    module = first_module(course)
    uid = f"module:{module.pk}:title"
    data = fill_xliff(xliff.export_xliff(course, "fr"), only={uid, f"course:{course.pk}:title"})
    real_write = importing.translations_save_many

    def write_after_an_edit(**kwargs):
        Module.objects.filter(pk=module.pk).update(title="Edited meanwhile")
        return real_write(**kwargs)

    monkeypatch.setattr(importing, "translations_save_many", write_after_an_edit)

    assert refusal(course, "fr", data, admin) == [
        f"Unit {uid}: the main text changed while the file was being imported; import the file again."
    ]
    assert TextTranslation.objects.count() == 0


def test_an_id_too_large_for_the_database_is_an_unknown_text(course, admin):
    huge = "9" * 19
    data = fill_xliff(xliff.export_xliff(course, "fr")).replace(
        f'id="course:{course.pk}:title"'.encode(), f'id="module:{huge}:title"'.encode()
    )

    assert refusal(course, "fr", data, admin) == [
        f"Unit module:{huge}:title: there is no such text in this course (it may have been deleted)."
    ]


def test_a_csv_saved_with_semicolons_by_a_spreadsheet_is_read(course, admin):
    rows = csv_rows(fill_csv(tabular.export_csv(course, "fr")))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";").writerows(rows)

    summary = importing.translations_import(course=course, language="fr", data=out.getvalue().encode(), by=admin)

    assert summary.added == len(source_texts(course))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_csv_with_its_byte_order_mark_is_read(course, admin, encoding):
    # Excel's "Unicode text" and many translation tools save UTF-16 with a BOM; its NUL bytes made
    # it "binary data".
    text = fill_csv(tabular.export_csv(course, "fr"), translate=lambda source: f"Été {source}").decode("utf-8")
    data = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    data += text.encode(encoding)

    summary = importing.translations_import(course=course, language="fr", data=data, by=admin)

    assert summary.added == len(source_texts(course))
    assert TextTranslation.objects.get(kind="course", field="title", language="fr").text == "Été Fire safety"


def test_a_utf16_xliff_declaring_its_encoding_is_read(course, admin):
    text = fill_xliff(xliff.export_xliff(course, "fr"), translate=lambda source: f"Été {source}").decode("utf-8")
    text = text.replace("encoding='utf-8'", "encoding='UTF-16'")
    assert text.startswith("<?xml version='1.0' encoding='UTF-16'?>")

    summary = importing.translations_import(
        course=course, language="fr", data=codecs.BOM_UTF16_LE + text.encode("utf-16-le"), by=admin
    )

    assert summary.added == len(source_texts(course))
    assert TextTranslation.objects.get(kind="course", field="title", language="fr").text == "Été Fire safety"


def test_a_utf8_xliff_with_a_byte_order_mark_is_read(course, admin):
    data = codecs.BOM_UTF8 + fill_xliff(xliff.export_xliff(course, "fr"))

    summary = importing.translations_import(course=course, language="fr", data=data, by=admin)

    assert summary.added == len(source_texts(course))


def test_an_import_takes_the_same_number_of_queries_whatever_the_number_of_texts(admin):
    counts = []
    for size, code in ((1, "SMALL-1"), (8, "LARGE-1")):
        course = make_course(questions=size * 2, modules=size, code=code)
        data = fill_xliff(xliff.export_xliff(course, "fr"))
        with CaptureQueriesContext(connection) as queries:
            importing.translations_import(course=course, language="fr", data=data, by=admin)
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1]
    assert counts[1] <= 30


@pytest.mark.parametrize(
    ("language", "expected"), [("fr", "un champ dépasse 131072 caractères"), ("de", "ein Feld ist länger als")]
)
def test_a_csv_the_csv_module_refuses_is_explained_in_the_readers_language(course, admin, language, expected):
    # Outside eyes: Python's own English ("field larger than field limit (131072)") ended a French line.
    from django.utils import translation

    header = tabular.export_csv(course, "fr").split(b"\n", 1)[0].lstrip(codecs.BOM_UTF8)
    data = header + b"\n" + b"x" * 200_000 + b"\n"
    with translation.override(language), pytest.raises(ValidationError) as refused:
        importing.translations_import(course=course, language="fr", data=data, by=admin)

    text = " ".join(refused.value.messages)
    assert expected in text and "field larger" not in text
    assert TextTranslation.objects.count() == 0
