from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assignments.models import Assignment, Completion, ModuleProgress
from assignments.selectors.lifecycle import learner_history
from assignments.services.archive import (
    assignment_archive,
    assignment_reassign,
    assignments_archive,
    course_clean_slate,
)
from assignments.services.assign import DueMode, DueSpec
from courses.tests.factories import AssignmentFactory, AttemptFactory, CompletionFactory, CourseFactory, make_course
from lms.services import user_deactivate
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

THIRTY_DAYS = DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=30)


def completed_assignment(course, learner):
    assignment = AssignmentFactory(
        course=course, learner=learner, status=Assignment.Status.COMPLETED, completed_at=timezone.now()
    )
    attempt = AttemptFactory(
        assignment=assignment, number=1, status="submitted", submitted_at=timezone.now(), score=90, passed=True
    )
    completion = CompletionFactory(learner=learner, course=course, assignment=assignment, attempt=attempt)
    return assignment, completion


def test_archiving_one_assignment_keeps_its_attempts_and_completion():
    course = make_course()
    learner = UserFactory()
    assignment, completion = completed_assignment(course, learner)
    admin = AdminFactory()

    assignment_archive(
        assignment=assignment, reason=Assignment.ArchiveReason.RETRAINING, note="Policy changed", actor=admin
    )

    assignment.refresh_from_db()
    assert assignment.archived_at is not None
    assert (assignment.archived_reason, assignment.archive_note, assignment.archived_by) == (
        "retraining",
        "Policy changed",
        admin,
    )
    assert assignment.attempts.count() == 1
    assert Completion.objects.get(pk=completion.pk).assignment == assignment


def test_archiving_needs_a_valid_reason_and_changes_nothing_otherwise():
    assignment = AssignmentFactory()

    with pytest.raises(ValidationError):
        assignment_archive(assignment=assignment, reason="bored")

    assignment.refresh_from_db()
    assert assignment.archived_at is None


def test_archiving_many_archives_only_the_active_ones():
    active = AssignmentFactory.create_batch(3)
    already = AssignmentFactory(archived_at=timezone.now(), archived_reason="other")

    count = assignments_archive(assignments=[*active, already], reason=Assignment.ArchiveReason.ASSIGNED_IN_ERROR)

    assert count == 3
    assert Assignment.objects.filter(archived_reason="assigned_in_error").count() == 3
    already.refresh_from_db()
    assert already.archived_reason == "other"


def test_reassign_after_archive_starts_clean_and_nothing_leaks_from_the_old_assignment():
    course = make_course(max_attempts=2, cooldown_first_minutes=60)
    learner = UserFactory()
    old = AssignmentFactory(
        course=course,
        learner=learner,
        status=Assignment.Status.FAILED,
        failed_at=timezone.now(),
        extra_attempts=2,
        retake_deadline=timezone.localdate() + dt.timedelta(days=7),
    )
    for number in (1, 2):
        AttemptFactory(
            assignment=old, number=number, status="submitted", submitted_at=timezone.now(), score=40, passed=False
        )
    ModuleProgress.objects.create(assignment=old, module=course.modules.first(), completed_at=timezone.now())

    new = assignment_reassign(assignment=old, due=THIRTY_DAYS, actor=AdminFactory(), notify=False)

    old.refresh_from_db()
    assert old.archived_at is not None and old.attempts.count() == 2 and old.module_progress.count() == 1
    assert new.pk != old.pk
    assert (new.status, new.extra_attempts, new.retake_deadline, new.failed_at) == ("assigned", 0, None, None)
    assert new.attempts.count() == 0
    assert new.module_progress.count() == 0
    assert new.due_date == new.assigned_on + dt.timedelta(days=30)


def test_reassigned_and_passed_again_history_lists_both_completions():
    course = make_course()
    learner = UserFactory()
    first, first_completion = completed_assignment(course, learner)

    second = assignment_reassign(assignment=first, due=THIRTY_DAYS, notify=False)
    second.status = Assignment.Status.COMPLETED
    second.save()
    second_completion = CompletionFactory(learner=learner, course=course, assignment=second)

    history = learner_history(learner=learner)
    assert {c.pk for c in history["completions"]} == {first_completion.pk, second_completion.pk}
    assert [a.state for a in history["assignments"]] == ["completed", "archived"]


def test_clean_slate_archives_every_active_assignment_of_the_course_and_keeps_completions():
    course = make_course()
    learners = UserFactory.create_batch(3)
    _done, completion = completed_assignment(course, learners[0])
    AssignmentFactory(course=course, learner=learners[1])
    AssignmentFactory(course=course, learner=learners[2])
    other = AssignmentFactory()

    count = course_clean_slate(course_code=course.code, note="Annual refresh 2026")

    assert count == 3
    assert not Assignment.objects.filter(course_code=course.code, archived_at=None).exists()
    assert set(Assignment.objects.filter(course_code=course.code).values_list("archived_reason", flat=True)) == {
        "clean_slate"
    }
    assert Completion.objects.filter(pk=completion.pk).exists()
    other.refresh_from_db()
    assert other.archived_at is None


def test_a_leaver_has_their_active_assignments_archived_and_records_kept():
    course = make_course()
    learner = UserFactory()
    _done, completion = completed_assignment(course, learner)
    open_one = AssignmentFactory(learner=learner)
    admin = AdminFactory()

    user_deactivate(user=learner, actor=admin)

    open_one.refresh_from_db()
    assert (open_one.archived_reason, open_one.archived_by) == ("left", admin)
    assert Assignment.objects.filter(learner=learner, archived_at=None).count() == 0
    assert Completion.objects.filter(pk=completion.pk).exists()


def test_clean_slate_of_an_unknown_course_changes_nothing():
    AssignmentFactory(course=CourseFactory(code="ABC-201"))

    assert course_clean_slate(course_code="NOPE-1") == 0
    assert Assignment.objects.filter(archived_at=None).count() == 1
