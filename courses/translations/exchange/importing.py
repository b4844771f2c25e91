"""Checking a translator's file against the course as it is now, and importing it in one
transaction (the guarantees are in the package docstring)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.models import Course
from courses.translations import registry
from courses.translations.exchange.tabular import parse_csv
from courses.translations.exchange.texts import TextRow, Unit, text_rows
from courses.translations.exchange.xliff import parse_xliff
from courses.translations.selectors import other_languages, source_texts
from courses.translations.services import TextSave, translation_problem, translation_text, translations_save_many
from lms.audit import audit_record, label_of
from lms.models import AuditEntry
from lms.uploads import binary_problem

UNIT_ID = re.compile(r"^([a-z_]+):([0-9]{1,19}):([a-z_]+)$")
# A problem list longer than this is cut, saying how many more there are.
MAX_PROBLEMS = 200
MAX_PK = 2**63 - 1


@dataclass
class ImportSummary:
    language: str
    file_format: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    empty: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def text(self) -> str:
        parts = [
            ngettext("%(n)d translation added", "%(n)d translations added", self.added) % {"n": self.added},
            ngettext("%(n)d updated", "%(n)d updated", self.updated) % {"n": self.updated},
            ngettext("%(n)d unchanged", "%(n)d unchanged", self.unchanged) % {"n": self.unchanged},
        ]
        if self.empty:
            parts.append(
                ngettext("%(n)d empty target skipped", "%(n)d empty targets skipped", self.empty) % {"n": self.empty}
            )
        return ", ".join(parts)


@dataclass
class _Plan:
    saves: list[tuple[Unit, TextRow, str]] = field(default_factory=list)  # (unit, text, new translation)
    summary: ImportSummary | None = None


def _belongs_elsewhere(course: Course, refs: dict[str, set[int]]) -> set[tuple[str, int]]:
    """Of the (kind, pk) pairs not in ``course``, those that exist (in another course): one query per kind."""
    elsewhere = set()
    for kind, numbers in refs.items():
        text_kind = registry.get(kind)
        # An id past the largest primary key names nothing (and no database could be asked about it).
        pks = [pk for pk in numbers if pk <= MAX_PK]
        if text_kind is None or not pks:
            continue
        found = text_kind.model.objects.filter(pk__in=pks).exclude(**{text_kind.course_lookup: course.pk})
        elsewhere.update((kind, pk) for pk in found.values_list("pk", flat=True))
    return elsewhere


def _plan(course: Course, language: str, units: list[Unit]) -> tuple[_Plan, list[str]]:
    rows = {row.unit_id: row for row in text_rows(course, language)}
    problems: list[str] = []
    changed: list[str] = []
    seen: dict[str, str] = {}
    unknown: list[tuple[Unit, str, int, str]] = []
    plan = _Plan()
    summary = ImportSummary(language=language, file_format="")
    for unit in units:
        if unit.id in seen:
            problems.append(
                _("%(where)s: the id %(id)s appears twice (also at %(other)s).")
                % {"where": unit.where, "id": unit.id, "other": seen[unit.id]}
            )
            continue
        seen[unit.id] = unit.where
        row = rows.get(unit.id)
        if row is None:
            match = UNIT_ID.match(unit.id)
            if not match:
                problems.append(
                    _("%(where)s: “%(id)s” is not a text id of the form kind:number:field.")
                    % {"where": unit.where, "id": unit.id[:80]}
                )
            else:
                unknown.append((unit, match.group(1), int(match.group(2)), match.group(3)))
            continue
        if unit.digest != row.digest:
            changed.append(_("%(id)s (%(label)s)") % {"id": unit.id, "label": row.label})
            continue
        if not unit.target.strip():
            summary.empty += 1
            continue
        text_kind = registry.get(row.kind)
        # A file's cells and targets carry the spreadsheet's or the XML's surrounding whitespace.
        text = translation_text(text_kind, row.field, unit.target.strip())
        problem = translation_problem(text_kind, row.field, text)
        if problem:
            problems.append(_("%(where)s: %(problem)s") % {"where": unit.where, "problem": problem})
            continue
        if row.translation is None:
            summary.added += 1
        elif row.translation == text:
            # The translator left it as it was: an outdated translation stays outdated (returning an
            # untouched export must not mark a translation of the old text as current; outside eyes).
            # A translation still right for the new text is confirmed on its edit page.
            summary.unchanged += 1
            continue
        else:
            summary.updated += 1
        plan.saves.append((unit, row, text))
    if unknown:
        refs: dict[str, set[int]] = {}
        for _unit, kind, pk, _field in unknown:
            refs.setdefault(kind, set()).add(pk)
        elsewhere = _belongs_elsewhere(course, refs)
        for unit, kind, pk, field_name in unknown:
            text_kind = registry.get(kind)
            if text_kind is None:
                message = _("%(where)s: “%(kind)s” is not a kind of text that can be translated.")
            elif (kind, pk) in elsewhere:
                message = _("%(where)s: this text belongs to another course, not to %(course)s.")
            elif field_name not in text_kind.fields:
                message = _("%(where)s: “%(field)s” is not a translatable field of a %(kind)s.")
            else:
                message = _("%(where)s: there is no such text in this course (it may have been deleted).")
            problems.append(
                message
                % {"where": unit.where, "kind": kind, "field": field_name, "course": f"{course.code} v{course.version}"}
            )
    if changed:
        problems.insert(
            0,
            ngettext(
                "The main text of %(n)d text changed since this file was exported, so nothing was imported "
                "(a stale file must not overwrite newer work). Export the file again and translate the "
                "changed text: %(list)s.",
                "The main texts of %(n)d texts changed since this file was exported, so nothing was imported "
                "(a stale file must not overwrite newer work). Export the file again and translate the "
                "changed texts: %(list)s.",
                len(changed),
            )
            % {"n": len(changed), "list": "; ".join(changed)},
        )
    plan.summary = summary
    return plan, problems


# Byte order marks a translator's tool or spreadsheet writes; "Unicode text" from Excel and many
# CAT tools is UTF-16 (little-endian on Windows) with its BOM.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


def _as_utf8(data: bytes) -> tuple[bytes, str | None]:
    """``data`` as UTF-8 without a byte order mark when it starts with one (UTF-8, UTF-16 LE or BE),
    an XML declaration's encoding rewritten to match; otherwise ``data`` as it is. The second value
    is a problem when the marked text does not decode. Without a BOM, UTF-16's NUL bytes are
    refused as binary (``binary_problem``): nothing says which byte order it is."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return data, _("The file starts with a byte order mark but is not %(encoding)s text.") % {
                    "encoding": "UTF-8" if bom == codecs.BOM_UTF8 else "UTF-16"
                }
            return _XML_ENCODING.sub(r"\1\2UTF-8\2", text, count=1).encode("utf-8"), None
    return data, None


def _sniff(data: bytes) -> str:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "xliff" if head == b"<" else "csv"


def _refuse(problems: list[str]) -> ValidationError:
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS] + [
            ngettext("… and %(n)d more problem.", "… and %(n)d more problems.", more) % {"n": more}
        ]
    return ValidationError(problems, code="translation_import")


def translations_import(*, course: Course, language: str, data: bytes, by) -> ImportSummary:
    """Import an XLIFF 1.2 or CSV file of ``course``'s texts in ``language`` (see the module
    docstring); ValidationError with every problem when anything is wrong, and then nothing is written."""
    if language not in other_languages(course):
        raise _refuse(
            [
                _("%(code)s is not a language this course can be translated into (its main language is %(main)s).")
                % {"code": language[:20], "main": course.language}
            ]
        )
    limit = settings.UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise _refuse(
            [
                _("The file is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(len(data)), "limit": filesizeformat(limit)}
            ]
        )
    if not data.strip():
        raise _refuse([_("The file is empty.")])
    data, problem = _as_utf8(data)
    if problem:
        raise _refuse([problem])
    file_format = _sniff(data)
    problem = binary_problem(data, expected="XLIFF" if file_format == "xliff" else "CSV")
    if problem:
        raise _refuse([problem])
    if file_format == "xliff":
        units, problems = parse_xliff(data, course=course, language=language)
    else:
        units, problems = parse_csv(data, course=course, language=language)
    if not problems and not units:
        problems.append(_("The file holds no texts."))
    if problems:
        raise _refuse(problems)
    with transaction.atomic():
        # Checked inside the transaction, so that the digests compared are the ones saved against.
        Course.objects.select_for_update().filter(pk=course.pk).first()
        plan, problems = _plan(course, language, units)
        if problems:
            raise _refuse(problems)
        # The file's digest is the main text's now (``_plan``): what the translator translated.
        translations_save_many(
            course=course,
            language=language,
            saves=[
                TextSave(kind=row.kind, object_id=row.object_id, field=row.field, text=text, source_digest=unit.digest)
                for unit, row, text in plan.saves
            ],
            by=by,
        )
        # A main text edited while the file was being imported: its translation would be recorded
        # as translating a text its translator never saw.
        now = {text.key: text.digest for text in source_texts(course)}
        for unit, row, _text in plan.saves:
            if now.get((row.kind, row.object_id, row.field)) != unit.digest:
                problems.append(
                    _("%(where)s: the main text changed while the file was being imported; import the file again.")
                    % {"where": unit.where}
                )
        if problems:
            # Leaving the block with the exception rolls back whatever was saved before it.
            raise _refuse(problems)
        summary = plan.summary
        summary.file_format = file_format
        if summary.changed:
            audit_record(
                actor=by,
                action=AuditEntry.Action.CHANGE,
                obj_label=label_of(Course),
                obj_id=course.pk,
                reason=(
                    f"Translations imported ({language}, {'XLIFF' if file_format == 'xliff' else 'CSV'}): "
                    f"{summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged"
                ),
            )
    return summary
