"""Certificates: the PDF download (learner, their managers up the chain, admins) and the public
verification page (no login). Compliance dashboards and reports: the manager's team dashboard,
the learner record, the organisation report (today or as of a past day), the lapse forecast and
item analysis, each with CSV, XLSX and PDF exports."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from assignments.scorm_runtime.selectors import interaction_rows_for_course
from lms import person_page, team_panels
from lms.permissions import admin_required
from lms.replica import replica_reads
from lms.selectors import team_size, user_get_visible
from reports import charts, selectors
from reports.certificates import (
    VERIFICATION_CODE_PATTERN,
    certificate_filename,
    certificate_pdf_stored,
    certificate_verify,
    completion_get_for_viewer,
    verification_text,
)
from reports.documents import compliance_document, course_chart, forecast_document, item_document
from reports.exports import FORMATS, export_response
from reports.forms import ForecastFilterForm, ItemAnalysisForm, OrganisationFilterForm, TeamFilterForm
from reports.retention import retention_document, retention_figures
from reports.selectors import ReportState, Scope
from reports.selectors.retention import MIN_BOOSTER_ANSWERS, booster_items


class VerificationLookupForm(forms.Form):
    """The certificate number or the verification code, as printed (any letter case, spaces
    between groups or around it): whitespace is taken out before the check."""

    code = forms.CharField(
        label=_("Certificate number or verification code"),
        max_length=100,
        help_text=_("Both are printed on the certificate, beside its QR code."),
        error_messages={"required": _("Enter the certificate number or the verification code from the certificate.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        text = verification_text(self.cleaned_data["code"])
        if not re.fullmatch(VERIFICATION_CODE_PATTERN, text):
            raise forms.ValidationError(
                _(
                    "A certificate number or verification code has only letters, digits, hyphens and "
                    "underscores, at most 64 of them."
                )
            )
        return text


@login_required
@require_GET
def certificate_download(request, pk: int):
    completion = completion_get_for_viewer(viewer=request.user, pk=pk)
    if completion is None:
        raise Http404
    pdf = certificate_pdf_stored(completion)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_filename(completion)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
def certificate_verify_lookup(request):
    """The public form: a certificate number or verification code typed in goes to its page."""
    form = VerificationLookupForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("certificate_verify", code=form.cleaned_data["code"])
    return render(request, "reports/verify_lookup.html", {"form": form})


@require_GET
@never_cache
def certificate_verify_page(request, code: str):
    result = certificate_verify(code=code)
    response = render(
        request,
        "reports/verify.html",
        {"result": result, "form": VerificationLookupForm(initial={"code": ""})},
        status=404 if result.status == "unknown" else 200,
    )
    # The page names a person: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex"
    return response


# Dashboards and compliance reports ------------------------------------------------------------
# Each view: the role check (a learner asking for the team dashboard gets 404, as though it did
# not exist for them; a manager asking for an admin report gets 403), a permission-scoped
# selector, then render or export. They read from the read replica when one is configured
# (lms.replica: figures may be a few seconds old there; every write still goes to the primary).


def _team_scope(request, counts: dict[str, int] | None = None) -> tuple[TeamFilterForm, Scope]:
    """The filters and whose assignments they select. Someone who manages managers lands on their
    whole chain (``lms.selectors.team_size``: the same counts the home page shows)."""
    counts = counts if counts is not None else team_size(request.user)
    form = TeamFilterForm(
        request.GET or None,
        courses=selectors.filter_courses(),
        departments=selectors.filter_departments(),
        whole_chain=bool(counts["managers"]),
    )
    scope = Scope(
        manager_id=request.user.pk,
        subtree=form.subtree(),
        department_ids=form.department_ids(),
        course_code=form.value("course"),
    )
    return form, scope


def _query_without(request, *names: str) -> str:
    """The page's query string without the given parameters (for links that change them)."""
    kept = request.GET.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


def _refuse_bad_filters(request, form, page: str):
    """An export whose filters do not parse (an ``as_of`` of 2026-02-30) goes back to its report's
    page, which names the bad field, instead of exporting the report as though unfiltered."""
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse(page)}?{request.GET.urlencode()}")
    return None


def _require_manager(request) -> None:
    if not (request.user.is_manager or request.user.is_admin):
        raise Http404


@login_required
@require_GET
@replica_reads
def team_dashboard(request):
    _require_manager(request)
    counts = team_size(request.user)
    form, scope = _team_scope(request, counts)
    day = timezone.localdate()
    state = form.value("state")
    # A large chain's counts come from tonight's team snapshot; "Count again now" (?live=1) counts them now.
    data = selectors.dashboard(scope=scope, day=day, state=state, live=bool(request.GET.get("live")))
    summary = data["summary"]
    others = _query_without(request, "live")
    other_filters = _query_without(request, "live", "state")
    return render(
        request,
        "reports/team_dashboard.html",
        {
            "form": form,
            "day": day,
            "subtree": scope.subtree,
            "people_count": counts["below"] if scope.subtree else counts["direct"],
            "state": state,
            "state_label": ReportState(state).label if state else "",
            "summary": summary,
            "chart": course_chart(summary, title=_("Compliance % by course")),
            "expiring_counts": data["expiring_counts"],
            "lists": data.get("lists"),
            "state_rows": data.get("state_rows"),
            "state_column": selectors.STATE_COLUMN.get(state, ("", "")),
            "snapshot_at": data["snapshot_at"],
            # Retention, recognition...: the panels the apps add beside compliance (lms.team_panels).
            "panels": team_panels.panels_for(
                request,
                team_panels.Team(
                    manager_id=request.user.pk,
                    whole_chain=scope.subtree,
                    course_code=scope.course_code,
                    department_ids=scope.department_ids,
                ),
            ),
            "live_query": f"{others}&live=1" if others else "live=1",
            "state_prefix": f"{other_filters}&" if other_filters else "",
            "query": request.GET.urlencode(),
            "formats": FORMATS,
        },
    )


@login_required
@require_GET
@replica_reads
def team_export(request, fmt: str):
    _require_manager(request)
    if fmt not in FORMATS:
        raise Http404
    form, scope = _team_scope(request)
    if refused := _refuse_bad_filters(request, form, "reports_team_dashboard"):
        return refused
    document = compliance_document(
        title=str(_("Team compliance")),
        slug="team-compliance",
        scope=scope,
        day=timezone.localdate(),
        filters=form.described(),
        state=form.value("state"),
    )
    return export_response(document, fmt)


@login_required
@require_GET
@replica_reads
def team_retention_export(request, fmt: str):
    """The retention figures of the team the dashboard shows (the same filters)."""
    _require_manager(request)
    if fmt not in FORMATS:
        raise Http404
    form, scope = _team_scope(request)
    if refused := _refuse_bad_filters(request, form, "reports_team_dashboard"):
        return refused
    document = retention_document(
        scope=scope, day=timezone.localdate(), filters=form.described(), slug="team-retention"
    )
    return export_response(document, fmt)


@login_required
@require_GET
def learner_record(request, pk: int):
    """The old address of the compliance record: now a tab of the person page (bookmarks and
    links in old emails keep working, ``as_of`` kept). 404 as before for someone who may not see
    the person."""
    person = user_get_visible(viewer=request.user, pk=pk)
    if person is None:
        raise Http404
    query = {"as_of": request.GET["as_of"]} if request.GET.get("as_of") else {}
    return redirect(person_page.tab_url(person.pk, "record", query))


def _organisation_form(request) -> OrganisationFilterForm:
    form = OrganisationFilterForm(
        request.GET or None,
        courses=selectors.filter_courses(),
        departments=selectors.filter_departments(),
    )
    return form


@admin_required
@require_GET
@replica_reads
def organisation_report(request):
    form = _organisation_form(request)
    day, history = form.day()
    scope = Scope(department_ids=form.department_ids(), course_code=form.value("course"))
    # Today's figures come from the nightly snapshot when there is one (a few hundred rows instead
    # of every assignment); "Count again now" (?live=1) works them out from the assignments.
    stored = None
    if not history and not request.GET.get("live"):
        stored = selectors.snapshot_summary(day=day, department_ids=scope.department_ids, course_code=scope.course_code)
    if stored is not None:
        summary, snapshot_at = stored
    else:
        summary = selectors.summarise(selectors.scoped_assignments(scope, day=day, history=history))
        snapshot_at = None
    trend = selectors.weekly_trend(
        day=timezone.localdate(), department_ids=scope.department_ids, course_code=scope.course_code
    )
    state = form.value("state")
    page = None
    if request.GET.get("drill") or state:
        rows = selectors.drill_down(scope=scope, day=day, history=history, state=state)
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        page.object_list = selectors.with_days(list(page.object_list), day=day)
    params = request.GET.copy()
    params.pop("page", None)

    def without(*names: str) -> str:
        kept = request.GET.copy()
        for name in ("page", "drill", *names):
            kept.pop(name, None)
        return kept.urlencode()

    return render(
        request,
        "reports/organisation.html",
        {
            "form": form,
            "day": day,
            "history": history,
            "snapshot_at": snapshot_at,
            "live_query": without("live") + ("&" if without("live") else "") + "live=1",
            "summary": summary,
            "chart": course_chart(summary, title=_("Compliance % by course")),
            "trend": trend,
            "trend_chart": charts.line_chart(
                [(p["week"], p["percent"]) for p in trend], title=_("Compliance % by week, last 12 months")
            ),
            # The forgetting curve from booster answers to date (the as-of day does not apply).
            "retention": {
                **retention_figures(scope),
                "whole_chain": None,
                "export_url": "reports_organisation_retention_export",
                "query": params.urlencode(),
                "formats": FORMATS,
            },
            "page": page,
            "state": state,
            "state_column": selectors.STATE_COLUMN.get(state, ("", "")),
            "query": params.urlencode(),
            "state_query": without("state"),
            "department_query": without("department"),
            "course_query": without("course"),
            "formats": FORMATS,
        },
    )


@admin_required
@require_GET
@replica_reads
def organisation_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    form = _organisation_form(request)
    if refused := _refuse_bad_filters(request, form, "reports_organisation"):
        return refused
    day, history = form.day()
    scope = Scope(department_ids=form.department_ids(), course_code=form.value("course"))
    document = compliance_document(
        title=str(_("Organisation compliance report")),
        slug="compliance-report",
        scope=scope,
        day=day,
        history=history,
        filters=form.described(),
        state=form.value("state"),
    )
    return export_response(document, fmt)


@admin_required
@require_GET
@replica_reads
def organisation_retention_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    form = _organisation_form(request)
    if refused := _refuse_bad_filters(request, form, "reports_organisation"):
        return refused
    scope = Scope(department_ids=form.department_ids(), course_code=form.value("course"))
    document = retention_document(scope=scope, day=timezone.localdate(), filters=form.described(), slug="retention")
    return export_response(document, fmt)


def _forecast_scope(request) -> tuple[ForecastFilterForm, Scope]:
    form = ForecastFilterForm(
        request.GET or None,
        courses=selectors.filter_courses(),
        departments=selectors.filter_departments(),
    )
    return form, Scope(department_ids=form.department_ids(), course_code=form.value("course"))


@admin_required
@require_GET
@replica_reads
def forecast(request):
    form, scope = _forecast_scope(request)
    day = timezone.localdate()
    data = selectors.forecast(scope=scope, day=day)
    return render(
        request,
        "reports/forecast.html",
        {"form": form, "day": day, **data, "query": request.GET.urlencode(), "formats": FORMATS},
    )


@admin_required
@require_GET
@replica_reads
def forecast_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    form, scope = _forecast_scope(request)
    if refused := _refuse_bad_filters(request, form, "reports_forecast"):
        return refused
    document = forecast_document(scope=scope, day=timezone.localdate(), filters=form.described())
    return export_response(document, fmt)


@admin_required
@require_GET
@replica_reads
def item_analysis(request):
    form = ItemAnalysisForm(request.GET or None, courses=selectors.items.courses_with_attempts())
    items = boosters = scorm_interactions = None
    if form.is_bound and form.is_valid():
        scorm_interactions = interaction_rows_for_course(course_code=form.cleaned_data["course"])
        boosters = booster_items(course_code=form.cleaned_data["course"])
        items = selectors.item_analysis(
            course_code=form.cleaned_data["course"], boosters=boosters, language=form.cleaned_data["language"] or None
        )
    return render(
        request,
        "reports/item_analysis.html",
        {
            "form": form,
            "items": items,
            # The SCORM packages' questions (cmi.interactions), issue 15.
            "scorm_interactions": scorm_interactions,
            # The course's booster questions, most often wrong first (issue 17).
            "boosters": boosters,
            "min_booster_answers": MIN_BOOSTER_ANSWERS,
            "min_responses": selectors.items.MIN_RESPONSES,
            "query": request.GET.urlencode(),
            "formats": FORMATS,
        },
    )


@admin_required
@require_GET
@replica_reads
def item_analysis_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    form = ItemAnalysisForm(request.GET or None, courses=selectors.items.courses_with_attempts())
    if not form.is_valid():
        raise Http404
    return export_response(
        item_document(
            course_code=form.cleaned_data["course"],
            day=timezone.localdate(),
            language=form.cleaned_data["language"] or None,
        ),
        fmt,
    )
