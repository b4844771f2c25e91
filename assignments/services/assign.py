"""Putting a course in front of people: one learner, a selection, a department (optionally with its
sub-tree) or everyone, with a due date that is fixed, N days from assignment, or N days from the
learner's hire date.

One active assignment per learner and course code is a partial unique constraint in the database.
Rows are inserted with ``lms.bulk.bulk_insert(ignore_conflicts=True)`` and their ids then re-read,
so a learner who already has the course (or gets it from a concurrent request between our read and
our insert) is reported as skipped and never duplicated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assignments.models import Assignment
from assignments.signals import assignment_created
from courses.models import Course
from lms.audit import audit_record_many, label_of
from lms.bulk import bulk_insert
from lms.dates import add_days, day_text
from lms.models import AuditEntry, Department, User
from lms.selectors import department_subtree_ids


class DueMode(TextChoices):
    FIXED = "fixed", gettext_lazy("On a fixed date")
    AFTER_ASSIGNMENT = "after_assignment", gettext_lazy("N days after the assignment is made")
    AFTER_HIRE = "after_hire", gettext_lazy("N days after the learner's hire date (new starters)")


class DueRule(Protocol):
    def due_for(self, learner: User, assigned_on: dt.date) -> dt.date: ...


def learner_today(learner: User, *, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the learner is (deadlines are dates in the learner's own time zone)."""
    return timezone.localtime(now or timezone.now(), learner.tzinfo).date()


@dataclass(frozen=True)
class DueSpec:
    mode: str
    date: dt.date | None = None
    days: int | None = None

    def validate(self, *, today: dt.date | None = None) -> None:
        today = today or timezone.localdate()
        if self.mode not in DueMode.values:
            raise ValidationError({"due_mode": _("Choose how the due date is set.")})
        if self.mode == DueMode.FIXED:
            if self.date is None:
                raise ValidationError({"due_date": _("Enter the due date.")})
            if self.date < today:
                raise ValidationError({"due_date": _("The due date cannot be in the past.")})
        elif self.days is None or self.days < 0:
            raise ValidationError({"due_days": _("Enter the number of days (0 or more).")})

    def due_for(self, learner: User, assigned_on: dt.date) -> dt.date:
        if self.mode == DueMode.FIXED:
            due = self.date
        elif self.mode == DueMode.AFTER_HIRE:
            due = add_days(learner.hire_date or assigned_on, self.days or 0)
        else:
            due = add_days(assigned_on, self.days or 0)
        # Someone hired long ago (or a learner whose local date is already tomorrow) is due no
        # earlier than the day they are assigned: the database refuses due < assigned.
        return max(due, assigned_on)


@dataclass
class AssignResult:
    created: list[Assignment] = field(default_factory=list)
    # The learner's existing active assignment, for "already assigned, due ..." messages.
    skipped: list[Assignment] = field(default_factory=list)


def course_for_code(code: str) -> Course | None:
    """The newest published version of a course code."""
    return Course.objects.filter(code__iexact=code.strip(), status=Course.Status.PUBLISHED).order_by("-version").first()


def learners_for_target(
    *,
    target: str,
    learners: Iterable[User] | None = None,
    department: Department | None = None,
    include_subdepartments: bool = False,
):
    """Active learners for an assignment target: "learners", "department" or "everyone"."""
    qs = User.objects.filter(is_active=True)
    if target == "everyone":
        return qs
    if target == "department":
        if department is None:
            raise ValidationError({"department": _("Choose a department.")})
        ids = department_subtree_ids(department) if include_subdepartments else [department.pk]
        return qs.filter(department_id__in=ids)
    if target == "learners":
        ids = [learner.pk for learner in learners or []]
        if not ids:
            raise ValidationError({"learners": _("Choose at least one learner.")})
        return qs.filter(pk__in=ids)
    raise ValidationError({"target": _("Choose who gets the course.")})


def assignments_audit_created(
    *, assignments: list[Assignment], actor: User | None, at: dt.datetime | None = None, reason: str = ""
) -> int:
    """One audit row per new assignment, in one INSERT. Any code that inserts assignments without
    ``assignments_create`` (a set-based workflow) calls this in the same transaction."""
    return audit_record_many(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj_label=label_of(Assignment),
        entries=[
            (
                a.pk,
                {
                    "learner": [None, a.learner_id],
                    "course": [None, f"{a.course_code} v{a.course.version}"],
                    "source": [None, a.source],
                    "due_date": [None, a.due_date],
                },
            )
            for a in assignments
        ],
        reason=reason,
        at=at,
    )


def _send_created(assignments: list[Assignment]) -> None:
    # One signal for the whole batch: listeners work set-based.
    assignment_created.send(sender=Assignment, assignments=assignments)


def assignments_create(
    *,
    course: Course,
    learners: Iterable[User],
    due: DueRule,
    source: str = Assignment.Source.MANUAL,
    assigned_by: User | None = None,
    rule=None,
    notify: bool = True,
    dispatch_soon: bool = True,
    now: dt.datetime | None = None,
) -> AssignResult:
    """Assign ``course`` to ``learners``; learners who already have it active are skipped.

    A constant number of queries whatever the number of learners. Rows this call inserted are
    recognised on re-read by their exact ``created_at`` stamp and ``assigned_by``: a concurrent
    request inserting the same learner wins the constraint and its row is reported as skipped.
    The notices go to the outbox; ``dispatch_soon=False`` leaves them to the dispatcher's next
    scheduled run instead of asking for one at commit (an import of thousands of lines: without a
    Celery broker "soon" means inside the command or request that made them).
    """
    if course.status != Course.Status.PUBLISHED:
        raise ValidationError(_("Only a published course can be assigned."))
    if isinstance(due, DueSpec):
        due.validate()
    people = {learner.pk: learner for learner in learners if learner.is_active}
    result = AssignResult()
    if not people:
        return result
    stamp = now or timezone.now()
    with transaction.atomic():
        existing = {
            a.learner_id: a
            for a in Assignment.objects.filter(
                course_code=course.code, archived_at=None, learner_id__in=list(people)
            ).select_related("learner", "course")
        }
        candidates = [learner for pk, learner in people.items() if pk not in existing]
        rows = []
        for learner in candidates:
            assigned_on = learner_today(learner, now=stamp)
            rows.append(
                Assignment(
                    learner=learner,
                    course=course,
                    course_code=course.code,
                    source=source,
                    rule=rule,
                    assigned_by=assigned_by,
                    assigned_at=stamp,
                    assigned_on=assigned_on,
                    due_date=due.due_for(learner, assigned_on),
                    created_at=stamp,
                )
            )
        if rows:
            bulk_insert(rows, ignore_conflicts=True)
            # Only the ids are read back: the rows this call inserted are the instances built above
            # (building thousands of learners and courses again from a join costs seconds).
            built = {row.learner_id: row for row in rows}
            theirs = []
            for pk, learner_id, created_at, by_id in Assignment.objects.filter(
                course_code=course.code, archived_at=None, learner_id__in=list(built)
            ).values_list("pk", "learner_id", "created_at", "assigned_by_id"):
                if created_at == stamp and by_id == (assigned_by.pk if assigned_by else None):
                    row = built[learner_id]
                    row.pk = pk
                    row._state.adding, row._state.db = False, Assignment.objects.db
                    result.created.append(row)
                else:
                    theirs.append(pk)
            if theirs:
                result.skipped.extend(Assignment.objects.filter(pk__in=theirs).select_related("learner", "course"))
        result.skipped.extend(existing.values())
        result.skipped.sort(key=lambda a: (a.learner.last_name, a.learner.first_name, a.learner.email))
        result.created.sort(key=lambda a: (a.learner.last_name, a.learner.first_name, a.learner.email))
        if result.created:
            created = list(result.created)
            assignments_audit_created(assignments=created, actor=assigned_by, at=stamp)
            transaction.on_commit(lambda: _send_created(created))
            if notify:
                from assignments.notices import assignment_notice_send

                assignment_notice_send(assignments=created, dispatch_soon=dispatch_soon)
    return result


def assignment_create(
    *,
    course: Course,
    learner: User,
    due: DueRule,
    source: str = Assignment.Source.MANUAL,
    assigned_by: User | None = None,
    notify: bool = True,
) -> Assignment:
    """Assign one course to one learner; refuses (ValidationError) when it is already active."""
    result = assignments_create(
        course=course, learners=[learner], due=due, source=source, assigned_by=assigned_by, notify=notify
    )
    if not result.created:
        if result.skipped:
            raise ValidationError(
                _("%(learner)s already has %(course)s, due %(due)s.")
                % {"learner": learner, "course": course.code, "due": day_text(result.skipped[0].due_date)}
            )
        raise ValidationError(_("%(learner)s is not active and cannot be assigned training.") % {"learner": learner})
    return result.created[0]
