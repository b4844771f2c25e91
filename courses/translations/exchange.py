"""A course's texts for translators, and their work back: XLIFF 1.2 and CSV.

Export (``export_xliff``, ``export_csv``) writes every translatable text of a course for one
language: its id ``kind:object_id:field``, a label for people, the SHA-256 digest of the main text
as it is now, the main text, and the current translation if there is one.

Import (``translations_import``) takes either format back and guarantees:

- nothing is written unless the whole file is valid: every problem is listed, each naming its
  unit id (XLIFF) or line (CSV), and the writes happen in one transaction;
- a text whose main text changed since the file was exported (the file's digest is not the
  digest of the current main text) refuses THE WHOLE FILE, listing the changed texts: a
  translator's stale file never overwrites newer work, and a translation is never recorded as
  translating a text its translator did not see;
- ids of another course, unknown ids, another target language and malformed files are refused
  likewise; an empty target is skipped (it is not a deletion);
- the XML is read with defusedxml, DTDs and entities refused (no XXE, no billion laughs), and a
  file larger than ``settings.UPLOAD_MAX_BYTES`` is refused before it is parsed;
- importing the same file twice changes nothing the second time (each translation is compared
  with what is stored, text and digest), and the summary says so.

CSV cells a spreadsheet would run as a formula (starting with = + - @ tab or CR) are written with
a leading apostrophe, as the project's other exports do; a cell that starts with an apostrophe
gets one more, so that import can take exactly one off and every text round-trips.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.models import Course
from courses.translations import registry
from courses.translations.models import TextTranslation
from courses.translations.selectors import other_languages, source_texts
from courses.translations.services import translation_save
from lms.audit import audit_record, label_of
from lms.html import sanitise_html
from lms.languages import language_code
from lms.models import AuditEntry
from lms.uploads import binary_problem

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DIGEST_NOTE = re.compile(r"source-digest:\s*([0-9a-fA-F]{64})")
UNIT_ID = re.compile(r"^([a-z_]+):([0-9]{1,19}):([a-z_]+)$")
# Characters XML 1.0 cannot carry at all (C0 controls other than tab, line feed, carriage return).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A problem list longer than this is cut, saying how many more there are.
MAX_PROBLEMS = 200


class State:
    TRANSLATED = "translated"
    MISSING = "missing"
    OUTDATED = "outdated"


@dataclass(frozen=True)
class TextRow:
    """One translatable text of a course, with its translation in one language (if any)."""

    kind: str
    object_id: int
    field: str
    label: str
    source: str
    digest: str
    html: bool
    translation: str | None
    translation_digest: str | None

    @property
    def unit_id(self) -> str:
        return unit_id(self.kind, self.object_id, self.field)

    @property
    def state(self) -> str:
        if self.translation is None:
            return State.MISSING
        return State.TRANSLATED if self.translation_digest == self.digest else State.OUTDATED


@dataclass(frozen=True)
class Unit:
    """One unit read from a file: where it is (for messages), its id, digest and target."""

    where: str
    id: str
    digest: str
    target: str


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


def unit_id(kind: str, object_id: int, field_name: str) -> str:
    return f"{kind}:{object_id}:{field_name}"


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def text_rows(course: Course, language: str) -> list[TextRow]:
    """Every translatable text of ``course`` in display order, with its ``language`` translation:
    the course's texts in one pass (``selectors.source_texts``) and its translations in one query."""
    stored = {
        (row.kind, row.object_id, row.field): row
        for row in TextTranslation.objects.filter(course=course, language=language).only(
            "kind", "object_id", "field", "text", "source_digest"
        )
    }
    rows = []
    for source in source_texts(course):
        translation = stored.get(source.key)
        rows.append(
            TextRow(
                kind=source.kind,
                object_id=source.object_id,
                field=source.field,
                label=f"{source.label}, {source.field_label}",
                source=source.text,
                digest=source.digest,
                html=source.is_html,
                translation=translation.text if translation else None,
                translation_digest=translation.source_digest if translation else None,
            )
        )
    return rows


def export_filename(course: Course, language: str, extension: str) -> str:
    return f"{course.code}-v{course.version}-{language}.{extension}"


# --- export -----------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    return NOT_XML.sub("", value)


def export_xliff(course: Course, language: str) -> bytes:
    """An XLIFF 1.2 document of the course's texts for ``language`` (UTF-8 bytes)."""
    # Unqualified names under an explicit default namespace: ElementTree's own namespace handling
    # would either prefix every tag (ns0:) or need a process-wide registration.
    root = ET.Element("xliff", {"xmlns": XLIFF_NS, "version": "1.2"})
    file_element = ET.SubElement(
        root,
        "file",
        {
            "original": f"course {course.code} v{course.version}",
            "source-language": course.language,
            "target-language": language,
            "datatype": "plaintext",
        },
    )
    body = ET.SubElement(file_element, "body")
    for row in text_rows(course, language):
        unit = ET.SubElement(body, "trans-unit", {"id": row.unit_id, XML_SPACE: "preserve"})
        ET.SubElement(unit, "source").text = _xml_text(row.source)
        if row.translation is not None:
            ET.SubElement(unit, "target").text = _xml_text(row.translation)
        ET.SubElement(unit, "note").text = f"{_xml_text(row.label)}\nsource-digest: {row.digest}"
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def csv_columns(course: Course, language: str) -> list[str]:
    return ["id", "label", "source_digest", f"source ({course.language})", f"translation ({language})"]


def spreadsheet_safe(value: str) -> str:
    """A cell no spreadsheet runs as a formula; ``from_spreadsheet_safe`` undoes it exactly."""
    if value.startswith(FORMULA_PREFIXES) or value.startswith("'"):
        return "'" + value
    return value


def from_spreadsheet_safe(value: str) -> str:
    if value.startswith("'") and value[1:2] and (value[1:].startswith(FORMULA_PREFIXES) or value[1] == "'"):
        return value[1:]
    return value


def export_csv(course: Course, language: str) -> bytes:
    """A CSV (UTF-8 with a byte-order mark, so spreadsheets read it as UTF-8) of the same texts."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(csv_columns(course, language))
    for row in text_rows(course, language):
        writer.writerow(
            [
                row.unit_id,
                spreadsheet_safe(row.label),
                row.digest,
                spreadsheet_safe(row.source),
                spreadsheet_safe(row.translation or ""),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


# --- reading a file ---------------------------------------------------------------------------


def _local(tag: object) -> tuple[str, str]:
    """(namespace, local name) of an element's tag."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag)[1] == name]


def parse_xliff(data: bytes, *, course: Course, language: str) -> tuple[list[Unit], list[str]]:
    """The units of an XLIFF 1.2 file, or the problems that make it unreadable or not this
    course's file for ``language``."""
    try:
        root = DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return [], [
            _(
                "The file declares a DTD or entities, which an XLIFF file does not need; it was refused "
                "for safety. Export the file again from this page."
            )
        ]
    except ParseError as error:
        return [], [_("The file is not well-formed XML: %(error)s.") % {"error": error}]
    namespace, name = _local(root.tag)
    if name != "xliff" or namespace not in ("", XLIFF_NS):
        return [], [_("This is not an XLIFF file: its root element is <%(name)s>, not <xliff>.") % {"name": name[:40]}]
    if root.get("version") != "1.2":
        return [], [
            _("This is XLIFF version %(version)s; only XLIFF 1.2 is read.")
            % {"version": (root.get("version") or "?")[:10]}
        ]
    files = _children(root, "file")
    if len(files) != 1:
        return [], [
            _("The file has %(n)d <file> elements; an export of one course for one language has exactly one.")
            % {"n": len(files)}
        ]
    file_element = files[0]
    problems = []
    target = file_element.get("target-language") or ""
    if language_code(target) != language:
        problems.append(
            _(
                "The file's target language is “%(found)s”, but this import is for %(language)s (%(code)s). "
                "Choose the file's language, or export the file for %(language)s."
            )
            % {"found": target[:20] or _("none"), "language": language_name(language), "code": language}
        )
    source = file_element.get("source-language") or ""
    if language_code(source) != course.language:
        problems.append(
            _("The file's source language is “%(found)s”, but the course's main language is %(language)s (%(code)s).")
            % {"found": source[:20] or _("none"), "language": language_name(course.language), "code": course.language}
        )
    original = file_element.get("original") or ""
    expected = f"course {course.code} v{course.version}"
    if original != expected:
        problems.append(
            _("The file was exported from “%(found)s”, not from this course (“%(expected)s”).")
            % {"found": original[:80], "expected": expected}
        )
    bodies = _children(file_element, "body")
    if len(bodies) != 1:
        problems.append(_("The <file> element has no <body>."))
        return [], problems
    units = []
    for element in bodies[0].iter():
        if _local(element.tag)[1] != "trans-unit":
            continue
        uid = element.get("id") or ""
        where = _("Unit %(id)s") % {"id": uid[:80]} if uid else _("A unit without an id")
        digest_match = None
        for note in _children(element, "note"):
            digest_match = DIGEST_NOTE.search("".join(note.itertext())) or digest_match
        targets = _children(element, "target")
        if len(targets) > 1:
            problems.append(
                _("%(where)s has %(n)d <target> elements; it may have one.") % {"where": where, "n": len(targets)}
            )
            continue
        text = ""
        if targets:
            if len(targets[0]):
                problems.append(
                    _(
                        "%(where)s: the target contains markup elements (<%(tag)s>) this import does not read; "
                        "write the translation as text only."
                    )
                    % {"where": where, "tag": _local(targets[0][0].tag)[1][:20]}
                )
                continue
            text = targets[0].text or ""
        if digest_match is None:
            problems.append(
                _("%(where)s has no source digest in its note (“source-digest: …”); export the file again.")
                % {"where": where}
            )
            continue
        units.append(Unit(where=where, id=uid, digest=digest_match.group(1).lower(), target=text))
    return units, problems


def parse_csv(data: bytes, *, course: Course, language: str) -> tuple[list[Unit], list[str]]:
    """The rows of a CSV export, or the problems that make it unreadable or not for ``language``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return [], [
            _("Line %(line)d is not UTF-8 text; save the file as “CSV UTF-8” and upload it again.") % {"line": line}
        ]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [_("The file is empty: the first line must be the header row.")]
    except csv.Error as error:
        return [], [_("Line 1 (the header row) cannot be read: %(error)s") % {"error": error}]
    names = [name.strip().lower() for name in header]
    problems = []
    missing = [name for name in ("id", "source_digest") if name not in names]
    translation_columns = [i for i, name in enumerate(names) if re.fullmatch(r"translation \(.*\)", name)]
    if missing or len(translation_columns) != 1:
        expected = ", ".join(csv_columns(course, language))
        return [], [
            _("Line 1 (the header row) must have the columns %(expected)s; it has %(found)s.")
            % {"expected": expected, "found": ", ".join(name[:40] for name in names) or _("none")}
        ]
    translation_column = translation_columns[0]
    found = names[translation_column][len("translation (") : -1]
    if language_code(found) != language:
        return [], [
            _(
                "Line 1: the file's translations are for “%(found)s” (column “%(column)s”), but this import is for "
                "%(language)s (%(code)s). Choose the file's language, or export the file for %(language)s."
            )
            % {
                "found": found[:20],
                "column": header[translation_column][:40],
                "language": language_name(language),
                "code": language,
            }
        ]
    id_column, digest_column = names.index("id"), names.index("source_digest")
    units = []
    line_end = 1
    while True:
        line = line_end + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(_("Line %(line)d cannot be read: %(error)s") % {"line": line, "error": error})
            break
        line_end = reader.line_num
        if not any(value.strip() for value in values):
            continue
        cells = values + [""] * (len(names) - len(values))
        uid = cells[id_column].strip()
        where = (
            _("Line %(line)d (%(id)s)") % {"line": line, "id": uid[:80]} if uid else _("Line %(line)d") % {"line": line}
        )
        if len(values) > len(names):
            problems.append(
                _("%(where)s has %(n)d values but the header has %(m)d columns.")
                % {"where": where, "n": len(values), "m": len(names)}
            )
            continue
        digest = cells[digest_column].strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            problems.append(
                _("%(where)s: the source_digest column must hold the 64-character digest of the export.")
                % {"where": where}
            )
            continue
        units.append(Unit(where=where, id=uid, digest=digest, target=from_spreadsheet_safe(cells[translation_column])))
    return units, problems


# --- checking and importing -------------------------------------------------------------------


@dataclass
class _Plan:
    saves: list[tuple[Unit, TextRow, str]] = field(default_factory=list)  # (unit, text, new translation)
    summary: ImportSummary | None = None


def _belongs_elsewhere(course: Course, refs: dict[str, set[int]]) -> set[tuple[str, int]]:
    """Of the (kind, pk) pairs not in ``course``, those that exist (in another course): one query per kind."""
    elsewhere = set()
    for kind, pks in refs.items():
        text_kind = registry.get(kind)
        if text_kind is None or not pks:
            continue
        found = text_kind.model.objects.filter(pk__in=pks).exclude(**{text_kind.course_lookup: course.pk})
        elsewhere.update((kind, pk) for pk in found.values_list("pk", flat=True))
    return elsewhere


def _normalised(row: TextRow, text: str) -> str:
    """The translation as it would be stored: HTML fields reduced to the safe subset."""
    text = text.strip()
    return sanitise_html(text) if row.html else text


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
        text = _normalised(row, unit.target)
        limit = registry.get(row.kind).max_length(row.field) if registry.get(row.kind) else None
        if limit and len(text) > limit:
            problems.append(
                _("%(where)s: the translation has %(length)d characters; this field holds at most %(limit)d.")
                % {"where": unit.where, "length": len(text), "limit": limit}
            )
            continue
        if row.translation is None:
            summary.added += 1
        elif row.translation == text and row.translation_digest == row.digest:
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
        for unit, row, text in plan.saves:
            try:
                translation_save(
                    course=course,
                    language=language,
                    kind=row.kind,
                    object_id=row.object_id,
                    field=row.field,
                    text=text,
                    by=by,
                )
            except ValidationError as error:
                problems.extend(f"{unit.where}: {message}" for message in error.messages)
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
