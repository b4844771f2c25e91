"""CPD documents and the admins' CPD report (reports renders the documents; the records and the
approvals live in ``assignments.cpd``).

- The transcript: a person's CPD record of one CPD year as a PDF (WeasyPrint, like the
  certificates), for the person, their managers up the chain and admins (404 to anyone else).
  Its footer tells a reader how to check it without giving anything away: each course line
  carries its certificate number, which the public verification page looks up; it prints no
  verification code, no link that opens a record, and nothing about the person beyond the name,
  job title and department shown on it.
- Who is behind: active people whose job title has a yearly target and whose CPD points in the
  year are below it, with their total and the gap, by department, as a page and a CSV.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from assignments.cpd.forms import BehindFilterForm
from assignments.cpd.selectors import CpdRecord, cpd_record, people_behind
from assignments.cpd.years import EARLIEST, LATEST, CpdYear, parse_year, year_of
from lms.permissions import admin_required
from lms.recipients import as_person
from lms.replica import replica_reads
from lms.selectors import user_get_visible
from lms.uploads import attachment_headers
from reports.exports import ReportDocument, Table, export_response


def transcript_context(record: CpdRecord, *, base_url: str | None = None) -> dict:
    base_url = settings.SITE_URL if base_url is None else base_url
    return {
        "record": record,
        "person": record.person,
        "organisation_name": settings.ORGANISATION_NAME,
        "generated_on": timezone.localdate(),  # the current zone: the person's (transcript_pdf)
        "lookup_url": base_url + reverse("certificate_verify_lookup"),
    }


def transcript_pdf(record: CpdRecord, *, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    # The person's own record, in their language and time zone whoever downloads it.
    with as_person(record.person):
        html = render_to_string("reports/cpd_transcript.html", transcript_context(record, base_url=base_url))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def transcript_filename(record: CpdRecord) -> str:
    return f"cpd-transcript-{record.person.pk}-{record.year.year}.pdf"


@login_required
@require_GET
def cpd_transcript(request, pk: int, year: int):
    person = user_get_visible(viewer=request.user, pk=pk)
    if person is None or not (EARLIEST <= year <= LATEST):
        raise Http404
    record = cpd_record(person=person, year=CpdYear(year))
    response = HttpResponse(transcript_pdf(record), content_type="application/pdf")
    attachment_headers(response, transcript_filename(record))
    response["Cache-Control"] = "private, no-store"
    return response


def _behind(request):
    year = parse_year(request.GET.get("year"), default=year_of(timezone.localdate()))
    form = BehindFilterForm(request.GET or None)
    department = form.cleaned_data.get("department") if form.is_bound and form.is_valid() else None
    return form, year, department, people_behind(year=year, department=department)


@admin_required
@require_GET
@replica_reads
def cpd_behind(request):
    form, year, department, rows = _behind(request)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    this_year = year_of(timezone.localdate()).year
    context = {
        "form": form,
        "year": year,
        "years": [CpdYear(y) for y in range(this_year, this_year - 6, -1)],
        "page": page,
        "total": len(rows),
        "query": params.urlencode(),
    }
    return render(request, "reports/cpd_behind.html", context)


@admin_required
@require_GET
@replica_reads
def cpd_behind_export(request):
    form, year, department, rows = _behind(request)
    headers = [
        _("Last name"),
        _("First name"),
        _("Email"),
        _("Employee id"),
        _("Department"),
        _("Manager"),
        _("Job title"),
        _("CPD year"),
        _("CPD points"),
        _("Target"),
        _("Gap"),
    ]
    document = ReportDocument(
        title=_("Behind on CPD"),
        slug=f"cpd-behind-{year.year}",
        day=timezone.localdate(),
        filters=[(_("CPD year"), year.label), (_("Department"), department.name if department else _("All"))],
        detail=Table(
            _("Behind on CPD"),
            headers,
            [
                [
                    row.person.last_name,
                    row.person.first_name,
                    row.person.email,
                    row.person.employee_id or "",
                    row.person.department.name if row.person.department else "",
                    row.person.manager.email if row.person.manager else "",
                    row.person.job_title,
                    year.label,
                    f"{row.points:.2f}",
                    f"{row.target:.2f}",
                    f"{row.gap:.2f}",
                ]
                for row in rows
            ],
            total=len(rows),
        ),
    )
    return export_response(document, "csv")
