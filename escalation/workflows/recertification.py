"""4. Recertification.

Anniversary: a course with a recertification period re-assigns itself ``recertification_window_days``
before the learner's last completion expires. The completed assignment is archived with reason
"recertification" and a new one is created (source recertification, due on the expiry date plus
the course's grace days) and the learner is told. The new assignment is open, so the old one is no
longer a candidate: a second run changes nothing. If it is not completed by then the learner is
overdue (their certificate has expired) and enters the overdue ladder.

Completions imported from another system (no assignment here) are re-assigned the same way.

Annual clean slate: on the policy's fixed date, every active assignment of the course is archived
(reason clean_slate) and assigned again to the same active learners, once per year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache
from itertools import groupby
from operator import itemgetter

from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from assignments.models import Assignment, Completion
from assignments.services.archive import assignments_audit_archived
from assignments.services.assign import assignments_audit_created
from courses.models import Course
from escalation import events
from escalation.models import CleanSlateRun, EscalationEvent, EscalationPolicy, Notification
from escalation.notices import assignment_notice_queue
from escalation.outbox import Outgoing, enqueue
from escalation.selectors import timezones_by_local_date
from escalation.workflows.common import Summary, chunks, full_name
from lms.bulk import bulk_insert
from lms.dates import add_days, record_day
from lms.lookups import AnyOf


def _current_courses() -> dict[str, Course]:
    """The newest published version of each course code."""
    current: dict[str, Course] = {}
    for course in Course.objects.filter(status=Course.Status.PUBLISHED).order_by("code", "-version"):
        current.setdefault(course.code, course)
    return current


def run_recertification(*, as_of: dt.datetime, dry_run: bool = False) -> Summary:
    """One read for the anniversaries and one for imported completions, across every local date
    and course (the completion's expiry index picks the few that fall due), then the writes in
    batches per local date and course."""
    summary = Summary("recertification", dry_run)
    current = {code: c for code, c in _current_courses().items() if c.recertification_months}
    if not current:
        _clean_slates(as_of=as_of, dry_run=dry_run, summary=summary)
        return summary
    dates = timezones_by_local_date(as_of)
    if not dates:  # no active learner
        _clean_slates(as_of=as_of, dry_run=dry_run, summary=summary)
        return summary
    in_window = Q()
    local_day = []
    for index, (today, zones) in enumerate(dates.items()):
        per_course = Q()
        for code, course in current.items():
            per_course |= Q(course_code=code, expires_on__lte=add_days(today, course.recertification_window_days))
        in_window |= Q(per_course, learner__timezone__in=zones)
        local_day.append(When(learner__timezone__in=zones, then=Value(index)))
    falling_due = Completion.objects.filter(
        in_window,
        # A plain range for the expiry index; the per-date, per-course horizons above decide.
        expires_on__lte=max(add_days(max(dates), c.recertification_window_days) for c in current.values()),
        learner__is_active=True,
    ).annotate(local_day=Case(*local_day, output_field=IntegerField()))
    fields = ("assignment_id", "learner_id", "expires_on", "learner__first_name", "learner__last_name")
    # Anniversaries: the completion of an active, completed assignment (one per assignment).
    due_rows = falling_due.filter(
        assignment__archived_at__isnull=True,
        assignment__status=Assignment.Status.COMPLETED,
    )
    later = Completion.objects.filter(
        learner_id=OuterRef("learner_id"),
        course_code=OuterRef("course_code"),
        completed_at__gt=OuterRef("completed_at"),
    )
    active = Assignment.objects.filter(
        learner_id=OuterRef("learner_id"), course_code=OuterRef("course_code"), archived_at__isnull=True
    )
    # Completions imported from another system (no assignment here), not renewed since.
    imported = falling_due.filter(assignment__isnull=True).exclude(Exists(later)).exclude(Exists(active))
    days = list(dates)
    for rows in (due_rows, imported):
        rows = rows.values_list("local_day", "course_code", *fields).order_by("local_day", "course_code", "pk")
        # Read whole (1,500 rows on the bench's steady night, 90,000 over its backlog), not through
        # a cursor: PostgreSQL planned the cursor's query as a hash join against every active
        # completed assignment (a full scan of the table), where whole it looks up the assignment
        # of each completion in the window.
        for (index, code), batch in _by_day_and_course(list(rows)):
            # Imported completions have no old assignment to archive: the first element is None.
            _reassign(batch, course=current[code], today=days[index], as_of=as_of, dry_run=dry_run, summary=summary)
    _clean_slates(as_of=as_of, dry_run=dry_run, summary=summary)
    return summary


def _by_day_and_course(rows) -> Iterator[tuple[tuple[int, str], list[tuple]]]:
    """((local day, course code), up to CHUNK rows without them) from rows ordered by both."""
    for key, group in groupby(rows, key=itemgetter(0, 1)):
        for batch in chunks(row[2:] for row in group):
            yield key, batch


def _reassign(batch, *, course: Course, today: dt.date, as_of: dt.datetime, dry_run: bool, summary: Summary) -> None:
    old_ids = [row[0] for row in batch if row[0] is not None]
    with transaction.atomic():
        if old_ids and not dry_run:
            # Claim: only rows still active and completed are archived (a concurrent run finds none).
            claimed = set(
                Assignment.objects.select_for_update(skip_locked=True)
                .filter(AnyOf(F("pk"), old_ids), archived_at__isnull=True, status=Assignment.Status.COMPLETED)
                .values_list("pk", flat=True)
            )
            batch = [row for row in batch if row[0] is None or row[0] in claimed]
            Assignment.objects.filter(AnyOf(F("pk"), sorted(claimed))).update(
                archived_at=as_of,
                archived_reason=Assignment.ArchiveReason.RECERTIFICATION,
                archive_note="Re-assigned before the certificate expires.",
            )
            assignments_audit_archived(
                ids=sorted(claimed),
                reason=Assignment.ArchiveReason.RECERTIFICATION,
                note="Re-assigned before the certificate expires.",
                at=as_of,
            )
        new_assignments = []
        for _old_id, learner_id, expires_on, _first, _last in batch:
            due = max(add_days(expires_on, course.grace_days), today)
            new_assignments.append(
                Assignment(
                    learner_id=learner_id,
                    course=course,
                    course_code=course.code,
                    source=Assignment.Source.RECERTIFICATION,
                    assigned_at=as_of,
                    assigned_on=min(today, due),
                    due_date=due,
                )
            )
        if dry_run:
            summary.add([], would_reassign=len(new_assignments))
            return
        # lms.bulk.bulk_insert sends the batch as one JSON document (bulk_create compiled a placeholder
        # per value, some 30,000 a batch); the ids are read back through the one active assignment
        # each learner has of the course (assignment_one_active_per_learner_course).
        bulk_insert(new_assignments)
        ids = dict(
            Assignment.objects.filter(
                AnyOf(F("learner_id"), [a.learner_id for a in new_assignments]),
                course_code=course.code,
                archived_at__isnull=True,
            ).values_list("learner_id", "pk")
        )
        for assignment in new_assignments:
            assignment.pk = ids[assignment.learner_id]
        created = new_assignments
        assignments_audit_created(assignments=created, actor=None, at=as_of, reason="Recertification")
        day = cache(record_day)  # a few dates for the whole batch
        event_rows, messages = [], []
        for (old_id, learner_id, expires_on, first, last), assignment in zip(batch, created, strict=True):
            reason = f"Certificate expires on {day(expires_on)}: re-assigned, due {day(assignment.due_date)}."
            if old_id is not None:
                event_rows.append(
                    events.event_row(
                        assignment_id=old_id,
                        kind=EscalationEvent.Kind.ARCHIVED,
                        occurred_at=as_of,
                        reason="Archived for recertification.",
                        dedupe_key=f"recert_archived:{old_id}",
                    )
                )
            event_rows.append(
                events.event_row(
                    assignment_id=assignment.pk,
                    kind=EscalationEvent.Kind.RECERTIFICATION,
                    occurred_at=as_of,
                    reason=reason,
                    dedupe_key=f"recertification:{assignment.pk}",
                    detail={"previous_assignment": old_id},
                )
            )
            messages.append(
                Outgoing(
                    learner_id,
                    Notification.Kind.RECERTIFICATION,
                    f"recertification:{assignment.pk}",
                    {
                        "learner": full_name(first, last),
                        "first_name": first,
                        "course": course.title,
                        "course_code": course.code,
                        "expires_on": expires_on.isoformat(),
                        "due_date": assignment.due_date.isoformat(),
                        "reason": reason,
                    },
                    assignment.pk,
                )
            )
        recorded = events.record(event_rows, count=True)
        summary.add(enqueue(messages), events=recorded, reassigned=len(created))


def _clean_slates(*, as_of: dt.datetime, dry_run: bool, summary: Summary) -> None:
    current = _current_courses()
    today = timezone.localdate(as_of)
    for policy in EscalationPolicy.objects.exclude(course_code="").filter(
        clean_slate_month__isnull=False, clean_slate_day__isnull=False
    ):
        course = current.get(policy.course_code)
        if course is None:
            continue
        try:
            date_this_year = dt.date(today.year, policy.clean_slate_month, policy.clean_slate_day)
        except ValueError:
            continue
        if today < date_this_year or CleanSlateRun.objects.filter(course_code=course.code, year=today.year).exists():
            continue
        active = Assignment.objects.filter(course_code=course.code, archived_at__isnull=True)
        if dry_run:
            summary.add([], would_clean_slate=active.count())
            continue
        with transaction.atomic():
            run, created = CleanSlateRun.objects.get_or_create(
                course_code=course.code, year=today.year, defaults={"ran_at": as_of}
            )
            if not created:
                continue
            learners = list(active.filter(learner__is_active=True).values_list("pk", "learner_id"))
            archived_ids = list(active.values_list("pk", flat=True))
            archived = active.update(
                archived_at=as_of,
                archived_reason=Assignment.ArchiveReason.CLEAN_SLATE,
                archive_note=f"Annual clean slate {today.year}.",
            )
            assignments_audit_archived(
                ids=archived_ids,
                reason=Assignment.ArchiveReason.CLEAN_SLATE,
                note=f"Annual clean slate {today.year}.",
                at=as_of,
            )
            due = add_days(today, policy.clean_slate_due_days)
            created_rows = Assignment.objects.bulk_create(
                [
                    Assignment(
                        learner_id=learner_id,
                        course=course,
                        course_code=course.code,
                        source=Assignment.Source.RECERTIFICATION,
                        assigned_at=as_of,
                        assigned_on=today,
                        due_date=due,
                    )
                    for _, learner_id in learners
                ],
                batch_size=2000,
            )
            assignments_audit_created(
                assignments=created_rows, actor=None, at=as_of, reason=f"Annual clean slate {today.year}"
            )
            notices = assignment_notice_queue(assignments=created_rows)
            recorded = events.record(
                [
                    events.event_row(
                        assignment_id=old,
                        kind=EscalationEvent.Kind.ARCHIVED,
                        occurred_at=as_of,
                        reason=f"Annual clean slate {today.year}.",
                        dedupe_key=f"clean_slate:{old}",
                    )
                    for old, _ in learners
                ],
                count=True,
            )
            CleanSlateRun.objects.filter(pk=run.pk).update(archived=archived, reassigned=len(created_rows))
            summary.add_counts(
                notifications=notices,
                events=recorded,
                clean_slate_archived=archived,
                clean_slate_reassigned=len(created_rows),
            )
