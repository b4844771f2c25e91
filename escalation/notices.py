"""The assignment notice ("you have been assigned ..., due ..."), registered with the assignments
app (``assignments.notices``) so that assigning queues it without importing upwards.

Written to the notification outbox in the assigning transaction (rolled back with it), and
dispatched by a worker as soon as the transaction commits, or (``dispatch_soon=False``: imports) by
the dispatcher's next scheduled run. A learner given several courses at once gets one message
listing them. ``notified_at`` records when the notice was queued.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Sum
from django.utils import timezone

from assignments.models import Assignment
from courses.models import Course
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue, enqueue_and_dispatch_soon
from lms.dates import record_day


def assignment_notice_queue(*, assignments: Iterable[Assignment], dispatch_soon: bool = True) -> int:
    """Queue the notice for each active assignment of an active learner; returns how many.

    Every call queues a new notice (re-notify sends again on purpose): the dedupe key carries the
    moment of the call, so a replayed call in the same instant is still refused.
    """
    ids = [assignment.pk for assignment in assignments if assignment.pk is not None]
    if not ids:
        return 0
    stamp = timezone.now()
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
    for pk, learner_id, first, last, title, code, due, critical, course_id in rows:
        minutes = minutes_of.get(course_id)
        seen[pk] = Outgoing(
            recipient_id=learner_id,
            kind=Notification.Kind.ASSIGNED,
            dedupe_key=f"assigned:{pk}:{stamp:%Y%m%d%H%M%S%f}",
            assignment_id=pk,
            context={
                "learner": f"{first} {last}".strip(),
                "first_name": first,
                "course": title,
                "course_code": code,
                "due_date": due.isoformat(),
                "compliance_critical": critical,
                "minutes": minutes or 0,
                "reason": f"assigned, due {record_day(due)}",
            },
        )
    new = (enqueue_and_dispatch_soon if dispatch_soon else enqueue)(list(seen.values()))
    Assignment.objects.filter(pk__in=[m.assignment_id for m in new]).update(notified_at=stamp)
    return len(new)
