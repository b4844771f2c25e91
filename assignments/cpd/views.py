"""CPD pages: the learner's record and their external learning, the approvals of managers and
admins, and the admins' targets. Thin: a scoped fetch (404 outside the viewer's scope), a form,
one service call, redirect or render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assignments.cpd import selectors, services
from assignments.cpd.forms import CpdTargetForm, DecisionForm, ExternalLearningForm
from assignments.cpd.models import CpdTarget, ExternalLearning
from assignments.cpd.years import parse_year, year_of
from lms.fields import parse_id
from lms.permissions import admin_required, manager_required
from lms.uploads import attachment_headers


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _entry_or_404(request, pk: int) -> ExternalLearning:
    entry = selectors.entry_get_for_viewer(viewer=request.user, pk=pk)
    if entry is None:
        raise Http404
    return entry


def record_context(request, person) -> dict:
    """The record of ``person`` for the year asked in ``?year=`` (this CPD year by default)."""
    today = timezone.localdate()
    year = parse_year(request.GET.get("year"), default=year_of(today))
    return {"record": selectors.cpd_record(person=person, year=year, today=today), "person": person}


@login_required
@require_GET
def my_record(request):
    context = record_context(request, request.user)
    context["entries"] = selectors.my_entries(request.user)
    return render(request, "cpd/my_record.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request):
    form = ExternalLearningForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.external_learning_submit(
                learner=request.user,
                title=data["title"],
                provider=data["provider"],
                completed_on=data["completed_on"],
                hours=data["hours"],
                points=data["points"],
                evidence=data["evidence"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your external learning was sent for approval."))
            return redirect("cpd:entry", pk=entry.pk)
    context = {"form": form, "entry": None}
    if request.method == "GET" and not selectors.approver_exists(request.user):
        context["nobody_to_approve"] = services.NOBODY_TO_APPROVE  # said before the form is filled in
    return render(request, "cpd/entry_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, pk: int):
    """The learner changes their returned entry and sends it again."""
    entry = _entry_or_404(request, pk)
    if entry.learner_id != request.user.pk:
        raise Http404
    if entry.status != ExternalLearning.Status.RETURNED:
        messages.info(request, _("Only an entry returned to you can be changed."))
        return redirect("cpd:entry", pk=entry.pk)
    initial = {name: getattr(entry, name) for name in services.ENTRY_FIELDS}
    form = ExternalLearningForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submission = parse_id(request.POST.get("submission")) or 0
        if submission != entry.submission:
            # No (or an old) submission number: the page was not the one for this returned entry.
            form.add_error(None, _("The form was out of date, so nothing was changed: open the entry again."))
            return render(request, "cpd/entry_form.html", {"form": form, "entry": entry}, status=400)
        try:
            services.external_learning_resubmit(
                entry=entry,
                learner=request.user,
                submission=submission,
                title=data["title"],
                provider=data["provider"],
                completed_on=data["completed_on"],
                hours=data["hours"],
                points=data["points"],
                evidence=data["evidence"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Your changes were sent for approval."))
            return redirect("cpd:entry", pk=entry.pk)
    return render(request, "cpd/entry_form.html", {"form": form, "entry": entry})


def _entry_page(request, entry: ExternalLearning, form: DecisionForm | None = None, status: int = 200):
    may_decide = entry.status == ExternalLearning.Status.PENDING and selectors.can_decide(
        viewer=request.user, entry=entry
    )
    if may_decide and form is None:
        form = DecisionForm(initial={"submission": entry.submission})
    context = {
        "entry": entry,
        "form": form if may_decide else None,
        # A decision refused because the entry was decided meanwhile (a second tab, a double click):
        # the form is gone with the pending state, so the page says who decided it and that
        # nothing was changed.
        "already_decided": form is not None
        and bool(form.non_field_errors())
        and entry.status != ExternalLearning.Status.PENDING,
        # What the decider typed and could not send, given back to copy (a stale tab's return).
        "unsent_comment": (form.cleaned_data.get("comment", "") if form is not None and form.is_bound else ""),
        "history": selectors.entry_history(entry),
    }
    return render(request, "cpd/entry.html", context, status=status)


@login_required
@require_GET
def entry_detail(request, pk: int):
    return _entry_page(request, _entry_or_404(request, pk))


@login_required
@require_POST
def entry_decide(request, pk: int):
    entry = _entry_or_404(request, pk)
    if not selectors.can_decide(viewer=request.user, entry=entry):
        raise Http404
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == DecisionForm.APPROVE:
                services.external_learning_approve(
                    entry=entry, actor=request.user, submission=data["submission"], comment=data["comment"]
                )
                messages.success(
                    request,
                    _("Approved: it now counts in %(name)s's CPD record.") % {"name": entry.learner.get_full_name()},
                )
            else:
                services.external_learning_return(
                    entry=entry, actor=request.user, submission=data["submission"], comment=data["comment"]
                )
                messages.success(
                    request, _("Returned to %(name)s with your comment.") % {"name": entry.learner.get_full_name()}
                )
        except ValidationError as error:
            _form_errors(form, error)
            entry.refresh_from_db()
            return _entry_page(request, entry, form, status=409 if not hasattr(error, "error_dict") else 400)
        return redirect("cpd:approvals")
    return _entry_page(request, entry, form, status=400)


@login_required
@require_GET
def entry_evidence(request, pk: int):
    """The evidence file, to the learner, their managers up the chain and admins only (404 to
    anyone else), as a download of the type it was recognised as."""
    entry = _entry_or_404(request, pk)
    if not entry.evidence:
        raise Http404
    try:
        handle = entry.evidence.storage.open(entry.evidence.name, "rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=entry.evidence_type or "application/octet-stream")
    attachment_headers(response, entry.evidence_name or entry.evidence.name.rsplit("/", 1)[-1])
    response["Cache-Control"] = "private, no-store"
    return response


@manager_required
@require_GET
def approvals(request):
    entries = list(selectors.approvals_for(request.user))
    return render(request, "cpd/approvals.html", {"entries": entries})


@admin_required
@require_http_methods(["GET", "POST"])
def targets(request, pk: int | None = None):
    target = get_object_or_404(CpdTarget, pk=pk) if pk is not None else None
    form = CpdTargetForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        try:
            services.cpd_target_save(
                actor=request.user,
                job_title=form.cleaned_data["job_title"],
                points=form.cleaned_data["points"],
                target=target,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Target saved."))
            return redirect("cpd:targets")
    context = {"form": form, "target": target, "targets": CpdTarget.objects.all()}
    return render(request, "cpd/targets.html", context)


@admin_required
@require_POST
def target_delete(request, pk: int):
    target = get_object_or_404(CpdTarget, pk=pk)
    services.cpd_target_delete(actor=request.user, target=target)
    messages.success(request, _("Target removed."))
    return redirect("cpd:targets")
