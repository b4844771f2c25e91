"""CSV: one row per text (id, label, source digest, main text, translation), the translation
column named with its language; cells a spreadsheet would run as a formula are quoted."""

from __future__ import annotations

import csv
import io
import re

from django.utils.translation import gettext as _

from courses.models import Course
from courses.translations.exchange.texts import Unit, language_name, text_rows
from lms.languages import language_code

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_problem(error: csv.Error) -> str:
    """What Python's csv module refused, in the reader's language (its own messages are English)."""
    if str(error).startswith("field larger than field limit"):
        return _("a field is longer than %(limit)s characters") % {"limit": csv.field_size_limit()}
    return _("it is not well-formed CSV (a quotation mark or a line break out of place)")


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


def parse_csv(data: bytes, *, course: Course, language: str) -> tuple[list[Unit], list[str]]:
    """The rows of a CSV export, or the problems that make it unreadable or not for ``language``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return [], [
            _("Line %(line)d is not UTF-8 text; save the file as “CSV UTF-8” and upload it again.") % {"line": line}
        ]
    # A spreadsheet set to a language that writes decimal commas (French, German, Spanish) saves
    # "CSV" with semicolons: the header row says which separator the file uses.
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [_("The file is empty: the first line must be the header row.")]
    except csv.Error as error:
        return [], [_("Line 1 (the header row) cannot be read: %(error)s") % {"error": csv_problem(error)}]
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
            problems.append(_("Line %(line)d cannot be read: %(error)s") % {"line": line, "error": csv_problem(error)})
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
