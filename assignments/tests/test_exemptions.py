from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assignments.models import Assignment, Exemption
from assignments.selectors.lifecycle import assignment_list, with_state
from assignments.services.exemptions import exemption_end, exemption_grant, exemption_revoke, exemptions_end_due
from courses.tests.factories import AssignmentFactory, CourseFactory
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def grant(learner, **fields):
    fields.setdefault("reason", Exemption.Reason.PARENTAL_LEAVE)
    fields.setdefault("approved_by", AdminFactory())
    fields.setdefault("starts_on", dt.date(2026, 2, 1))
    fields.setdefault("ends_on", dt.date(2026, 2, 28))
    return exemption_grant(learner=learner, **fields)


def test_an_exempt_learner_is_exempt_not_overdue_or_failed():
    learner = UserFactory()
    overdue = AssignmentFactory(learner=learner, assigned_on=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1))
    failed = AssignmentFactory(learner=learner, status=Assignment.Status.FAILED)
    other = AssignmentFactory(due_date=dt.date(2026, 2, 1), assigned_on=dt.date(2026, 1, 1))
    grant(learner, starts_on=dt.date(2026, 3, 1), ends_on=None)

    states = {a.pk: a.state for a in with_state(Assignment.objects.all(), today=dt.date(2026, 3, 2))}

    assert states == {overdue.pk: "exempt", failed.pk: "exempt", other.pk: "overdue"}
    assert [a.pk for a in assignment_list(state="overdue")] == [other.pk]


def test_a_course_exemption_covers_only_that_course():
    learner = UserFactory()
    gdpr = AssignmentFactory(
        learner=learner,
        course=CourseFactory(code="GDPR-101"),
        assigned_on=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 2, 1),
    )
    fire = AssignmentFactory(
        learner=learner,
        course=CourseFactory(code="HS-101"),
        assigned_on=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 2, 1),
    )
    grant(learner, course_code="gdpr-101", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 31))

    states = {a.pk: a.state for a in with_state(Assignment.objects.all(), today=dt.date(2026, 3, 2))}

    assert states == {gdpr.pk: "exempt", fire.pk: "overdue"}


def test_ending_an_exemption_moves_due_dates_by_the_days_away_exactly_once():
    learner = UserFactory()
    due_during = AssignmentFactory(learner=learner, assigned_on=dt.date(2026, 1, 20), due_date=dt.date(2026, 2, 10))
    due_after = AssignmentFactory(learner=learner, assigned_on=dt.date(2026, 1, 20), due_date=dt.date(2026, 4, 1))
    done = AssignmentFactory(
        learner=learner,
        assigned_on=dt.date(2026, 1, 20),
        due_date=dt.date(2026, 2, 10),
        status=Assignment.Status.COMPLETED,
    )
    someone_else = AssignmentFactory(assigned_on=dt.date(2026, 1, 20), due_date=dt.date(2026, 2, 10))
    exemption = grant(learner)  # 1-28 February: 28 days

    assert exemption_end(exemption=exemption) == 2
    assert exemption_end(exemption=exemption) == 0

    for row in (due_during, due_after, done, someone_else):
        row.refresh_from_db()
    assert due_during.due_date == dt.date(2026, 3, 10)
    assert due_after.due_date == dt.date(2026, 4, 29)
    assert done.due_date == dt.date(2026, 2, 10)
    assert someone_else.due_date == dt.date(2026, 2, 10)
    exemption.refresh_from_db()
    assert exemption.deadlines_shifted_at is not None


def test_the_nightly_call_shifts_only_exemptions_that_have_ended():
    ended_learner, ongoing_learner = UserFactory(), UserFactory()
    ended = AssignmentFactory(learner=ended_learner, assigned_on=dt.date(2026, 2, 1), due_date=dt.date(2026, 2, 20))
    ongoing = AssignmentFactory(learner=ongoing_learner, assigned_on=dt.date(2026, 2, 1), due_date=dt.date(2026, 2, 20))
    grant(ended_learner, starts_on=dt.date(2026, 2, 10), ends_on=dt.date(2026, 2, 19))  # 10 days
    grant(ongoing_learner, starts_on=dt.date(2026, 2, 10), ends_on=dt.date(2026, 3, 20))

    assert exemptions_end_due(as_of=dt.date(2026, 3, 2)) == 1
    assert exemptions_end_due(as_of=dt.date(2026, 3, 2)) == 0

    ended.refresh_from_db()
    ongoing.refresh_from_db()
    assert ended.due_date == dt.date(2026, 3, 2)
    assert ongoing.due_date == dt.date(2026, 2, 20)


def test_ending_early_shifts_by_the_days_actually_away():
    learner = UserFactory()
    assignment = AssignmentFactory(learner=learner, assigned_on=dt.date(2026, 2, 1), due_date=dt.date(2026, 3, 5))
    exemption = grant(learner, starts_on=dt.date(2026, 2, 25), ends_on=None)

    exemption_end(exemption=exemption, ended_on=dt.date(2026, 3, 1))  # 5 days

    assignment.refresh_from_db()
    assert assignment.due_date == dt.date(2026, 3, 10)


def test_a_revoked_exemption_moves_nothing_and_no_longer_excuses():
    learner = UserFactory()
    assignment = AssignmentFactory(learner=learner, assigned_on=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1))
    exemption = grant(learner, starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 31))

    exemption_revoke(exemption=exemption)

    with pytest.raises(ValidationError):
        exemption_end(exemption=exemption)
    assert with_state(Assignment.objects.filter(pk=assignment.pk)).get().state == "overdue"


def test_grant_refuses_bad_input_and_saves_nothing():
    learner = UserFactory()
    with pytest.raises(ValidationError):
        grant(learner, starts_on=dt.date(2026, 3, 10), ends_on=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError):
        grant(learner, course_code="NOPE-999")
    with pytest.raises(ValidationError):
        grant(learner, approved_by=UserFactory())
    grant(learner)
    with pytest.raises(ValidationError, match="already has an exemption"):
        grant(learner, starts_on=dt.date(2026, 2, 15), ends_on=dt.date(2026, 3, 15))
    assert Exemption.objects.count() == 1


def test_the_nightly_workflow_entry_point_honours_dry_run_and_runs_once():
    from assignments.services.exemptions import run_exemption_returns

    learner = UserFactory()
    assignment = AssignmentFactory(learner=learner, assigned_on=dt.date(2026, 2, 1), due_date=dt.date(2026, 2, 20))
    grant(learner, starts_on=dt.date(2026, 2, 10), ends_on=dt.date(2026, 2, 14))  # 5 days
    as_of = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)

    assert run_exemption_returns(as_of=as_of, dry_run=True)["exemptions"] == 1
    assignment.refresh_from_db()
    assert assignment.due_date == dt.date(2026, 2, 20)

    assert run_exemption_returns(as_of=as_of)["assignments_moved"] == 1
    assert run_exemption_returns(as_of=as_of)["assignments_moved"] == 0
    assignment.refresh_from_db()
    assert assignment.due_date == dt.date(2026, 2, 25)


def test_the_learner_facing_state_excuses_an_exempt_learner_who_failed():
    """DESIGN: exempt learners count as excused, never as failed; the learner's home and the
    reports use the same rule."""
    import datetime as dt

    from assignments.models import Assignment
    from assignments.selectors.learner import LearnerState, derive_state

    today = dt.date(2026, 3, 10)
    assert (
        derive_state(status=Assignment.Status.FAILED, due_date=today - dt.timedelta(days=3), today=today, exempt=True)
        == LearnerState.EXEMPT
    )
    assert (
        derive_state(status=Assignment.Status.FAILED, due_date=today - dt.timedelta(days=3), today=today, exempt=False)
        == LearnerState.FAILED
    )


def test_ending_an_exemption_with_no_date_ends_it_today_and_moves_deadlines_by_the_days_away_only(client):
    """Outside eyes: "End and move due dates" with "Back on" left empty moved the due date by the
    whole planned leave (33 days) and left the exemption running until its planned end."""
    from django.urls import reverse

    learner = UserFactory()
    assignment = AssignmentFactory(learner=learner, assigned_on=dt.date(2026, 11, 1), due_date=dt.date(2026, 12, 13))
    with time_machine.travel(dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC), tick=False):
        exemption = grant(learner, starts_on=dt.date(2026, 11, 29), ends_on=dt.date(2026, 12, 31))
        client.force_login(exemption.approved_by)
        response = client.post(reverse("assignments:exemption_end", args=[exemption.pk]), {"ended_on": ""})
    assert response.status_code == 302
    exemption.refresh_from_db()
    assignment.refresh_from_db()
    assert exemption.ends_on == dt.date(2026, 11, 29)
    assert assignment.due_date < dt.date(2026, 12, 20)
