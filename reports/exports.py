"""Exports of any report: CSV (streamed), XLSX (openpyxl, write-only) and PDF (WeasyPrint).

A report is a ``ReportDocument``: a title, the filters it was run with, summary tables, an optional
chart and an optional detail table whose rows may be an iterator over a million assignments.
CSV carries the detail table (or the main table when there is none); XLSX carries every table, one
sheet each (from a page, only the first ``XLSX_DETAIL_ROWS`` detail rows, and says so); PDF
carries the summaries, the chart and the first ``PDF_DETAIL_ROWS`` detail rows, and says so.

Every text cell goes through ``neutralise`` (CSV and XLSX alike): a cell starting with = + - @ or a
tab or carriage return is prefixed with a single quote so a spreadsheet shows it as text instead of
running it as a formula.
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
from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PDF_DETAIL_ROWS = 200
# The XLSX downloaded from a page carries at most this many detail rows: a workbook is written whole
# before its first byte is sent, so a million rows would keep the browser waiting past any proxy's
# timeout (README, "Reports" for the figures). The CSV export streams
# every row, and the compliance_report command writes them all.
XLSX_DETAIL_ROWS = 100_000
# Excel's own limit: 1,048,576 rows a sheet, the header included.
XLSX_SHEET_ROWS = 1_048_575
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
    info = workbook.create_sheet(_("Report")[:31])
    info.append([neutralise(document.title)])
    info.append([_("Organisation"), neutralise(settings.ORGANISATION_NAME)])
    info.append([_("Date"), document.day.isoformat()])
    for label, value in document.filters:
        info.append([neutralise(str(label)), neutralise(str(value))])
    for note in document.notes:
        info.append([neutralise(str(note))])
    detail = document.detail
    if detail is not None and detail.total is not None and detail.total > limit:
        info.append([_cut_note(limit, detail.total)])
    used: set[str] = {info.title}
    tables = [*document.tables, *([document.detail] if document.detail else [])]
    for index, table in enumerate(tables, start=1):
        name = _sheet_name(table.title, index, used)
        sheet = workbook.create_sheet(name)
        sheet.append([neutralise(str(h)) for h in table.headers])
        if table is not detail:
            for row in table.rows:
                sheet.append([cell(v) for v in row])
            continue
        rows = iter(table.rows)
        try:
            for row in itertools.islice(rows, limit):
                sheet.append([cell(v) for v in row])
            if next(rows, None) is not None:
                sheet.append([_cut_note(limit, table.total)])
        finally:
            if hasattr(rows, "close"):
                rows.close()  # a server-side cursor left half read is closed now, not at garbage collection
    workbook.save(path)


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


def export_response(document: ReportDocument, fmt: str):
    """An HTTP response carrying ``document`` as ``fmt``: CSV streamed row batch by row batch (flat
    memory), XLSX from a temporary file (its detail capped), PDF in memory (it is capped)."""
    disposition = f'attachment; filename="{document.filename(fmt)}"'
    if fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(document), content_type=CONTENT_TYPES["csv"])
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
