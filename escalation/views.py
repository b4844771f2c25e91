from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from courses.models import Course
from escalation import selectors, services
from escalation.forms import EscalationPolicyForm, ReviewBookingForm, ReviewSessionForm, StepFormSet
from escalation.letters import warning_letter_pdf as render_warning_letter
from escalation.links import notification_path
from escalation.models import EscalationPolicy, Notification, ReviewBooking, ReviewSession, WarningLetter
from escalation.preview import tonight_preview
from escalation.rehearsal import NightlyRunInProgress
from escalation.reviews import review_attendance_record, review_book
from lms.permissions import admin_required


@admin_required
def policies(request):
    rows = EscalationPolicy.objects.select_related("compliance_officer").annotate(step_count=Count("steps"))
    return render(request, "escalation/policies.html", {"policies": rows})


@admin_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk: int | None = None):
    policy = get_object_or_404(EscalationPolicy, pk=pk) if pk else None
    taken = set(EscalationPolicy.objects.values_list("course_code", flat=True))
    codes = sorted(set(Course.objects.values_list("code", flat=True)) - taken)
    form = EscalationPolicyForm(request.POST or None, instance=policy, course_codes=None if policy else codes)
    steps = StepFormSet(request.POST or None, instance=policy or EscalationPolicy(), policy_form=form)
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        try:
            saved = services.policy_save(form=form, steps=steps, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Escalation policy “%(name)s” saved.") % {"name": saved.name})
            return redirect("escalation:policies")
    return render(request, "escalation/policy_form.html", {"form": form, "steps": steps, "policy": policy})


@admin_required
def preview(request):
    """What tonight's run would send, to whom and why, computed by a dry run (escalation.preview)."""
    try:
        context = tonight_preview()
    except NightlyRunInProgress as busy:
        messages.warning(request, str(busy))
        context = {"workflows": [], "dispatch": None, "total_messages": 0}
    return render(request, "escalation/preview.html", context)


@login_required
def notifications(request):
    """The user's notifications, newest first, each linking to what it is about. Opening the page
    marks the notifications it shows as read (those on later pages stay unread until shown): the
    list is the message, so seeing it is reading it. They stay marked "new" on this showing."""
    rows = selectors.notifications_for(user=request.user)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    unread = [n.pk for n in page if n.read_at is None]
    for n in page:
        n.link = notification_path(
            kind=n.kind,
            recipient=request.user,
            assignment_id=n.assignment_id,
            learner_id=n.learner_of,
            context=n.context,
        ) or reverse("home")
    if unread:
        Notification.objects.filter(pk__in=unread, recipient=request.user).update(read_at=timezone.now())
    return render(request, "escalation/notifications.html", {"page": page, "unread": set(unread)})


@login_required
def case_file(request, assignment_pk: int):
    assignment = selectors.assignment_for_case_file(viewer=request.user, pk=assignment_pk)
    if assignment is None:
        raise Http404
    events = selectors.case_file(assignment)
    letters = assignment.warning_letters.all()
    return render(
        request, "escalation/case_file.html", {"assignment": assignment, "events": events, "letters": letters}
    )


@login_required
def case_file_pdf(request, assignment_pk: int):
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML

    assignment = selectors.assignment_for_case_file(viewer=request.user, pk=assignment_pk)
    if assignment is None:
        raise Http404
    html = render_to_string(
        "escalation/case_file_pdf.html",
        {
            "assignment": assignment,
            "events": selectors.case_file(assignment),
            "now": timezone.now(),
            "organisation_name": settings.ORGANISATION_NAME,
            "viewer": request.user,
        },
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-file-{assignment.pk}.pdf"'
    return response


@login_required
def warning_letter_pdf(request, reference: str):
    letter = get_object_or_404(WarningLetter.objects.select_related("assignment"), reference=reference)
    if selectors.assignment_for_case_file(viewer=request.user, pk=letter.assignment_id, learner_may_see=True) is None:
        raise Http404
    response = HttpResponse(render_warning_letter(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter.reference}.pdf"'
    return response


@admin_required
def review_sessions(request):
    upcoming = request.GET.get("show") != "past"
    now = timezone.now()
    rows = ReviewSession.objects.select_related("trainer").annotate(
        booked=Count("bookings"), attended=Count("bookings", filter=Q(bookings__attended=True))
    )
    rows = rows.filter(ends_at__gte=now) if upcoming else rows.filter(ends_at__lt=now).order_by("-starts_at")
    return render(request, "escalation/review_sessions.html", {"sessions": rows, "upcoming": upcoming})


@admin_required
@require_http_methods(["GET", "POST"])
def review_session_edit(request, pk: int | None = None):
    session = get_object_or_404(ReviewSession, pk=pk) if pk else None
    form = ReviewSessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.review_session_save(form=form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Review session saved."))
            return redirect("escalation:review_session", pk=saved.pk)
    return render(request, "escalation/review_session_form.html", {"form": form, "session": session})


@admin_required
def review_session(request, pk: int):
    session = get_object_or_404(ReviewSession.objects.select_related("trainer"), pk=pk)
    return _review_session_page(request, session, ReviewBookingForm(session=session))


def _review_session_page(request, session: ReviewSession, booking_form: ReviewBookingForm):
    bookings = session.bookings.select_related("assignment__learner", "assignment__course").order_by(
        "assignment__learner__last_name"
    )
    can_book = session.starts_at > timezone.now()
    context = {
        "session": session,
        "bookings": bookings,
        "booking_form": booking_form,
        "can_book": can_book,
        # A refused booking is explained even where the form itself is not shown (the session has
        # started, or is full): every reason the form or the service gave.
        "booking_refusals": [str(error) for errors in booking_form.errors.values() for error in errors]
        if booking_form.is_bound
        else [],
        # Attendance buttons appear once the session has started (the service refuses earlier).
        "started": session.starts_at <= timezone.now(),
    }
    return render(request, "escalation/review_session.html", context)


@admin_required
@require_POST
def review_session_book(request, pk: int):
    session = get_object_or_404(ReviewSession.objects.select_related("trainer"), pk=pk)
    form = ReviewBookingForm(request.POST, session=session)
    if form.is_valid():
        try:
            booking = review_book(session=session, assignment=form.assignment, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s is booked; an invitation is on its way to %(email)s.")
                % {"name": booking.assignment.learner.get_full_name(), "email": booking.assignment.learner.email},
            )
            return redirect("escalation:review_session", pk=session.pk)
    return _review_session_page(request, session, form)


@admin_required
@require_POST
def review_attendance(request, pk: int, booking_pk: int):
    booking = get_object_or_404(ReviewBooking, pk=booking_pk, session_id=pk)
    attended = request.POST.get("attended") == "yes"
    try:
        review_attendance_record(booking=booking, attended=attended, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Attendance recorded."))
    return redirect("escalation:review_session", pk=pk)
