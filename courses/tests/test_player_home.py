"""The learner's home: active assignments with state and progress, then every completion."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment, ModuleProgress
from assignments.selectors.learner import (
    LearnerState,
    derive_state,
    learner_active_assignments,
    learner_completion_history,
    with_learner_state,
)
from courses.tests.factories import AssignmentFactory, CompletionFactory, ExemptionFactory, make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def make_assignment(learner, **kwargs):
    course = kwargs.pop("course", None) or make_course(questions=1, modules=4, recertification_window_days=30)
    return AssignmentFactory(
        learner=learner,
        course=course,
        assigned_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        assigned_on=dt.date(2026, 5, 1),
        **kwargs,
    )


@pytest.fixture
def learner():
    return UserFactory()


def states(learner, today=TODAY) -> dict[int, str]:
    return {a.pk: a.state for a in learner_active_assignments(learner=learner, today=today)}


def test_each_state_is_derived_in_the_database(learner):
    due = make_assignment(learner, due_date=TODAY)
    overdue = make_assignment(learner, due_date=TODAY - dt.timedelta(days=1))
    failed = make_assignment(learner, due_date=TODAY - dt.timedelta(days=3), status=Assignment.Status.FAILED)
    completed = make_assignment(learner, due_date=TODAY, status=Assignment.Status.COMPLETED)
    CompletionFactory(
        learner=learner, course=completed.course, assignment=completed, expires_on=TODAY + dt.timedelta(days=31)
    )
    expiring = make_assignment(learner, due_date=TODAY, status=Assignment.Status.COMPLETED)
    CompletionFactory(
        learner=learner, course=expiring.course, assignment=expiring, expires_on=TODAY + dt.timedelta(days=30)
    )
    expired = make_assignment(learner, due_date=TODAY, status=Assignment.Status.COMPLETED)
    CompletionFactory(
        learner=learner, course=expired.course, assignment=expired, expires_on=TODAY - dt.timedelta(days=1)
    )
    exempt = make_assignment(learner, due_date=TODAY - dt.timedelta(days=10))
    ExemptionFactory(
        learner=learner, course_code=exempt.course.code, starts_on=TODAY - dt.timedelta(days=2), ends_on=TODAY
    )
    assert states(learner) == {
        due.pk: LearnerState.DUE,
        overdue.pk: LearnerState.OVERDUE,
        failed.pk: LearnerState.FAILED,
        completed.pk: LearnerState.COMPLETED,
        expiring.pk: LearnerState.EXPIRING,
        expired.pk: LearnerState.EXPIRED,
        exempt.pk: LearnerState.EXEMPT,
    }


def test_exemptions_that_do_not_cover_today_or_were_revoked_do_not_count(learner):
    assignment = make_assignment(learner, due_date=TODAY - dt.timedelta(days=1))
    ExemptionFactory(learner=learner, course_code="", starts_on=TODAY + dt.timedelta(days=1))
    ExemptionFactory(
        learner=learner, course_code="", starts_on=TODAY - dt.timedelta(days=9), ends_on=TODAY - dt.timedelta(days=1)
    )
    ExemptionFactory(learner=learner, course_code="", starts_on=TODAY - dt.timedelta(days=9), revoked_at=timezone.now())
    ExemptionFactory(learner=learner, course_code="OTHER-COURSE", starts_on=TODAY - dt.timedelta(days=9))
    ExemptionFactory(learner=UserFactory(), course_code="", starts_on=TODAY - dt.timedelta(days=9))
    assert states(learner) == {assignment.pk: LearnerState.OVERDUE}
    ExemptionFactory(learner=learner, course_code="", starts_on=TODAY)
    assert states(learner) == {assignment.pk: LearnerState.EXEMPT}


def test_database_and_python_derivations_agree(learner):
    for days, status in [(-1, "assigned"), (0, "in_progress"), (5, "failed")]:
        make_assignment(learner, due_date=TODAY + dt.timedelta(days=max(days, 0)), status=status)
    for row in learner_active_assignments(learner=learner, today=TODAY + dt.timedelta(days=1)):
        assert row.state == derive_state(
            status=row.status,
            due_date=row.due_date,
            today=TODAY + dt.timedelta(days=1),
            has_completion=row.completion_id is not None,
            expires_on=row.completion_expires_on,
            window_days=row.course.recertification_window_days,
            exempt=row.is_exempt,
        )


def test_overdue_uses_today_in_the_learners_time_zone():
    # 14:30 UTC on the due date is already the next day in Sydney (UTC+10), still the due date in London
    sydney = UserFactory(timezone="Australia/Sydney")
    london = UserFactory(timezone="Europe/London")
    in_sydney = make_assignment(sydney, due_date=TODAY)
    in_london = make_assignment(london, due_date=TODAY)
    with time_machine.travel(dt.datetime(2026, 6, 15, 13, 30, tzinfo=dt.UTC), tick=False):
        assert states(sydney, today=None)[in_sydney.pk] == LearnerState.DUE
    with time_machine.travel(dt.datetime(2026, 6, 15, 14, 30, tzinfo=dt.UTC), tick=False):
        assert states(sydney, today=None)[in_sydney.pk] == LearnerState.OVERDUE
        assert states(london, today=None)[in_london.pk] == LearnerState.DUE


def test_progress_counts_completed_and_tested_out_modules(learner):
    assignment = make_assignment(learner, due_date=TODAY)
    modules = list(assignment.course.modules.order_by("order"))
    ModuleProgress.objects.create(assignment=assignment, module=modules[0], completed_at=timezone.now())
    ModuleProgress.objects.create(assignment=assignment, module=modules[1], tested_out=True)
    ModuleProgress.objects.create(assignment=assignment, module=modules[2])  # opened, not finished
    row = learner_active_assignments(learner=learner, today=TODAY).get()
    assert (row.modules_done, row.module_count, row.progress_percent) == (2, 4, 50)
    completed = make_assignment(learner, due_date=TODAY)
    CompletionFactory(learner=learner, course=completed.course, assignment=completed)
    assert learner_active_assignments(learner=learner, today=TODAY).get(pk=completed.pk).progress_percent == 100


def test_archived_assignments_are_not_active_but_their_completions_stay_in_history(learner):
    course = make_course(questions=1)
    old = make_assignment(learner, course=course, due_date=TODAY)
    first = CompletionFactory(
        learner=learner, course=course, assignment=old, completed_at=timezone.now() - dt.timedelta(days=400)
    )
    Assignment.objects.filter(pk=old.pk).update(archived_at=timezone.now(), archived_reason="retraining")
    current = make_assignment(learner, course=course, due_date=TODAY)
    second = CompletionFactory(learner=learner, course=course, assignment=current)
    assert list(learner_active_assignments(learner=learner, today=TODAY)) == [current]
    assert list(learner_completion_history(learner=learner, today=TODAY)) == [second, first]


def test_with_learner_state_can_be_filtered_across_learners():
    overdue = [make_assignment(UserFactory(), due_date=TODAY - dt.timedelta(days=2)) for _ in range(3)]
    make_assignment(UserFactory(), due_date=TODAY)
    qs = with_learner_state(Assignment.objects.all(), today=TODAY).filter(state=LearnerState.OVERDUE)
    assert {a.pk for a in qs} == {a.pk for a in overdue}


@pytest.mark.parametrize("size", [1, 8])
def test_home_section_reads_are_a_fixed_number_of_queries(client, django_assert_num_queries, learner, size):
    for index in range(size):
        assignment = make_assignment(learner, due_date=TODAY + dt.timedelta(days=index))
        ModuleProgress.objects.create(
            assignment=assignment, module=assignment.course.modules.first(), completed_at=timezone.now()
        )
        CompletionFactory(learner=learner, course=assignment.course)
    with django_assert_num_queries(2):
        assignments = list(learner_active_assignments(learner=learner, today=TODAY))
        history = list(learner_completion_history(learner=learner, today=TODAY))
        # touching what the template shows costs nothing more
        _ = [(a.course.title, a.state, a.progress_percent, a.modules_done) for a in assignments]
        _ = [(c.course.title, c.is_expired) for c in history]
    assert len(assignments) == size and len(history) == size
    assert all(a.progress_percent == 25 for a in assignments)


@pytest.mark.parametrize("size", [1, 6])
def test_home_page_query_count_does_not_grow_with_assignments(client, django_assert_max_num_queries, learner, size):
    for _ in range(size):
        assignment = make_assignment(learner, due_date=TODAY)
        CompletionFactory(learner=learner, course=assignment.course, assignment=assignment)
    client.force_login(learner)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("home"))
    assert len(response.context["sections"][0]["context"]["assignments"]) == size


def test_home_shows_assignments_states_progress_and_history(client, learner):
    due = make_assignment(learner, due_date=TODAY + dt.timedelta(days=400))
    overdue = make_assignment(learner, due_date=timezone.localdate() - dt.timedelta(days=1))
    old_course = make_course(title="Fire safety")
    CompletionFactory(
        learner=learner,
        course=old_course,
        certificate_number="FIRE-1",
        completed_at=timezone.now() - dt.timedelta(days=700),
    )
    CompletionFactory(
        learner=learner,
        course=old_course,
        certificate_number="FIRE-2",
        completed_at=timezone.now() - dt.timedelta(days=300),
    )
    client.force_login(learner)
    response = client.get(reverse("home"))
    html = response.content.decode()
    section = response.context["sections"][0]
    assert section["title"] == "My training"
    assert [a.pk for a in section["context"]["assignments"]] == [overdue.pk, due.pk]
    assert 'data-state="overdue"' in html and 'data-state="due"' in html
    assert '<progress class="player-progress' in html
    assert html.count('data-testid="completion-row"') == 2
    assert "FIRE-1" in html and "FIRE-2" in html
    assert reverse("player_course", args=[due.pk]) in html
