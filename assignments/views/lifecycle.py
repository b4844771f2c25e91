"""Admin pages for the assignment lifecycle, and the learner's own training history. Thin: a
permission-scoped fetch, a form, one service call, then redirect or render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assignments.forms.lifecycle import (
    ArchiveForm,
    AssignForm,
    BulkForm,
    CleanSlateForm,
    EndExemptionForm,
    ExemptionForm,
    NotifyCourseForm,
    ReassignForm,
    RuleForm,
    UploadForm,
)
from assignments.models import Assignment, AssignmentRule, Exemption, ImportJob
from assignments.notices import assignment_notice_send
from assignments.selectors import lifecycle as selectors
from assignments.services import archive, assign, exemptions, imports, rules
from assignments.state import STATE_LABELS
from assignments.tasks import import_job_apply_task, import_job_check_task
from lms import person_page
from lms.dates import day_text
from lms.models import User
from lms.permissions import admin_required
from lms.redirects import redirect_next

STATES = ["due", "overdue", "failed", "exempt", "completed", "expiring", "expired"]
SAMPLE_HEADERS = {
    # with the optional columns too, so that people see they can give them (outside eyes, issue 16)
    ImportJob.Kind.USERS: [*imports.USER_COLUMNS, *imports.USER_OPTIONAL_COLUMNS],
    ImportJob.Kind.ASSIGNMENTS: imports.ASSIGNMENT_COLUMNS,
    ImportJob.Kind.COMPLETIONS: imports.COMPLETION_COLUMNS,
}


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- assigning ------------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def assign_course(request):
    form = AssignForm(request.POST or None, initial={"course": request.GET.get("course")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            learners = assign.learners_for_target(
                target=data["target"],
                learners=data["learners"],
                department=data["department"],
                include_subdepartments=data["include_subdepartments"],
            )
            source = {
                "learners": Assignment.Source.MANUAL,
                "department": Assignment.Source.DEPARTMENT,
                "everyone": Assignment.Source.EVERYONE,
            }[data["target"]]
            result = assign.assignments_create(
                course=data["course"], learners=learners, due=form.due_spec(), source=source, assigned_by=request.user
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return render(request, "assignments/assign_result.html", {"course": data["course"], "result": result})
    return render(request, "assignments/assign.html", {"form": form})


# A bulk action that failed: what was posted, kept in the session for the list to show again.
BULK_FAILED = "assignments_bulk_failed"
BULK_FIELDS = ("ids", "action", "reason", "note")
BULK_MAX_IDS = 500  # a page lists 50; more is not a ticked list


@admin_required
def assignment_list(request):
    course_code = request.GET.get("course", "")
    state = request.GET.get("state", "")
    show = request.GET.get("show", "active")
    search = request.GET.get("q", "").strip()
    qs = selectors.assignment_list(
        course_code=course_code, state=state if state in STATES else "", search=search, show=show
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    # After a bulk action that failed, the rows stay ticked, with the choices made and the
    # messages beside Apply.
    failed = request.session.pop(BULK_FAILED, None)
    bulk_form = BulkForm()
    ticked: set[str] = set()
    if isinstance(failed, dict):
        data = QueryDict(mutable=True)
        for name in BULK_FIELDS:
            data.setlist(name, [str(value) for value in failed.get(name, [])][:BULK_MAX_IDS])
        bulk_form = BulkForm(data)
        bulk_form.is_valid()
        ticked = set(data.getlist("ids"))
    context = {
        "page": page,
        "course_code": course_code,
        "state": state,
        "show": show,
        "search": search,
        "states": [(value, STATE_LABELS[value]) for value in STATES],
        "codes": selectors.course_codes_in_use(),
        "bulk_form": bulk_form,
        "ticked": ticked,
        "reasons": Assignment.ArchiveReason.choices,
    }
    return render(request, "assignments/list.html", context)


@admin_required
@require_POST
def bulk_action(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        request.session[BULK_FAILED] = {
            name: [value[:2000] for value in request.POST.getlist(name)[:BULK_MAX_IDS]] for name in BULK_FIELDS
        }
        return redirect_next(request, "assignments:list")
    chosen = form.cleaned_data["ids"]
    if form.cleaned_data["action"] == "archive":
        count = archive.assignments_archive(
            assignments=chosen, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"], actor=request.user
        )
        if count:
            messages.success(
                request, ngettext("%(n)d assignment archived.", "%(n)d assignments archived.", count) % {"n": count}
            )
        _say_unchanged(
            request,
            len(chosen) - count,
            ngettext(
                "%(n)d was already archived; nothing changed for it.",
                "%(n)d were already archived; nothing changed for them.",
                len(chosen) - count,
            ),
        )
    else:
        active = chosen.filter(archived_at=None, learner__is_active=True)
        count = assignment_notice_send(assignments=active)
        _say_notified(request, count, len(active) - count)
    return redirect_next(request, "assignments:list")


def _say_unchanged(request, unchanged: int, text: str) -> None:
    """Tell what a bulk action left as it was: a warning, never a green success."""
    if unchanged:
        messages.warning(request, text % {"n": unchanged})


def _say_notified(request, sent: int, already: int) -> None:
    """Re-sent notices and the ones already sent today (at most one per assignment a day)."""
    if sent or not already:
        messages.success(request, ngettext("%(n)d notice re-sent.", "%(n)d notices re-sent.", sent) % {"n": sent})
    _say_unchanged(
        request,
        already,
        ngettext(
            "%(n)d was already notified today; not sent again.",
            "%(n)d were already notified today; not sent again.",
            already,
        ),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def assignment_archive(request, pk: int):
    assignment = get_object_or_404(Assignment.objects.select_related("learner", "course"), pk=pk, archived_at=None)
    form = ArchiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        archive.assignment_archive(
            assignment=assignment,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        messages.success(
            request,
            _("%(course)s for %(learner)s was archived; its attempts and completion are kept.")
            % {"course": assignment.course_code, "learner": assignment.learner},
        )
        return redirect(person_page.tab_url(assignment.learner_id, "training"))
    return render(request, "assignments/archive.html", {"assignment": assignment, "form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def assignment_reassign(request, pk: int):
    assignment = get_object_or_404(
        selectors.with_reassign_blocker(Assignment.objects.select_related("learner", "course")), pk=pk
    )
    archiving = assignment.archived_at is None
    form = ReassignForm(
        request.POST or None,
        initial={"due_mode": assign.DueMode.AFTER_ASSIGNMENT, "due_days": assignment.course.default_due_days},
        archiving=archiving,
    )
    if assignment.reassign_blocker:
        # Say why instead of offering a form that can only fail.
        current = (
            Assignment.objects.filter(
                learner_id=assignment.learner_id, course_code=assignment.course_code, archived_at=None
            ).first()
            if assignment.reassign_blocker == selectors.ReassignBlocker.ACTIVE_AGAIN
            else None
        )
        context = {"assignment": assignment, "form": None, "current": current}
        return render(request, "assignments/reassign.html", context, status=409 if request.method == "POST" else 200)
    if request.method == "POST" and form.is_valid():
        try:
            new = archive.assignment_reassign(
                assignment=assignment,
                due=form.due_spec(),
                actor=request.user,
                **({"reason": form.cleaned_data["reason"], "note": form.cleaned_data["note"]} if archiving else {}),
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                _("%(course)s was assigned again to %(learner)s, due %(due)s.")
                % {"course": new.course_code, "learner": new.learner, "due": day_text(new.due_date)},
            )
            return redirect(person_page.tab_url(assignment.learner_id, "training"))
    return render(request, "assignments/reassign.html", {"assignment": assignment, "form": form})


@admin_required
@require_POST
def assignment_notify(request, pk: int):
    assignment = get_object_or_404(Assignment.objects.select_related("learner"), pk=pk, archived_at=None)
    if assignment_notice_send(assignments=[assignment]):
        messages.success(
            request, _("The assignment notice was re-sent to %(learner)s.") % {"learner": assignment.learner}
        )
    else:
        messages.warning(
            request,
            _("%(learner)s was already notified about this assignment today; not sent again.")
            % {"learner": assignment.learner},
        )
    return redirect_next(request, person_page.tab_url(assignment.learner_id, "training"))


@admin_required
@require_http_methods(["GET", "POST"])
def notify_not_started(request):
    form = NotifyCourseForm(request.POST or None, initial={"course_code": request.GET.get("course")})
    if request.method == "POST" and form.is_valid():
        waiting = list(selectors.assignments_not_started(course_code=form.cleaned_data["course_code"]))
        count = assignment_notice_send(assignments=waiting)
        _say_notified(request, count, len(waiting) - count)
        return redirect("assignments:list")
    return render(request, "assignments/notify.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def clean_slate(request):
    form = CleanSlateForm(request.POST or None, initial={"course_code": request.GET.get("course")})
    code = (form.data.get("course_code") if form.is_bound else request.GET.get("course")) or ""
    if code not in dict(form.fields["course_code"].choices):
        code = ""  # counted only for a course the form offers (a NUL would fail PostgreSQL's query)
    if request.method == "POST" and form.is_valid():
        count = archive.course_clean_slate(
            course_code=form.cleaned_data["course_code"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
        messages.success(
            request,
            ngettext("%(n)d assignment of %(code)s archived.", "%(n)d assignments of %(code)s archived.", count)
            % {"n": count, "code": form.cleaned_data["course_code"]},
        )
        return redirect("assignments:list")
    active = selectors.active_count_for_course(course_code=code) if code else None
    return render(request, "assignments/clean_slate.html", {"form": form, "active": active, "code": code})


@admin_required
def learner_detail(request, pk: int):
    """The old "manage training" page: now the person page's tab (bookmarks keep working)."""
    person = get_object_or_404(User.objects.only("pk"), pk=pk)
    return redirect(person_page.tab_url(person.pk, "training"))


@login_required
def my_history(request):
    from assignments.selectors.player import LANGUAGE_SESSION_KEY, name_courses_in_learner_languages

    history = selectors.learner_history(learner=request.user)
    assignments, completions = list(history["assignments"]), list(history["completions"])
    name_courses_in_learner_languages(
        assignments=assignments,
        completions=completions,
        locale=request.user.locale,
        chosen=request.session.get(LANGUAGE_SESSION_KEY, {}),
    )
    return render(
        request, "assignments/my_history.html", {**history, "assignments": assignments, "completions": completions}
    )


# --- rules ----------------------------------------------------------------------------------


@admin_required
def rule_list(request):
    return render(request, "assignments/rules.html", {"rules": selectors.rule_list()})


@admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(AssignmentRule, pk=pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm"):
            try:
                result = rules.rule_save(rule=form.instance, actor=request.user)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Rule “%(name)s” saved: %(created)d assigned, %(restored)d restored, %(archived)d archived.")
                    % {
                        "name": form.instance.name,
                        "created": len(result.created),
                        "restored": len(result.restored),
                        "archived": result.archived,
                    },
                )
                return redirect("assignments:rules")
        else:
            preview = rules.rule_preview(rule=form.instance)
    return render(request, "assignments/rule_form.html", {"form": form, "rule": rule, "preview": preview})


@admin_required
@require_POST
def rule_deactivate(request, pk: int):
    rule = get_object_or_404(AssignmentRule, pk=pk, is_active=True)
    rules.rule_deactivate(rule=rule, actor=request.user)
    messages.success(request, _("Rule “%(name)s” stopped; the assignments it made are kept.") % {"name": rule.name})
    return redirect("assignments:rules")


# --- exemptions -----------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def exemption_list(request):
    form = ExemptionForm(request.POST or None, initial={"learner": request.GET.get("learner")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exemption = exemptions.exemption_grant(
                learner=data["learner"],
                course_code=data["course_code"] or "",
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
                note=data["note"],
                approved_by=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Exemption recorded: %(exemption)s.") % {"exemption": exemption})
            return redirect("assignments:exemptions")
    show = request.GET.get("show", "current")
    context = {
        "form": form,
        "exemptions": selectors.exemption_list(show=show),
        "show": show,
        "end_form": EndExemptionForm(),
    }
    return render(request, "assignments/exemptions.html", context)


def _back_on(exemption: Exemption, given):
    """The day the person is back: as given, or (left empty) today in their own time zone when the
    planned end is still to come. Ending "as planned" on a day to come would move their deadlines
    by days they have not been away."""
    if given is not None:
        return given
    today = timezone.localdate(timezone=exemption.learner.tzinfo)
    if exemption.ends_on is None or exemption.ends_on > today:
        return max(today, exemption.starts_on)
    return None


@admin_required
@require_POST
def exemption_end(request, pk: int):
    exemption = get_object_or_404(Exemption, pk=pk, revoked_at=None)
    form = EndExemptionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.get("ended_on") or _("Enter a valid date."))
        moved = exemptions.exemption_end(
            exemption=exemption, ended_on=_back_on(exemption, form.cleaned_data["ended_on"]), actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            ngettext(
                "Exemption ended; %(n)d due date moved forward.",
                "Exemption ended; %(n)d due dates moved forward.",
                moved,
            )
            % {"n": moved},
        )
    return redirect("assignments:exemptions")


@admin_required
@require_POST
def exemption_revoke(request, pk: int):
    exemption = get_object_or_404(Exemption, pk=pk, revoked_at=None)
    exemptions.exemption_revoke(exemption=exemption, actor=request.user)
    messages.success(request, _("Exemption revoked; due dates were not moved."))
    return redirect("assignments:exemptions")


# --- uploads --------------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def upload_list(request):
    form = UploadForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.import_job_create(
                kind=form.cleaned_data["kind"], filename=upload.name, content=upload.read(), created_by=request.user
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            transaction.on_commit(lambda: import_job_check_task.delay(job.pk))
            return redirect("assignments:upload", pk=job.pk)
    return render(request, "assignments/uploads.html", {"form": form, "jobs": selectors.import_jobs()})


def _job(pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.defer("content").select_related("created_by"), pk=pk)


@admin_required
def upload_detail(request, pk: int):
    return render(request, "assignments/upload.html", {"job": _job(pk)})


@admin_required
@require_GET
def upload_status(request, pk: int):
    job = _job(pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "total": job.total,
            "processed": job.processed,
            "running": job.is_running,
            "errors": len(job.errors),
        }
    )


@admin_required
@require_POST
def upload_confirm(request, pk: int):
    job = _job(pk)
    try:
        imports.import_job_confirm(job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        transaction.on_commit(lambda: import_job_apply_task.delay(job.pk))
    return redirect("assignments:upload", pk=job.pk)


@admin_required
@require_GET
def upload_template(request, kind: str):
    if kind not in SAMPLE_HEADERS:
        raise Http404
    response = HttpResponse(",".join(SAMPLE_HEADERS[kind]) + "\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response
