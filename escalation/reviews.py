"""Review sessions: booking learners who ran out of attempts, invitations, attendance."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from assignments.models import Assignment
from escalation import events
from escalation.dispatch import attachment_builder
from escalation.models import Notification, ReviewBooking, ReviewSession
from escalation.outbox import Outgoing, enqueue, enqueue_and_dispatch_soon
from escalation.selectors import policy_for_course
from lms.audit import audit_record, label_of
from lms.dates import moment_text
from lms.models import AuditEntry


def review_book_next(*, assignment: Assignment, after: dt.datetime | None = None) -> ReviewBooking | None:
    """Book the learner into the next session for this course (or any course) with room.

    Session rows are locked in start order, so two bookings never overfill a session. Returns
    the existing booking if the learner already has an upcoming one, None if no session has room.
    """
    after = after or timezone.now()
    with transaction.atomic():
        existing = (
            ReviewBooking.objects.filter(assignment=assignment, session__starts_at__gt=after, attended__isnull=True)
            .select_related("session")
            .first()
        )
        if existing:
            return existing
        candidates = list(
            ReviewSession.objects.select_for_update()
            .filter(Q(course_code="") | Q(course_code=assignment.course_code), starts_at__gt=after)
            .order_by("starts_at", "pk")
        )
        booked = dict(
            ReviewBooking.objects.filter(session__in=candidates)
            .values("session_id")
            .annotate(n=Count("pk"))
            .values_list("session_id", "n")
        )
        session = next((s for s in candidates if booked.get(s.pk, 0) < s.capacity), None)
        if session is None:
            return None
        booking = _book(session=session, assignment=assignment)
    return booking


def _book(*, session: ReviewSession, assignment: Assignment, actor=None) -> ReviewBooking:
    """Create the booking, its case-file event and its invitation (one outbox row, keyed by the
    booking, so the invitation and its calendar attachment go out once). Inside the caller's
    transaction, with the session row locked."""
    booking = ReviewBooking.objects.create(session=session, assignment=assignment)
    events.review_booked(booking=booking, actor=actor)
    learner = assignment.learner
    invitation = Outgoing(
        recipient_id=learner.pk,
        kind=Notification.Kind.REVIEW_BOOKED,
        dedupe_key=f"review_booked:{booking.pk}",
        assignment_id=assignment.pk,
        context={
            "learner": learner.get_full_name(),
            "first_name": learner.first_name,
            "course": assignment.course.title,
            "booking": booking.pk,
            "session": session.title,
            "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(),
            "location": session.location,
            "link": session.link,
            "reason": f"booked into {session.title}",
        },
    )
    # Booked by hand, the person expects the invitation now; the nightly booking waits for the
    # nightly dispatch.
    (enqueue_and_dispatch_soon if actor is not None else enqueue)([invitation])
    return booking


def review_book(*, session: ReviewSession, assignment: Assignment, actor) -> ReviewBooking:
    """Book a learner into a session by hand and send them an invitation.

    The session row is locked first (the same lock ``review_book_next`` takes), so two bookings
    for its last seat are one after the other: the second sees the session full. The unique
    constraint on (session, assignment) is the backstop against a double booking. Errors are
    ValidationErrors keyed by the booking form's fields.
    """
    with transaction.atomic():
        session = ReviewSession.objects.select_for_update().get(pk=session.pk)
        assignment = Assignment.objects.select_related("learner", "course").get(pk=assignment.pk)
        name = assignment.learner.get_full_name()
        if session.starts_at <= timezone.now():
            raise ValidationError({"learner": _("This session has already started; nobody can be booked into it.")})
        if assignment.archived_at is not None:
            raise ValidationError({"learner": _("This assignment is archived; book a current one.")})
        if session.course_code and session.course_code.lower() != assignment.course_code.lower():
            raise ValidationError(
                {
                    "learner": _("%(name)s's assignment is for %(assigned)s, and this session is for %(session)s.")
                    % {"name": name, "assigned": assignment.course_code, "session": session.course_code}
                }
            )
        if session.bookings.filter(assignment=assignment).exists():
            raise ValidationError({"learner": _("%(name)s is already booked on this session.") % {"name": name}})
        booked = session.bookings.count()
        if booked >= session.capacity:
            raise ValidationError(
                {
                    "learner": _(
                        "This session is full (%(booked)d of %(capacity)d places booked). Raise its capacity or "
                        "book another session."
                    )
                    % {"booked": booked, "capacity": session.capacity}
                }
            )
        return _book(session=session, assignment=assignment, actor=actor)


@transaction.atomic
def review_attendance_record(*, booking: ReviewBooking, attended: bool, actor=None) -> ReviewBooking:
    """Record attendance; attending re-opens attempts on a failed assignment (once per booking).

    Nobody has attended (or missed) a session that has not started yet, so attendance is refused
    until its start: otherwise a click ahead of time would give the learner their extra attempts
    without the review.
    """
    booking = ReviewBooking.objects.select_for_update().select_related("assignment", "session").get(pk=booking.pk)
    if booking.session.starts_at > timezone.now():
        raise ValidationError(
            _("This session has not started yet; attendance can be recorded once it starts at %(start)s.")
            % {"start": moment_text(booking.session.starts_at)}
        )
    if booking.attended is not None:
        raise ValidationError(_("Attendance for this booking is already recorded."))
    booking.attended = attended
    booking.attendance_recorded_at = timezone.now()
    booking.attendance_recorded_by = actor
    booking.save(update_fields=["attended", "attendance_recorded_at", "attendance_recorded_by", "updated_at"])
    assignment = Assignment.objects.select_for_update().get(pk=booking.assignment_id)
    if attended and assignment.archived_at is None and assignment.status == Assignment.Status.FAILED:
        policy = policy_for_course(assignment.course_code)
        extra = policy.attempts_after_review if policy else 1
        before = (assignment.extra_attempts, assignment.status)
        assignment.extra_attempts += extra
        assignment.status = Assignment.Status.IN_PROGRESS
        assignment.save(update_fields=["extra_attempts", "status", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(Assignment),
            obj_id=assignment.pk,
            changes={
                "extra_attempts": [before[0], assignment.extra_attempts],
                "status": [before[1], assignment.status],
            },
            reason=f"Attended review session “{booking.session.title}”.",
        )
        events.review_attended(booking=booking, attempts_reopened=extra, actor=actor)
    return booking


def session_ics(session: ReviewSession, *, attendee_email: str, uid: str, course_title: str = "") -> bytes:
    """The calendar invitation of one booking, its summary and description in the active language
    (the attendee's: the dispatcher renders their email under ``lms.recipients.as_person``), and
    tagged with it (RFC 5545 ``LANGUAGE``) so a calendar knows what it shows."""
    language = {"LANGUAGE": translation.get_language() or settings.LANGUAGE_CODE}
    calendar = Calendar()
    calendar.add("prodid", "-//Compliance LMS//Review sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("summary", _("Review session: %(title)s") % {"title": session.title}, parameters=language)
    description = [
        _("A review session for %(course)s.") % {"course": course_title}
        if course_title
        else _("A review session for the course you were booked for."),
        _("Attending re-opens your quiz attempts."),
    ]
    if session.link:
        description.append(_("Joining link: %(link)s") % {"link": session.link})
    event.add("description", "\n".join(str(line) for line in description), parameters=language)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("dtstamp", timezone.now())
    if session.location or session.link:
        event.add("location", session.location or session.link)
    if session.link:
        event.add("url", session.link)
    event.add("attendee", f"mailto:{attendee_email}")
    calendar.add_component(event)
    return calendar.to_ical()


@attachment_builder(Notification.Kind.REVIEW_BOOKED)
def _review_invites(rows: list[Notification]) -> list[tuple[str, bytes, str]]:
    booking_ids = [row.context.get("booking") for row in rows if row.context.get("booking")]
    bookings = ReviewBooking.objects.filter(pk__in=booking_ids).select_related(
        "session", "assignment__learner", "assignment__course"
    )
    return [
        (
            f"review-session-{booking.session_id}.ics",
            session_ics(
                booking.session,
                attendee_email=booking.assignment.learner.email,
                uid=f"booking-{booking.pk}@lms",
                course_title=booking.assignment.course.title,
            ),
            "text/calendar",
        )
        for booking in bookings
    ]
