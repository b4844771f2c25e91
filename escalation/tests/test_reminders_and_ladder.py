from __future__ import annotations

import datetime as dt

import pytest

from assignments.models import Assignment
from courses.tests.factories import ExemptionFactory
from escalation.models import EscalationEvent, EscalationPolicy, EscalationStep, Notification, WarningLetter
from escalation.tests.conftest import assign, at
from escalation.workflows.overdue import run_overdue_ladder
from escalation.workflows.reminders import run_due_reminders

pytestmark = pytest.mark.django_db
DUE = dt.date(2026, 3, 20)
TAG = "20260320"  # the due date in the keys: progress belongs to a deadline


def keys(**filters) -> set[str]:
    return set(Notification.objects.filter(**filters).values_list("dedupe_key", flat=True))


def test_reminders_fire_once_per_band_and_never_twice(team, course, policy):
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)

    run_due_reminders(as_of=at(DUE - dt.timedelta(days=15)))
    assert keys() == set()

    summary = run_due_reminders(as_of=at(DUE - dt.timedelta(days=14)))
    assert summary["notifications"] == 1
    assert keys() == {f"reminder:{assignment.pk}:{TAG}:14"}

    again = run_due_reminders(as_of=at(DUE - dt.timedelta(days=14)))
    assert again["notifications"] == 0
    run_due_reminders(as_of=at(DUE - dt.timedelta(days=10)))  # still inside the 14-day band
    assert Notification.objects.count() == 1

    run_due_reminders(as_of=at(DUE - dt.timedelta(days=5)))  # the 7-day band, caught up after a missed night
    run_due_reminders(as_of=at(DUE))
    assert keys() == {f"reminder:{assignment.pk}:{TAG}:{band}" for band in (14, 7, 1)}
    assert EscalationEvent.objects.filter(assignment=assignment, kind="reminded").count() == 3


def test_reminders_skip_completed_archived_exempt_and_inactive(team, course, policy):
    _, _, people = team
    done = assign(people[0], course, due=DUE, status=Assignment.Status.COMPLETED)
    archived = assign(people[1], course, due=DUE, archived_at=at(DUE), archived_reason="other")
    exempt = assign(people[2], course, due=DUE)
    ExemptionFactory(learner=people[2], starts_on=DUE - dt.timedelta(days=30), ends_on=DUE + dt.timedelta(days=30))

    run_due_reminders(as_of=at(DUE - dt.timedelta(days=1)))

    assert Notification.objects.filter(assignment__in=[done, archived, exempt]).count() == 0


def test_deadline_is_judged_in_the_learners_time_zone(team, course, policy):
    _, _, (london, *_) = team
    from lms.tests.factories import UserFactory

    auckland = UserFactory(timezone="Pacific/Auckland")
    assign(london, course, due=DUE)
    far = assign(auckland, course, due=DUE)
    # 13:00 UTC on the 18th is already the 19th in Auckland: one day left there, two in London.
    moment = dt.datetime(2026, 3, 18, 13, 0, tzinfo=dt.UTC)
    run_due_reminders(as_of=moment)
    assert keys(kind="reminder") == {
        f"reminder:{far.pk}:{TAG}:1",
        f"reminder:{Assignment.objects.get(learner=london).pk}:{TAG}:7",
    }


def test_overdue_ladder_tells_each_step_on_its_day_and_issues_the_letter_once(team, course, policy):
    director, lead, (learner, *_) = team
    officer = director.__class__.objects.create_user("officer@example.com", first_name="Olu", last_name="Officer")
    EscalationPolicy.objects.filter(pk=policy.pk).update(compliance_officer=officer)
    # The default ladder tells no officer (a fresh install names none); naming one, the admin ticks
    # the box on the last step.
    policy.steps.filter(days_overdue=14).update(notify_compliance_officer=True)
    assignment = assign(learner, course, due=DUE)

    run_overdue_ladder(as_of=at(DUE))
    assert Notification.objects.count() == 0  # due today is not overdue

    # Day 1 is the first day after the due date; the step at day N fires N days after it.
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=1)))
    assert keys() == {f"overdue:{assignment.pk}:{TAG}:1:learner", f"overdue:{assignment.pk}:{TAG}:1:manager"}
    assert Notification.objects.get(dedupe_key__endswith=":1:manager").recipient == lead

    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=6)))
    assert Notification.objects.filter(dedupe_key__startswith=f"overdue:{assignment.pk}:{TAG}:7").count() == 0
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=7)))
    step_two = Notification.objects.get(dedupe_key=f"overdue:{assignment.pk}:{TAG}:7:managers_manager")
    assert step_two.recipient == director and step_two.context["days_overdue"] == 7

    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=13)))
    assert not WarningLetter.objects.exists()
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=14)))
    step_three = Notification.objects.get(dedupe_key=f"overdue:{assignment.pk}:{TAG}:14:compliance_officer")
    assert step_three.recipient == officer and step_three.context["days_overdue"] == 14
    letter = WarningLetter.objects.get(assignment=assignment)
    assert letter.deadline_missed == DUE and letter.new_deadline == DUE + dt.timedelta(days=14 + 7)
    assert letter.reference == f"WL-{assignment.pk}-14-{TAG}"
    assert {n.recipient for n in Notification.objects.filter(kind="warning_letter")} == {learner, lead}

    before = Notification.objects.count()
    again = run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=15)))  # a day later: nothing new
    assert again["notifications"] == 0 and Notification.objects.count() == before
    assert WarningLetter.objects.count() == 1
    levels = list(
        EscalationEvent.objects.filter(assignment=assignment, kind="escalated").values_list("level", flat=True)
    )
    assert levels == [1, 2, 3]


def test_a_course_policy_overrides_the_default_ladder(team, course, policy):
    _, lead, (learner, *_) = team
    strict = EscalationPolicy.objects.create(course_code=course.code, name="Strict", reminder_days=[3])
    EscalationStep.objects.create(policy=strict, days_overdue=1, notify_managers_manager=True, warning_letter=True)
    assignment = assign(learner, course, due=DUE)

    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=1)))

    assert WarningLetter.objects.filter(assignment=assignment).exists()
    assert Notification.objects.filter(dedupe_key=f"overdue:{assignment.pk}:{TAG}:1:managers_manager").exists()


def test_retake_deadline_after_failure_postpones_the_ladder(team, course, policy):
    _, _, (learner, *_) = team
    assign(learner, course, due=DUE, status=Assignment.Status.FAILED, retake_deadline=DUE + dt.timedelta(days=10))
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=5)))
    assert Notification.objects.count() == 0
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=11)))
    assert Notification.objects.filter(kind="overdue").count() == 1


def test_exempt_learner_is_never_escalated(team, course, policy):
    _, _, (learner, *_) = team
    assign(learner, course, due=DUE)
    ExemptionFactory(learner=learner, starts_on=DUE - dt.timedelta(days=3), ends_on=None, reason="parental_leave")
    run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=30)))
    assert Notification.objects.count() == 0 and WarningLetter.objects.count() == 0


def test_ladder_query_count_is_flat_as_assignments_grow(team, course, policy, django_assert_num_queries):
    """Same number of queries for 2 and 10 overdue people (sizes kept under SQLite's bulk-insert
    batch limit; the bench measures 1,000,000 on PostgreSQL)."""
    from django.db import connection

    from lms.tests.factories import UserFactory

    _, lead, _ = team
    for _ in range(2):
        assign(UserFactory(manager=lead), course, due=DUE)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=20)))
    Notification.objects.all().delete()
    for _ in range(8):
        assign(UserFactory(manager=lead), course, due=DUE)
    with django_assert_num_queries(len(small.captured_queries)):
        run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=20)))
