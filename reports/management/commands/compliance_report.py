"""`python manage.py compliance_report [--format csv|xlsx|pdf] [--department NAME] [--as-of DATE] [--output FILE]`:
the organisation compliance report for scheduled use (CSV to standard output when no file is given).
It reads from the read replica when one is configured, as the report pages do (lms.replica)."""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lms.dates import day_text, parse_date
from lms.models import Department
from lms.replica import reading_from_replica
from lms.selectors import department_subtree_ids
from reports.documents import compliance_document
from reports.exports import FORMATS, pdf_bytes, write_csv, write_xlsx
from reports.selectors import Scope


class Command(BaseCommand):
    help = "Write the organisation compliance report as CSV, XLSX or PDF."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--department", help="A department name (its sub-departments are included).")
        parser.add_argument("--as-of", help="YYYY-MM-DD: the report as it stood at the end of that day.")
        parser.add_argument("--output", help="The file to write (CSV only: standard output when omitted).")

    def handle(self, *args, **options):
        with reading_from_replica():
            self._write(**options)

    def _write(self, *, format: str, department: str | None, as_of: str | None, output: str | None, **options):
        today = timezone.localdate()
        day, history = today, False
        if as_of:
            try:
                day = parse_date(as_of)
            except ValidationError as error:
                raise CommandError(f"--as-of: {error.messages[0]}") from error
            if day > today:
                raise CommandError("--as-of cannot be in the future.")
            history = day < today
        filters: list[tuple[str, str]] = []
        department_ids: tuple[int, ...] = ()
        if department:
            found = Department.objects.filter(name__iexact=department.strip()).first()
            if found is None:
                raise CommandError(f"No department is called {department!r}.")
            department_ids = tuple(department_subtree_ids(found))
            filters.append(("Department", found.name))
        if history:
            filters.append(("As of", day_text(day)))
        if format != "csv" and not output:
            raise CommandError(f"--output FILE is needed for --format {format}.")
        document = compliance_document(
            title="Organisation compliance report",
            slug="compliance-report",
            scope=Scope(department_ids=department_ids),
            day=day,
            history=history,
            filters=filters,
        )
        if format == "csv":
            if output:
                with open(output, "w", encoding="utf-8", newline="") as stream:
                    write_csv(document, stream)
            else:
                write_csv(document, sys.stdout)
        elif format == "xlsx":
            write_xlsx(document, output)
        else:
            with open(output, "wb") as stream:
                stream.write(pdf_bytes(document))
        if output:
            self.stderr.write(f"Wrote {output}")
