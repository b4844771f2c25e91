"""The assignment notice ("you have been assigned ..., due ..."), registered with the assignments
app (``assignments.notices``) so that assigning queues it without importing upwards.

Written to the notification outbox in the assigning transaction (rolled back with it), and
dispatched by a worker as soon as the transaction commits, or (``dispatch_soon=False``: imports) by
the dispatcher's next scheduled run. A learner given several courses at once gets one message
listing them. ``notified_at`` records when the notice was queued.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from assignments.models import Assignment
from courses.models import Course
from courses.translations.selectors import translated
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue, enqueue_and_dispatch_soon
from lms.dates import record_day


def assignment_notice_queue(*, assignments: Iterable[Assignment], dispatch_soon: bool = True) -> int:
    """Queue the notice for each active assignment of an active learner; returns how many.

    At most one notice per assignment and day: the dedupe key carries the site's date, so a
    replayed or repeated re-send (five POSTs of the bulk form) queues nothing more that day, and
    the caller can say "already notified today". The notice says what the assignment is now:
    ``new`` (never notified), ``reminder`` (notified before) or ``overdue`` (past its due date).
    """
    ids = [assignment.pk for assignment in assignments if assignment.pk is not None]
    if not ids:
        return 0
    stamp = timezone.now()
    today = timezone.localdate()
    rows = (
        Assignment.objects.filter(pk__in=ids, archived_at=None, learner__is_active=True)
        .values_list(
            "pk",
            "learner_id",
            "learner__first_name",
            "learner__last_name",
            "course__title",
            "course_code",
            "due_date",
            "course__compliance_critical",
            "notified_at",
            "course_id",
        )
        .order_by("pk")
    )
    # Minutes per course, summed once (joining the modules would repeat every row per module).
    rows = list(rows)
    minutes_of = dict(
        Course.objects.filter(pk__in={row[-1] for row in rows})
        .annotate(minutes=Sum("modules__estimated_minutes"))
        .values_list("pk", "minutes")
    )
    seen: dict[int, Outgoing] = {}
    for pk, learner_id, first, last, title, code, due, critical, notified_at, course_id in rows:
        minutes = minutes_of.get(course_id)
        state = "overdue" if due < today else ("reminder" if notified_at else "new")
        seen[pk] = Outgoing(
            recipient_id=learner_id,
            kind=Notification.Kind.ASSIGNED,
            dedupe_key=f"assigned:{pk}:{today:%Y%m%d}",
            assignment_id=pk,
            context={
                "learner": f"{first} {last}".strip(),
                "first_name": first,
                "course": title,
                "course_code": code,
                "due_date": due.isoformat(),
                "compliance_critical": critical,
                "minutes": minutes or 0,
                "state": state,
                "reason": f"assigned, due {record_day(due)}",
            },
        )
    new = (enqueue_and_dispatch_soon if dispatch_soon else enqueue)(list(seen.values()))
    Assignment.objects.filter(pk__in=[m.assignment_id for m in new]).update(notified_at=stamp)
    return len(new)


# Archiving reasons that take the training away from the learner without giving it again: they are
# told it was withdrawn. Re-training, recertification and the clean slate assign the course afresh
# (the new assignment's notice says so); a leaver is not written to.
WITHDRAWN_REASONS = {
    Assignment.ArchiveReason.ASSIGNED_IN_ERROR,
    Assignment.ArchiveReason.RULE_ENDED,
    Assignment.ArchiveReason.OTHER,
}


def withdrawn_notice_queue(*, assignment_ids: list[int], reason: str) -> int:
    """Tell each active learner whose assignment was archived for a withdrawing reason, unless the
    same course is assigned to them again (a re-assignment archives with "other" too). Once per
    assignment (an assignment is archived once); returns how many were queued."""
    if reason not in WITHDRAWN_REASONS or not assignment_ids:
        return 0
    label = str(Assignment.ArchiveReason(reason).label).lower()
    still_assigned = Assignment.objects.filter(
        archived_at=None, learner_id=OuterRef("learner_id"), course_code=OuterRef("course_code")
    )
    rows = (
        Assignment.objects.filter(pk__in=assignment_ids, archived_at__isnull=False, learner__is_active=True)
        .exclude(Exists(still_assigned))
        .values_list("pk", "learner_id", "learner__first_name", "learner__last_name", "course__title", "course_code")
        .order_by("pk")
    )
    messages = [
        Outgoing(
            recipient_id=learner_id,
            kind=Notification.Kind.WITHDRAWN,
            dedupe_key=f"withdrawn:{pk}",
            assignment_id=pk,
            context={
                "learner": f"{first} {last}".strip(),
                "first_name": first,
                "course": title,
                "course_code": code,
                # The code: the email says it in the learner's language (escalation.templatetags).
                "withdrawn_code": reason,
                "withdrawn_reason": label,
                "reason": f"withdrawn: {label}",
            },
        )
        for pk, learner_id, first, last, title, code in rows
    ]
    return len(enqueue_and_dispatch_soon(messages))


def course_passed_notice_queue(*, completion) -> int:
    """Tell the learner they passed and their certificate is issued: once per completion earned
    here by a passed attempt. A completion recorded or imported from another system is history
    the learner already knows of, and imports send no email themselves. The course is named as
    the certificate names it, in the language the attempt was taken in (one query when that is a
    translation)."""
    if completion.attempt_id is None or not completion.learner.is_active:
        return 0
    learner = completion.learner
    course = completion.course
    language = completion.attempt.language
    title = translated(course, "title", language) if language and language != course.language else course.title
    message = Outgoing(
        recipient_id=learner.pk,
        kind=Notification.Kind.COURSE_PASSED,
        dedupe_key=f"passed:{completion.pk}",
        assignment_id=completion.assignment_id,
        context={
            "learner": learner.get_full_name(),
            "first_name": learner.first_name,
            "course": title,
            "course_code": completion.course_code,
            "score": str(completion.score) if completion.score is not None else "",
            "certificate_number": completion.certificate_number,
            "expires_on": completion.expires_on.isoformat() if completion.expires_on else "",
            "attempt_id": completion.attempt_id,
            "completion_id": completion.pk,
            "reason": "passed; certificate issued",
        },
    )
    return len(enqueue_and_dispatch_soon([message]))
