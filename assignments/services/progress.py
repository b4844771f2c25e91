"""A learner's progress through the modules of an assigned course."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments.models import Assignment, ModuleProgress
from courses.models import Module


def _check_module(assignment: Assignment, module: Module) -> None:
    if module.course_id != assignment.course_id:
        raise ValidationError(_("This module belongs to another course."))


@transaction.atomic
def module_progress_complete(
    *, assignment: Assignment, module: Module, now: dt.datetime | None = None
) -> ModuleProgress | None:
    """Record that the learner has worked through ``module``.

    Reviewing a completed course, or one whose assignment is archived, records nothing: the
    evidence of that assignment is closed. Returns the progress row, or None when nothing was
    recorded.
    """
    _check_module(assignment, module)
    if assignment.archived_at is not None or assignment.status == Assignment.Status.COMPLETED:
        return None
    now = now or timezone.now()
    progress, _created = ModuleProgress.objects.select_for_update().get_or_create(
        assignment=assignment, module=module, defaults={"completed_at": now}
    )
    if progress.completed_at is None:
        progress.completed_at = now
        progress.save(update_fields=["completed_at", "updated_at"])
    if assignment.status == Assignment.Status.ASSIGNED:
        Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ASSIGNED).update(
            status=Assignment.Status.IN_PROGRESS, started_at=assignment.started_at or now, updated_at=now
        )
        assignment.status = Assignment.Status.IN_PROGRESS
    return progress


@transaction.atomic
def modules_test_out(*, assignment: Assignment, module_ids: Iterable[int], now: dt.datetime | None = None) -> list[int]:
    """Mark the learner as tested out of the given modules of their course (a passed pre-test).
    Returns the ids of the modules marked."""
    now = now or timezone.now()
    ids = sorted(
        set(Module.objects.filter(course_id=assignment.course_id, pk__in=list(module_ids)).values_list("pk", flat=True))
    )
    existing = set(
        ModuleProgress.objects.filter(assignment=assignment, module_id__in=ids).values_list("module_id", flat=True)
    )
    ModuleProgress.objects.filter(assignment=assignment, module_id__in=existing).update(tested_out=True, updated_at=now)
    ModuleProgress.objects.bulk_create(
        [ModuleProgress(assignment=assignment, module_id=pk, tested_out=True) for pk in ids if pk not in existing]
    )
    return ids
