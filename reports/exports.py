"""Exports of any report: CSV (streamed), XLSX (openpyxl, write-only) and PDF (WeasyPrint).

A report is a ``ReportDocument``: a title, the filters it was run with, summary tables, an optional
chart and an optional detail table whose rows may be an iterator over a million assignments.
CSV carries the detail table (or the main table when there is none); XLSX carries every table, one
sheet each (from a page, only the first ``XLSX_DETAIL_ROWS`` detail rows, and says so); PDF
carries the summaries, the chart and the first ``PDF_DETAIL_ROWS`` detail rows, and says so.

Every text cell goes through ``neutralise`` (CSV and XLSX alike): a cell starting with = + - @ or a
tab or carriage return is prefixed with a single quote so a spreadsheet shows it as text instead of
running it as a formula.

A workbook is meant to be worked in: each table's sheet has its header row frozen and an
auto-filter over it, columns as wide as their content (measured on the first
``XLSX_WIDTH_SAMPLE`` rows, since a write-only sheet fixes its widths before its first row), dates
and times stored as spreadsheet dates with a date format, and a table's percentage columns
(``Table.percent_columns``, 0..100 in the CSV) stored as fractions with a % format.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.scores import score_cut

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PDF_DETAIL_ROWS = 200
# The XLSX downloaded from a page carries at most this many detail rows: a workbook is written whole
# before its first byte is sent, so a million rows would keep the browser waiting past any proxy's
# timeout (README, "Reports" for the figures). The CSV export streams
# every row, and the compliance_report command writes them all.
XLSX_DETAIL_ROWS = 100_000
# Excel's own limit: 1,048,576 rows a sheet, the header included.
XLSX_SHEET_ROWS = 1_048_575
# Rows read ahead of writing a sheet to size its columns, and the widths allowed (in characters).
XLSX_WIDTH_SAMPLE = 1000
XLSX_MIN_WIDTH, XLSX_MAX_WIDTH = 8, 60
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_PERCENT_FORMAT = "0.0%"
FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def neutralise(value):
    """A cell safe to open in a spreadsheet: text starting with a formula character gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell(value):
    """A Python value as a spreadsheet cell: dates as ISO dates, times in the active time zone."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return ""
    return neutralise(value) if isinstance(value, str) else value


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: Iterable[list] = field(default_factory=list)
    # For the detail table: how many rows there are (for "first N of M" in the PDF), when known.
    total: int | None = None
    # Columns (0-based) holding percentages 0..100: a % number format in the XLSX.
    percent_columns: tuple[int, ...] = ()


@dataclass
class ReportDocument:
    title: str
    slug: str
    day: dt.date
    filters: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    detail: Table | None = None
    chart: str = ""
    chart_title: str = ""
    notes: list[str] = field(default_factory=list)

    def filename(self, fmt: str) -> str:
        return f"{self.slug}-{self.day.isoformat()}.{fmt}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(document: ReportDocument, *, batch: int = 2000) -> Iterator[str]:
    """The CSV text in chunks of ``batch`` rows (UTF-8 with a BOM so spreadsheets read accents)."""
    table = document.detail or (document.tables[0] if document.tables else Table(document.title, []))
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(h) for h in table.headers])
    rows = iter(table.rows)
    while chunk := list(itertools.islice(rows, batch)):
        yield "".join(writer.writerow([cell(v) for v in row]) for row in chunk)


def write_csv(document: ReportDocument, stream) -> None:
    for chunk in csv_chunks(document):
        stream.write(chunk)


def write_xlsx(document: ReportDocument, path, *, detail_limit: int | None = None) -> None:
    """Every table on a sheet of its own; the detail table cut at ``detail_limit`` rows (and always
    at a sheet's limit), with a last row saying so."""
    from openpyxl import Workbook

    limit = min(detail_limit or XLSX_SHEET_ROWS, XLSX_SHEET_ROWS)

    workbook = Workbook(write_only=True)
    info_rows: list[list] = [
        [document.title],
        [_("Organisation"), settings.ORGANISATION_NAME],
        [_("Date"), document.day],
    ]
    info_rows += [[str(label), str(value)] for label, value in document.filters]
    info_rows += [[str(note)] for note in document.notes]
    detail = document.detail
    if detail is not None and detail.total is not None and detail.total > limit:
        info_rows.append([_cut_note(limit, detail.total)])
    info_title = _("Report")[:31]
    _write_sheet(workbook, info_title, None, info_rows)
    used: set[str] = {info_title}
    tables = [*document.tables, *([document.detail] if document.detail else [])]
    for index, table in enumerate(tables, start=1):
        name = _sheet_name(table.title, index, used)
        if table is not detail:
            _write_sheet(workbook, name, table.headers, table.rows, table.percent_columns)
            continue
        rows = iter(table.rows)
        try:
            _write_sheet(
                workbook,
                name,
                table.headers,
                itertools.islice(rows, limit),
                table.percent_columns,
                after=lambda rows=rows, total=table.total: (
                    [_cut_note(limit, total)] if next(rows, None) is not None else None
                ),
            )
        finally:
            if hasattr(rows, "close"):
                rows.close()  # a server-side cursor left half read is closed now, not at garbage collection
    workbook.save(path)


def _write_sheet(workbook, name: str, headers, rows: Iterable, percent_columns=(), *, after=None) -> None:
    """One sheet: ``headers`` (if any) frozen with an auto-filter, then ``rows``, then the row
    ``after()`` returns (the cut note), widths measured on the header and the first rows."""
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(name)
    percent = frozenset(percent_columns)
    rows = iter(rows)
    sample = [
        [_xlsx_value(v, i in percent) for i, v in enumerate(row)] for row in itertools.islice(rows, XLSX_WIDTH_SAMPLE)
    ]
    widths: dict[int, int] = {}
    for row in ([[(h, None) for h in headers]] if headers else []) + sample:
        for index, (value, fmt) in enumerate(row):
            widths[index] = max(widths.get(index, 0), _display_width(value, fmt))
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(
            max(width + 2, XLSX_MIN_WIDTH), XLSX_MAX_WIDTH
        )
    if headers:
        sheet.freeze_panes = "A2"
        sheet.append([neutralise(str(h)) for h in headers])
    count = 0
    for row in itertools.chain(sample, ([_xlsx_value(v, i in percent) for i, v in enumerate(row)] for row in rows)):
        sheet.append([_xlsx_cell(sheet, value, fmt) for value, fmt in row])
        count += 1
    if headers:
        # The filter covers the header and the table's rows, not the cut note after them.
        sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(headers), 1))}{count + 1}"
    if after is not None and (last := after()) is not None:
        sheet.append([neutralise(v) for v in last])


def _xlsx_value(value, percent: bool) -> tuple:
    """A Python value as an XLSX (value, number format): dates and times as spreadsheet dates
    (times in the active time zone, since a spreadsheet has none), percentages as fractions."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
        return value.replace(second=0, microsecond=0), XLSX_DATETIME_FORMAT
    if isinstance(value, dt.date):
        return value, XLSX_DATE_FORMAT
    if percent and isinstance(value, int | float) and not isinstance(value, bool):
        # The percentage the page shows (cut to two decimals), as the fraction it is: 5.6 is
        # 0.056, not 0.05599999999999999.
        return float(score_cut(value) / 100), XLSX_PERCENT_FORMAT
    if value is None:
        return None, None
    return (neutralise(value) if isinstance(value, str) else value), None


def _xlsx_cell(sheet, value, number_format: str | None):
    if number_format is None:
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _display_width(value, number_format: str | None) -> int:
    """About how many characters a cell shows (its longest line)."""
    if value is None:
        return 0
    if number_format is not None:
        return len(f"{value:.1%}") if number_format == XLSX_PERCENT_FORMAT else len(number_format)
    return max((len(line) for line in str(value).splitlines()), default=0)


def _cut_note(limit: int, total: int | None) -> str:
    if total is None:
        return _("Only the first %(limit)s rows: the CSV export has every row.") % {"limit": f"{limit:,}"}
    return _("Only the first %(limit)s of %(total)s rows: the CSV export has every row.") % {
        "limit": f"{limit:,}",
        "total": f"{total:,}",
    }


def _sheet_name(title: str, index: int, used: set[str]) -> str:
    cleaned = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:28] or f"Sheet {index}"
    name = cleaned
    while name in used:
        name = f"{cleaned[:25]} {index}"
        index += 1
    used.add(name)
    return name


def pdf_bytes(document: ReportDocument) -> bytes:
    from weasyprint import HTML

    detail_rows: list = []
    if document.detail is not None:
        rows = document.detail.rows
        head = rows.head(PDF_DETAIL_ROWS) if hasattr(rows, "head") else list(itertools.islice(rows, PDF_DETAIL_ROWS))
        detail_rows = [[cell(v) for v in row] for row in head]
    html = render_to_string(
        "reports/report_pdf.html",
        {
            "document": document,
            "organisation_name": settings.ORGANISATION_NAME,
            "generated_at": timezone.localtime(),
            "detail_rows": detail_rows,
            "detail_limit": PDF_DETAIL_ROWS,
            "detail_capped": document.detail is not None
            and (
                len(detail_rows) >= PDF_DETAIL_ROWS
                if document.detail.total is None
                else document.detail.total > len(detail_rows)
            ),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _as_now(chunks: Iterator[str]) -> Iterator[str]:
    """``chunks`` produced in the language and time zone active now (the page's, the person who
    asked): a streamed response is read after the view returned, when the middleware has already
    put the request's time zone away, so each chunk is made under the ones captured here (entered
    and left per chunk, so nothing leaks into the server's thread between chunks)."""
    language, zone = translation.get_language(), timezone.get_current_timezone()
    while True:
        with translation.override(language), timezone.override(zone):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


def export_response(document: ReportDocument, fmt: str):
    """An HTTP response carrying ``document`` as ``fmt``: CSV streamed row batch by row batch (flat
    memory), XLSX from a temporary file (its detail capped), PDF in memory (it is capped)."""
    disposition = f'attachment; filename="{document.filename(fmt)}"'
    if fmt == "csv":
        response = StreamingHttpResponse(_as_now(csv_chunks(document)), content_type=CONTENT_TYPES["csv"])
    elif fmt == "xlsx":
        handle = tempfile.TemporaryFile()
        write_xlsx(document, handle, detail_limit=XLSX_DETAIL_ROWS)
        handle.seek(0)
        response = FileResponse(handle, content_type=CONTENT_TYPES["xlsx"])
    else:
        response = HttpResponse(pdf_bytes(document), content_type=CONTENT_TYPES["pdf"])
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response
