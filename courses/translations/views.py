"""Translation pages for admins (403 for others; 404 for a course, language or text that does not
exist): a course's translation status, one text's translation, and the translators' XLIFF and CSV
files (courses.translations.exchange)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.models import Course
from courses.translations import registry
from courses.translations.exchange import importing, tabular, texts, xliff
from courses.translations.forms import ExportForm, ImportForm, TranslationForm
from courses.translations.selectors import available_languages, other_languages, translation_status
from courses.translations.services import translation_delete, translation_save
from lms.permissions import admin_required
from lms.uploads import attachment_headers, read_text_upload


def _status_url(course: Course, language: str = "") -> str:
    url = reverse("authoring_course_translations", args=[course.pk])
    return f"{url}?{urlencode({'language': language})}#texts" if language else url


def _language_or_404(course: Course, language: str) -> str:
    if language not in other_languages(course):
        raise Http404
    return language


@admin_required
@require_GET
def status(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    languages = other_languages(course)
    chosen = request.GET.get("language", "")
    if chosen and chosen not in languages:
        raise Http404
    statuses = translation_status(course)
    available = set(available_languages(course))
    rows = [
        {"status": statuses[code], "name": texts.language_name(code), "available": code in available}
        for code in languages
    ]
    if not chosen:
        # The first language with work left, so the page opens on something to do.
        chosen = next((code for code in languages if not statuses[code].complete), languages[0] if languages else "")
    to_do = [row for row in texts.text_rows(course, chosen) if row.state != texts.State.TRANSLATED] if chosen else []
    context = {
        "course": course,
        "course_language": texts.language_name(course.language),
        "rows": rows,
        "chosen": chosen,
        "chosen_name": texts.language_name(chosen) if chosen else "",
        "chosen_status": statuses.get(chosen),
        "texts": to_do,
        "export_form": ExportForm(initial={"language": chosen}, languages=languages),
        # Its own ids: both forms have a Language field on this page.
        "import_form": ImportForm(initial={"language": chosen}, languages=languages, auto_id="import_%s"),
    }
    return render(request, "course_translations/status.html", context)


def _text_or_404(course: Course, language: str, kind: str, object_id: int, field: str) -> texts.TextRow:
    wanted = texts.unit_id(kind, object_id, field)
    for row in texts.text_rows(course, language):
        if row.unit_id == wanted:
            return row
    raise Http404


@admin_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int, language: str, kind: str, object_id: int, field: str):
    course = get_object_or_404(Course, pk=pk)
    _language_or_404(course, language)
    row = _text_or_404(course, language, kind, object_id, field)
    text_kind = registry.get(kind)
    form = TranslationForm(
        request.POST or None,
        initial={"text": row.translation or ""},
        html=row.html,
        language=language,
        max_length=None if row.html else text_kind.max_length(field),
    )
    if request.method == "POST" and form.is_valid():
        try:
            translation_save(
                course=course,
                language=language,
                kind=kind,
                object_id=object_id,
                field=field,
                text=form.cleaned_data["text"],
                by=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("text", message)
        else:
            messages.success(
                request,
                _("%(language)s translation of %(label)s saved.")
                % {"language": texts.language_name(language), "label": row.label},
            )
            return redirect(_status_url(course, language))
    context = {
        "course": course,
        "row": row,
        "form": form,
        "language": language,
        "language_name": texts.language_name(language),
        "course_language": texts.language_name(course.language),
        "cancel_url": _status_url(course, language),
    }
    return render(request, "course_translations/edit.html", context)


@admin_required
@require_POST
def delete(request, pk: int, language: str, kind: str, object_id: int, field: str):
    course = get_object_or_404(Course, pk=pk)
    _language_or_404(course, language)
    row = _text_or_404(course, language, kind, object_id, field)
    try:
        deleted = translation_delete(
            course=course, language=language, kind=kind, object_id=object_id, field=field, by=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if deleted:
            messages.success(
                request,
                _("%(language)s translation of %(label)s deleted; learners see the main text.")
                % {"language": texts.language_name(language), "label": row.label},
            )
        else:
            messages.warning(request, _("%(label)s had no translation to delete.") % {"label": row.label})
    return redirect(_status_url(course, language))


@admin_required
@require_GET
def export(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    form = ExportForm(request.GET, languages=other_languages(course))
    if not form.is_valid():
        messages.error(request, _("Choose a language and a format to export."))
        return redirect(_status_url(course))
    language, file_format = form.cleaned_data["language"], form.cleaned_data["format"]
    if file_format == "xliff":
        response = HttpResponse(xliff.export_xliff(course, language), content_type="application/xliff+xml")
        filename = texts.export_filename(course, language, "xlf")
    else:
        response = HttpResponse(tabular.export_csv(course, language), content_type="text/csv; charset=utf-8")
        filename = texts.export_filename(course, language, "csv")
    return attachment_headers(response, filename)


@admin_required
@require_http_methods(["GET", "POST"])
def import_file(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    languages = other_languages(course)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        languages=languages,
        initial={"language": request.GET.get("language", "")},
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            # The import decodes a byte order mark (UTF-16 from spreadsheets and CAT tools) before
            # its own binary check, which names XLIFF or CSV as the file claims to be.
            data = read_text_upload(form.cleaned_data["file"], check_binary=False)
            summary = importing.translations_import(course=course, language=language, data=data, by=request.user)
        except ValidationError as error:
            problems = error.messages
        else:
            name = texts.language_name(language)
            if summary.changed:
                messages.success(
                    request,
                    _("%(language)s translations imported: %(summary)s.")
                    % {"language": name, "summary": summary.text()},
                )
            else:
                messages.info(
                    request,
                    _("Nothing changed: every translation in the file is already saved (%(summary)s).")
                    % {"summary": summary.text()},
                )
            return redirect(_status_url(course, language))
    context = {"course": course, "form": form, "problems": problems}
    return render(request, "course_translations/import.html", context)
