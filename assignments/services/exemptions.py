"""Exemptions: a learner excused from one course or all courses for a period.

While exempt a learner is ``exempt`` (never overdue or failed) and gets no reminders. When the
exemption ends, their active, unfinished assignments' due dates move forward by the length of the
exemption in days, exactly once (``deadlines_shifted_at`` is claimed with a conditional UPDATE
before the dates move, inside one transaction).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.models import Assignment, Exemption
from assignments.signals import exemption_granted
from courses.models import Course
from lms.audit import audit_record, audit_record_many, label_of, snapshot
from lms.dates import add_days
from lms.models import AuditEntry, User

EXEMPTION_FIELDS = ["learner", "course_code", "starts_on", "ends_on", "reason", "note", "approved_by"]


@transaction.atomic
def exemption_grant(
    *,
    learner: User,
    reason: str,
    approved_by: User,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    course_code: str = "",
    note: str = "",
) -> Exemption:
    if not approved_by.is_admin:
        raise ValidationError({"approved_by": _("Only an admin can approve an exemption.")})
    code = course_code.strip()
    if code:
        course = Course.objects.filter(code__iexact=code).first()
        if course is None:
            raise ValidationError({"course_code": _("There is no course with the code %(code)s.") % {"code": code}})
        code = course.code
    exemption = Exemption(
        learner=learner,
        course_code=code,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        note=note.strip(),
        approved_by=approved_by,
    )
    exemption.full_clean()
    # One grant at a time per learner: two requests at once (a double submit) would both pass the
    # overlap check below before either inserted. The lock is held until this transaction ends.
    list(User.objects.select_for_update().filter(pk=learner.pk).values_list("pk", flat=True))
    overlapping = Exemption.objects.filter(learner=learner, revoked_at=None, course_code=exemption.course_code).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise ValidationError(_("%(learner)s already has an exemption for this period.") % {"learner": learner})
    exemption.save()
    audit_record(
        actor=approved_by,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(Exemption),
        obj_id=exemption.pk,
        changes={name: [None, value] for name, value in snapshot(exemption, EXEMPTION_FIELDS).items()},
        reason=exemption.note,
    )
    _record_exempted(exemption)
    return exemption


def _record_exempted(exemption: Exemption) -> None:
    """Tell listeners (the case file) which active assignments the exemption covers."""
    covered = Assignment.objects.filter(learner=exemption.learner, archived_at=None)
    if exemption.course_code:
        covered = covered.filter(course_code=exemption.course_code)
    exemption_granted.send(
        sender=Exemption, exemption=exemption, assignment_ids=list(covered.values_list("pk", flat=True))
    )


@transaction.atomic
def exemption_revoke(*, exemption: Exemption, actor: User | None = None, reason: str = "") -> Exemption:
    """Withdraw an exemption granted in error: deadlines are not moved."""
    if exemption.revoked_at is not None:
        raise ValidationError(_("This exemption was already revoked."))
    exemption.revoked_at = timezone.now()
    exemption.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CHANGE,
        obj_label=label_of(Exemption),
        obj_id=exemption.pk,
        changes={"revoked_at": [None, exemption.revoked_at]},
        reason=reason or "Revoked (granted in error)",
    )
    return exemption


def exemption_days(exemption: Exemption) -> int:
    """Days away, counting the first and the last day."""
    return (exemption.ends_on - exemption.starts_on).days + 1


@transaction.atomic
def exemption_end(*, exemption: Exemption, ended_on: dt.date | None = None, actor: User | None = None) -> int:
    """End the exemption (on ``ended_on`` if that is earlier than planned) and move the learner's
    active unfinished due dates forward by the days away. Returns how many were moved; running it
    again moves nothing."""
    if exemption.revoked_at is not None:
        raise ValidationError(_("A revoked exemption cannot be ended."))
    planned_end = exemption.ends_on
    if ended_on is not None:
        if ended_on < exemption.starts_on:
            raise ValidationError({"ends_on": _("An exemption cannot end before it starts.")})
        if exemption.ends_on is None or ended_on < exemption.ends_on:
            exemption.ends_on = ended_on
            Exemption.objects.filter(pk=exemption.pk).update(ends_on=ended_on, updated_at=timezone.now())
    if exemption.ends_on is None:
        raise ValidationError({"ends_on": _("Give the date the exemption ends.")})
    stamp = timezone.now()
    claimed = Exemption.objects.filter(pk=exemption.pk, deadlines_shifted_at=None).update(deadlines_shifted_at=stamp)
    changes: dict = {}
    if exemption.ends_on != planned_end:
        changes["ends_on"] = [planned_end, exemption.ends_on]
    if claimed == 1:
        changes["deadlines_shifted_at"] = [None, stamp]
    if changes:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CHANGE,
            obj_label=label_of(Exemption),
            obj_id=exemption.pk,
            changes=changes,
            reason="Ended",
            at=stamp,
        )
    if claimed != 1:
        return 0
    exemption.deadlines_shifted_at = stamp
    shift = exemption_days(exemption)
    assignments = Assignment.objects.filter(
        learner_id=exemption.learner_id,
        archived_at=None,
        status__in=[Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS],
        # Only deadlines that fell during or after the time away move; earlier ones were already late.
        due_date__gte=exemption.starts_on,
        assigned_on__lte=exemption.ends_on,
    ).order_by("pk")
    if exemption.course_code:
        assignments = assignments.filter(course_code=exemption.course_code)
    moved = list(assignments.select_for_update())
    entries = []
    for assignment in moved:
        entries.append((assignment.pk, {"due_date": [assignment.due_date, add_days(assignment.due_date, shift)]}))
        assignment.due_date = add_days(assignment.due_date, shift)
    Assignment.objects.bulk_update(moved, ["due_date"])
    audit_record_many(
        actor=actor,
        action=AuditEntry.Action.CHANGE,
        obj_label=label_of(Assignment),
        entries=entries,
        reason=f"Due date moved {shift} days for the time away (exemption {exemption.pk})",
        at=stamp,
    )
    return len(moved)


def exemptions_end_due(*, as_of: dt.date) -> int:
    """For the nightly job: shift deadlines for every exemption that ended before ``as_of``."""
    moved = 0
    for exemption in Exemption.objects.filter(
        revoked_at=None, deadlines_shifted_at=None, ends_on__isnull=False, ends_on__lt=as_of
    ).order_by("pk"):
        moved += exemption_end(exemption=exemption)
    return moved


def run_exemption_returns(*, as_of: dt.datetime, dry_run: bool = False) -> dict:
    """Nightly workflow (called by escalation.nightly.run_nightly before reminders): learners whose
    exemption ended before ``as_of``'s date get their due dates moved. Safe to run twice."""
    day = timezone.localdate(as_of) if isinstance(as_of, dt.datetime) else as_of
    ended = Exemption.objects.filter(revoked_at=None, deadlines_shifted_at=None, ends_on__isnull=False, ends_on__lt=day)
    if dry_run:
        return {"workflow": "exemption_returns", "exemptions": ended.count(), "assignments_moved": 0, "dry_run": True}
    count = ended.count()
    moved = exemptions_end_due(as_of=day)
    return {"workflow": "exemption_returns", "exemptions": count, "assignments_moved": moved}
