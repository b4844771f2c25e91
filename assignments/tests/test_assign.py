from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from assignments.models import Assignment
from assignments.services.assign import DueMode, DueSpec, assignment_create, assignments_create, learners_for_target
from courses.tests.factories import AssignmentFactory, CourseFactory
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite_param_limit(monkeypatch):
    """Django assumes SQLite's old compile-time limit of 999 parameters and splits bulk inserts
    into batches; SQLite 3.32+ allows 32766. Using the real limit keeps query counts a property of
    the code, not of batch arithmetic (PostgreSQL never splits)."""
    if connection.vendor == "sqlite":
        monkeypatch.setattr(connection.features, "max_query_params", 32766)


TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def test_fixed_due_date_is_the_same_for_everyone(frozen):
    course = CourseFactory()
    learners = UserFactory.create_batch(3)

    result = assignments_create(
        course=course, learners=learners, due=DueSpec(mode=DueMode.FIXED, date=dt.date(2026, 4, 1))
    )

    assert {a.due_date for a in result.created} == {dt.date(2026, 4, 1)}
    assert Assignment.objects.filter(course_code=course.code, archived_at=None).count() == 3


def test_due_n_days_after_assignment_counts_from_the_learners_local_date(frozen):
    course = CourseFactory()
    # 10:00 UTC on 2 March is already 3 March in Auckland.
    london = UserFactory(timezone="Europe/London")
    auckland = UserFactory(timezone="Pacific/Auckland")

    with time_machine.travel(dt.datetime(2026, 3, 2, 13, 0, tzinfo=dt.UTC), tick=False):
        result = assignments_create(
            course=course, learners=[london, auckland], due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=14)
        )

    due = {a.learner_id: (a.assigned_on, a.due_date) for a in result.created}
    assert due[london.pk] == (dt.date(2026, 3, 2), dt.date(2026, 3, 16))
    assert due[auckland.pk] == (dt.date(2026, 3, 3), dt.date(2026, 3, 17))


def test_due_n_days_after_hire_for_new_starters_and_never_before_today(frozen):
    course = CourseFactory()
    starter = UserFactory(hire_date=dt.date(2026, 3, 10))
    veteran = UserFactory(hire_date=dt.date(2019, 1, 1))
    no_date = UserFactory(hire_date=None)

    result = assignments_create(
        course=course, learners=[starter, veteran, no_date], due=DueSpec(mode=DueMode.AFTER_HIRE, days=30)
    )

    due = {a.learner_id: a.due_date for a in result.created}
    assert due[starter.pk] == dt.date(2026, 4, 9)
    assert due[veteran.pk] == TODAY
    assert due[no_date.pk] == dt.date(2026, 4, 1)


def test_a_fixed_due_date_in_the_past_is_refused_and_nothing_is_saved(frozen):
    course = CourseFactory()

    with pytest.raises(ValidationError) as error:
        assignments_create(
            course=course, learners=[UserFactory()], due=DueSpec(mode=DueMode.FIXED, date=dt.date(2026, 3, 1))
        )

    assert "due_date" in error.value.message_dict
    assert not Assignment.objects.exists()


def test_already_assigned_learners_are_skipped_with_their_due_date(frozen):
    course = CourseFactory()
    department = DepartmentFactory()
    has_it, new = UserFactory(department=department), UserFactory(department=department)
    existing = AssignmentFactory(learner=has_it, course=course, due_date=dt.date(2026, 3, 20))

    result = assignments_create(
        course=course,
        learners=learners_for_target(target="department", department=department),
        due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=30),
    )

    assert [a.learner for a in result.created] == [new]
    assert [(a.pk, a.due_date) for a in result.skipped] == [(existing.pk, dt.date(2026, 3, 20))]
    assert Assignment.objects.filter(learner=has_it).count() == 1


def test_department_target_can_include_the_sub_tree(frozen):
    parent = DepartmentFactory(name="Operations")
    child = DepartmentFactory(name="Warehouse", parent=parent)
    grandchild = DepartmentFactory(name="Night shift", parent=child)
    other = DepartmentFactory(name="Sales")
    people = {d.name: UserFactory(department=d) for d in (parent, child, grandchild, other)}
    UserFactory(department=child, is_active=False)

    only_parent = set(learners_for_target(target="department", department=parent))
    subtree = set(learners_for_target(target="department", department=parent, include_subdepartments=True))

    assert only_parent == {people["Operations"]}
    assert subtree == {people["Operations"], people["Warehouse"], people["Night shift"]}


def test_everyone_means_every_active_user(frozen):
    active = UserFactory.create_batch(2)
    UserFactory(is_active=False)

    assert set(learners_for_target(target="everyone")) == set(active)


def test_assigning_sends_the_notice_by_email_after_commit_and_stamps_it(frozen, django_capture_on_commit_callbacks):
    course = CourseFactory(title="Data protection")
    learner = UserFactory(email="lee@example.com", first_name="Lee")

    with django_capture_on_commit_callbacks(execute=True):
        assignment = assignment_create(
            course=course,
            learner=learner,
            due=DueSpec(mode=DueMode.FIXED, date=dt.date(2026, 4, 1)),
            assigned_by=AdminFactory(),
        )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lee@example.com"]
    assert "Data protection" in message.subject and "1 Apr 2026" in message.subject
    assert "Hello Lee" in message.body
    assert (
        message.alternatives[0][1] == "text/html" and "<strong>Data protection</strong>" in message.alternatives[0][0]
    )
    assignment.refresh_from_db()
    assert assignment.notified_at is not None


def test_no_notice_leaves_when_the_transaction_rolls_back(frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assignment_create(
            course=CourseFactory(), learner=UserFactory(), due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=5)
        )

    assert mail.outbox == []
    assert len(callbacks) >= 1


def test_assigning_one_learner_twice_is_refused_with_the_due_date(frozen):
    course = CourseFactory(code="GDPR-101")
    learner = UserFactory()
    assignment_create(course=course, learner=learner, due=DueSpec(mode=DueMode.FIXED, date=dt.date(2026, 5, 1)))

    with pytest.raises(ValidationError, match="already has GDPR-101, due 1 May 2026"):
        assignment_create(course=course, learner=learner, due=DueSpec(mode=DueMode.FIXED, date=dt.date(2026, 6, 1)))

    assert Assignment.objects.filter(learner=learner).count() == 1


@pytest.mark.usefixtures("sqlite_param_limit")
def test_assignments_create_uses_the_same_number_of_queries_for_3_and_60_learners(frozen, django_assert_num_queries):
    course, other_course = CourseFactory(), CourseFactory()
    small, large = UserFactory.create_batch(3), UserFactory.create_batch(60)
    # Five queries, plus one audit-trail INSERT for the whole batch.
    with django_assert_num_queries(6) as small_ctx:
        assignments_create(
            course=course, learners=small, due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=5), notify=False
        )
    with django_assert_num_queries(len(small_ctx.captured_queries)):
        assignments_create(
            course=other_course, learners=large, due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=5), notify=False
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_never_duplicate_an_active_assignment():
    assert connection.vendor == "postgresql"
    course = CourseFactory()
    learners = UserFactory.create_batch(20)
    admins = [AdminFactory(), AdminFactory()]
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def run(index: int) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results[index] = assignments_create(
                course=course,
                learners=learners,
                due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=10),
                assigned_by=admins[index],
                notify=False,
            )
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Assignment.objects.filter(course_code=course.code, archived_at=None).count() == 20
    created = [a.learner_id for r in results.values() for a in r.created]
    skipped = [a.learner_id for r in results.values() for a in r.skipped]
    assert sorted(created) == sorted(learner.pk for learner in learners)
    assert sorted(skipped) == sorted(learner.pk for learner in learners)
