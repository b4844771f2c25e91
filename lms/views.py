from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from lms import person_page, selectors, services
from lms.audit_display import audit_rows
from lms.fields import parse_id
from lms.forms import TIMEZONE_NAMES, AuditFilterForm, DepartmentForm, LanguageForm, UserForm
from lms.home import home_sections
from lms.invitations import invitation_resend
from lms.languages import language_code
from lms.models import Department
from lms.permissions import admin_required, manager_required
from lms.uploads import attachment_headers


@login_required
def home(request):
    return render(request, "lms/home.html", {"sections": home_sections(request)})


@require_POST
def language_set(request):
    """The language switcher (every page, and the profile): Django's ``set_language`` (the
    language cookie that visitors who are not signed in are served by, and the safe redirect to
    ``next``); for a signed-in person the choice is also saved as their language
    (``User.locale``), which their pages follow from then on (lms.middleware) and their emails
    are written in, on every device and after signing out and in again.

    A region or variant tag ("fr-FR", "de-AT", "es-419") is read as the site's language it names
    (``language_code``) before anything else, so a signed-in person's choice is saved as well as a
    visitor's cookie set; a tag the site has no language for changes nothing."""
    data = request.POST.copy()
    code = language_code(data.get("language"))
    if code is not None:
        data["language"] = code
    request.POST = data
    form = LanguageForm(data)
    response = set_language(request)
    if form.is_valid() and request.user.is_authenticated:
        services.user_language_set(user=request.user, language=form.cleaned_data["language"], actor=request.user)
    return response


@manager_required
def team(request):
    whole_chain = request.GET.get("scope") == "all"
    members = selectors.team_members(request.user, whole_chain=whole_chain)
    return render(request, "lms/team.html", {"members": members, "whole_chain": whole_chain})


@login_required
def person_detail(request, pk: int):
    person = selectors.user_get_visible(viewer=request.user, pk=pk)
    if person is None:
        raise Http404
    # One page per person, in tabs (lms.person_page): the profile here, the others from the apps
    # that own them; only the open tab is read.
    tabs = person_page.tabs_for(request.user)
    active = request.GET.get("tab", person_page.PROFILE)
    if active not in {tab["key"] for tab in tabs}:
        active = person_page.PROFILE
    context = {"person": person, "tabs": tabs, "active_tab": active}
    if active == person_page.PROFILE:
        context.update(chain=selectors.managers_above(person), direct_reports=selectors.team_members(person))
    else:
        section = person_page.tab_section(request, person, active)
        context.update(section["context"], section_template=section["template"], section_css=section.get("css"))
    return render(request, "lms/person_detail.html", context)


PEOPLE_SEARCH_PAGE = 20


@manager_required
@require_http_methods(["GET"])
def people_search(request):
    """The people pickers' search (``lms/widgets.py``): one page of whom the user may pick
    matching ``q``, as JSON, with the address of the next page when there is one."""
    from django.http import JsonResponse

    from lms.widgets import person_label

    text = request.GET.get("q", "").strip()[:100]
    page = parse_id(request.GET.get("page")) or 1
    page = min(page, 10_000)
    people, more = (
        selectors.person_search(
            viewer=request.user, text=text, offset=(page - 1) * PEOPLE_SEARCH_PAGE, limit=PEOPLE_SEARCH_PAGE
        )
        if text
        else ([], False)
    )
    query = request.GET.copy()
    query["page"] = str(page + 1)
    response = JsonResponse(
        {
            "results": [{"value": person.email, "label": person_label(person)} for person in people],
            "next": f"{request.path}?{query.urlencode()}" if more else None,
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@admin_required
def people(request):
    search = request.GET.get("q", "").strip()
    department_id = request.GET.get("department") or None
    show = request.GET.get("show", "active")
    active = {"active": True, "inactive": False}.get(show)
    department_id = parse_id(department_id)
    page = Paginator(selectors.user_list(search=search, department_id=department_id, active=active), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "search": search,
        "department_id": department_id,
        "show": show,
        "departments": Department.objects.order_by("name"),
    }
    return render(request, "lms/people.html", context)


def _save_user_form(form: UserForm, *, actor, instance=None):
    data = dict(form.cleaned_data)
    timezone_name = data.pop("timezone")
    if instance is None:
        return services.user_create(timezone_name=timezone_name, actor=actor, **data)
    data["timezone"] = timezone_name
    return services.user_update(user=instance, data=data, actor=actor)


@admin_required
@require_http_methods(["GET", "POST"])
def person_create(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = _save_user_form(form, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Created without a password: the welcome email (lms.invitations) is on its way.
            messages.success(
                request,
                _("%(name)s was added; a welcome email with a link to set a password is on its way to %(email)s.")
                % {"name": person, "email": person.email},
            )
            return redirect("person_detail", pk=person.pk)
    return render(request, "lms/person_form.html", {"form": form, "timezones": TIMEZONE_NAMES, "creating": True})


@admin_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int):
    person = get_object_or_404(selectors.user_list(active=None), pk=pk)
    form = UserForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            _save_user_form(form, actor=request.user, instance=person)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s was updated.") % {"name": person})
            return redirect("person_detail", pk=person.pk)
    return render(
        request,
        "lms/person_form.html",
        {"form": form, "person": person, "timezones": TIMEZONE_NAMES, "creating": False},
    )


@admin_required
@require_http_methods(["POST"])
def person_deactivate(request, pk: int):
    person = get_object_or_404(selectors.user_list(active=None), pk=pk)
    if person.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account."))
    else:
        try:
            services.user_deactivate(user=person, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s was deactivated; their records are kept.") % {"name": person})
    return redirect("person_detail", pk=person.pk)


@admin_required
@require_http_methods(["POST"])
def person_invite(request, pk: int):
    """Send a new invitation (the welcome email with a fresh link) to one person."""
    person = get_object_or_404(selectors.user_list(active=None), pk=pk)
    queued, _skipped = invitation_resend(user_ids=[person.pk])
    if queued:
        messages.success(request, _("A new invitation is on its way to %(email)s.") % {"email": person.email})
    else:
        messages.warning(
            request,
            _("No invitation was sent: %(name)s already has a password or has been deactivated.") % {"name": person},
        )
    return redirect("person_detail", pk=person.pk)


# One click resends to at most a page of the people list (the page shows 50).
PEOPLE_INVITE_MAX = 200


@admin_required
@require_http_methods(["POST"])
def people_invite(request):
    """Send a new invitation to each ticked person still waiting for their first password."""
    ids = {pk for pk in (parse_id(value) for value in request.POST.getlist("person")[:PEOPLE_INVITE_MAX]) if pk}
    if not ids:
        messages.error(request, _("Tick the people to send a new invitation to."))
        return redirect("people")
    queued, skipped = invitation_resend(user_ids=ids)
    if queued:
        messages.success(
            request,
            ngettext("%(count)d new invitation is on its way.", "%(count)d new invitations are on their way.", queued)
            % {"count": queued},
        )
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)d person was skipped: they already have a password or have been deactivated.",
                "%(count)d people were skipped: they already have a password or have been deactivated.",
                skipped,
            )
            % {"count": skipped},
        )
    return redirect("people")


@admin_required
def departments(request):
    return render(request, "lms/departments.html", {"departments": selectors.department_list()})


@admin_required
@require_http_methods(["GET", "POST"])
def department_edit(request, pk: int | None = None):
    department = get_object_or_404(Department, pk=pk) if pk else None
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST" and form.is_valid():
        try:
            if department is None:
                department = services.department_create(
                    name=form.cleaned_data["name"], parent=form.cleaned_data["parent"]
                )
            else:
                services.department_update(
                    department=department, name=form.cleaned_data["name"], parent=form.cleaned_data["parent"]
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Department “%(name)s” saved.") % {"name": department})
            return redirect("departments")
    return render(request, "lms/department_form.html", {"form": form, "department": department})


# --- audit trail (admins) -------------------------------------------------------------------

AUDIT_PDF_MAX_ROWS = 2000
AUDIT_CSV_HEADER = ["at_utc", "actor_id", "actor_email", "action", "object_type", "object_id", "changes", "reason"]


def _audit_query(request):
    form = AuditFilterForm(request.GET or None, object_types=selectors.audit_object_types())
    return form, selectors.audit_entries(**(form.filters() if form.is_bound else {}))


@admin_required
@require_http_methods(["GET"])
def audit_list(request):
    form, entries = _audit_query(request)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": audit_rows(page), "query": query.urlencode()}
    return render(request, "lms/audit.html", context)


def _refuse_bad_filters(request, form):
    """An export whose filters do not parse goes back to the trail's page, which names the bad
    field, instead of exporting the whole trail as though there were no filter."""
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('audit')}?{request.GET.urlencode()}")
    return None


def _spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value):
        return value


def _in_batches(entries, size: int = 2000):
    """Newest first, one query per ``size`` rows by keyset (at, pk): no server-side cursor is held
    open between the chunks of a streamed response (a client that stops reading leaves nothing open)."""
    batch = list(entries[:size])
    while batch:
        yield from batch
        last = batch[-1]
        batch = list(entries.filter(Q(at__lt=last.at) | Q(at=last.at, pk__lt=last.pk))[:size])


def _audit_csv_rows(entries):
    import csv
    import json

    writer = csv.writer(_Echo())
    yield writer.writerow(AUDIT_CSV_HEADER)
    for entry in _in_batches(entries):
        yield writer.writerow(
            [
                entry.at.astimezone(dt.UTC).isoformat(),
                entry.actor_id or "",
                _spreadsheet_safe(entry.actor.email if entry.actor else ""),
                entry.action,
                entry.object_type,
                _spreadsheet_safe(entry.object_id),
                _spreadsheet_safe(json.dumps(entry.changes, ensure_ascii=False, sort_keys=True)),
                _spreadsheet_safe(entry.reason),
            ]
        )


@admin_required
@require_http_methods(["GET"])
def audit_export_csv(request):
    form, entries = _audit_query(request)
    if refused := _refuse_bad_filters(request, form):
        return refused
    response = StreamingHttpResponse(_audit_csv_rows(entries), content_type="text/csv; charset=utf-8")
    attachment_headers(response, f"audit-trail-{timezone.now():%Y%m%d-%H%M%S}.csv")
    response["Cache-Control"] = "private, no-store"
    return response


@admin_required
@require_http_methods(["GET"])
def audit_export_pdf(request):
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML

    form, entries = _audit_query(request)
    if refused := _refuse_bad_filters(request, form):
        return refused
    total = entries.count()
    rows = list(entries[:AUDIT_PDF_MAX_ROWS])
    html = render_to_string(
        "lms/audit_pdf.html",
        {
            "entries": rows,
            "rows": audit_rows(rows),
            "total": total,
            "capped": total > len(rows),
            "form": form,
            "now": timezone.now(),
            "viewer": request.user,
            "organisation_name": settings.ORGANISATION_NAME,
        },
    )
    # Links to the records resolve against the site's own address (SITE_URL), never the request's
    # Host header.
    pdf = HTML(string=html, base_url=f"{settings.SITE_URL}/").write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    attachment_headers(response, f"audit-trail-{timezone.now():%Y%m%d-%H%M%S}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response
