"""Archiving assignments to make room for re-training, and re-assigning.

An archived assignment keeps its attempts, module progress and completion: they hang off the
assignment row, so a new assignment for the same course starts with nothing carried over (no used
attempts, cooldowns, extra attempts, retake deadline or progress).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.models import Assignment
from assignments.services.assign import AssignResult, DueRule, assignments_create, course_for_code
from assignments.signals import assignment_archived
from lms.audit import audit_record_many, label_of
from lms.models import AuditEntry, User


def _check_reason(reason: str) -> None:
    if reason not in Assignment.ArchiveReason.values:
        raise ValidationError({"reason": _("Choose a reason for archiving.")})


def assignments_audit_archived(
    *, ids: list[int], reason: str, note: str = "", actor: User | None = None, at: dt.datetime | None = None
) -> int:
    """One audit row per archived assignment, in one INSERT. Any code that archives assignments
    without ``assignments_archive`` (a set-based workflow) calls this in the same transaction."""
    label = Assignment.ArchiveReason(reason).label if reason in Assignment.ArchiveReason.values else reason
    stamp = at or timezone.now()
    return audit_record_many(
        actor=actor,
        action=AuditEntry.Action.ARCHIVE,
        obj_label=label_of(Assignment),
        entries=[(pk, {"archived_at": [None, stamp], "archived_reason": ["", reason]}) for pk in ids],
        reason=note.strip() or str(label),
        at=stamp,
    )


def _send_archived(ids: list[int], reason: str, actor: User | None) -> None:
    # One signal for the whole batch: listeners work set-based (a clean slate archives thousands).
    assignment_archived.send(sender=Assignment, assignment_ids=ids, reason=reason, actor=actor)


def assignments_archive(
    *, assignments: QuerySet[Assignment] | Iterable[Assignment], reason: str, note: str = "", actor: User | None = None
) -> int:
    """Archive the active ones among ``assignments`` in one UPDATE; returns how many were archived."""
    _check_reason(reason)
    if isinstance(assignments, QuerySet):
        qs = assignments
    else:
        qs = Assignment.objects.filter(pk__in=[a.pk for a in assignments])
    with transaction.atomic():
        # Lock in primary-key order so two archiving requests never deadlock on the same rows.
        ids = list(qs.filter(archived_at=None).order_by("pk").select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        now = timezone.now()
        count = Assignment.objects.filter(pk__in=ids, archived_at=None).update(
            archived_at=now,
            archived_reason=reason,
            archive_note=note.strip(),
            archived_by=actor,
            updated_at=now,
        )
        # The rows are locked: every id was active and is archived by the UPDATE above.
        assignments_audit_archived(ids=ids, reason=reason, note=note, actor=actor, at=now)
        transaction.on_commit(lambda: _send_archived(ids, reason, actor))
    return count


def assignment_archive(*, assignment: Assignment, reason: str, note: str = "", actor: User | None = None) -> Assignment:
    _check_reason(reason)
    if assignment.archived_at is not None:
        raise ValidationError(_("This assignment is already archived."))
    assignments_archive(assignments=[assignment], reason=reason, note=note, actor=actor)
    assignment.refresh_from_db()
    return assignment


def course_clean_slate(
    *, course_code: str, reason: str = Assignment.ArchiveReason.CLEAN_SLATE, note: str = "", actor: User | None = None
) -> int:
    """Archive every active assignment of a course code (annual re-training). Completions stay."""
    return assignments_archive(
        assignments=Assignment.objects.filter(course_code=course_code), reason=reason, note=note, actor=actor
    )


def learner_archive_all(
    *, learner: User, reason: str = Assignment.ArchiveReason.LEFT, actor: User | None = None
) -> int:
    """A leaver's active assignments are archived; their records stay."""
    return assignments_archive(
        assignments=Assignment.objects.filter(learner=learner), reason=reason, note="", actor=actor
    )


def assignment_reassign(
    *,
    assignment: Assignment,
    due: DueRule,
    reason: str = Assignment.ArchiveReason.RETRAINING,
    note: str = "",
    actor: User | None = None,
    notify: bool = True,
) -> Assignment:
    """Archive ``assignment`` (if still active) and assign the course's newest published version afresh."""
    course = course_for_code(assignment.course_code)
    if course is None:
        raise ValidationError(_("%(code)s has no published version to assign.") % {"code": assignment.course_code})
    with transaction.atomic():
        if assignment.archived_at is None:
            assignment_archive(assignment=assignment, reason=reason, note=note, actor=actor)
        result: AssignResult = assignments_create(
            course=course,
            learners=[assignment.learner],
            due=due,
            source=Assignment.Source.MANUAL,
            assigned_by=actor,
            notify=notify,
        )
        if not result.created:
            raise ValidationError(
                _("%(learner)s already has another active assignment for %(code)s.")
                % {"learner": assignment.learner, "code": assignment.course_code}
            )
    return result.created[0]
