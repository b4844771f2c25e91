from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.models import Assignment, Attempt, AttemptAnswer
from assignments.signals import attempt_failed, attempts_exhausted
from courses.tests.factories import AttemptFactory, CompletionFactory, ExemptionFactory, make_course
from escalation.dispatch import run_dispatch
from escalation.models import EscalationEvent, Notification, ReviewBooking, ReviewSession
from escalation.reviews import review_attendance_record
from escalation.tests.conftest import assign, at
from escalation.workflows.digests import run_checkins_and_digests
from escalation.workflows.failures import run_failure_followup
from escalation.workflows.recertification import run_recertification
from lms.models import AuditEntry
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)  # a Monday


def failed_attempt(assignment, number: int, score: int = 40) -> Attempt:
    attempt = AttemptFactory(
        assignment=assignment,
        number=number,
        status=Attempt.Status.SUBMITTED,
        submitted_at=at(DAY, 10),
        score=score,
        passed=False,
    )
    for question in attempt.quiz.questions.all():
        AttemptAnswer.objects.create(attempt=attempt, question=question, is_correct=False)
    return attempt


def test_a_failed_attempt_tells_learner_and_manager_at_once_with_what_was_missed(team, course, policy):
    _, lead, (learner, *_) = team
    assignment = assign(learner, course, due=DAY + dt.timedelta(days=20))
    attempt = failed_attempt(assignment, 1)

    with time_machine.travel(at(DAY, 10), tick=False):
        attempt_failed.send(sender=Attempt, attempt=attempt, assignment=assignment)
        run_dispatch()

    subjects = {m.to[0]: m for m in mail.outbox}
    assert set(subjects) == {learner.email, lead.email}
    learner_mail = subjects[learner.email]
    question = course.final_quiz.questions.first()
    assert question.text in learner_mail.body and question.remediation_module.title in learner_mail.body
    assert learner.get_full_name() in subjects[lead.email].subject
    event = EscalationEvent.objects.get(assignment=assignment, kind="attempt_failed")
    assert question.objective.title in event.reason

    # The nightly catch-up finds nothing new to say.
    call_command("run_nightly", as_of=DAY.isoformat(), only=["failure_followup"])
    assert Notification.objects.count() == 2


def test_attempts_running_out_sets_a_retake_deadline_books_a_review_and_attendance_reopens(team, course, policy):
    _, lead, (learner, *_) = team
    session = ReviewSession.objects.create(
        title="GDPR review",
        starts_at=at(DAY + dt.timedelta(days=3), 14),
        ends_at=at(DAY + dt.timedelta(days=3), 15),
        capacity=1,
        link="https://meet.example.org/review",
    )
    ReviewBooking.objects.create(
        session=ReviewSession.objects.create(
            title="Full",
            starts_at=at(DAY + dt.timedelta(days=1), 9),
            ends_at=at(DAY + dt.timedelta(days=1), 10),
            capacity=1,
        ),
        assignment=assign(team[2][1], course, due=DAY),
    )
    due = DAY + dt.timedelta(days=5)
    assignment = assign(learner, course, due=due)
    for number in (1, 2, 3):
        failed_attempt(assignment, number)
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.FAILED, failed_at=at(DAY, 10))
    assignment.refresh_from_db()

    with time_machine.travel(at(DAY, 10), tick=False):
        attempts_exhausted.send(sender=Assignment, assignment=assignment, attempt=None)
        run_dispatch()

    assignment.refresh_from_db()
    assert assignment.retake_deadline == due + dt.timedelta(days=policy.retake_deadline_days)
    booking = ReviewBooking.objects.get(assignment=assignment)
    assert booking.session == session  # the earlier session is full
    manager_mail = next(m for m in mail.outbox if m.to == [lead.email])
    assert "used all 3 attempts" in manager_mail.body
    assert f"{assignment.retake_deadline.day} {assignment.retake_deadline:%b %Y}" in manager_mail.body
    invite = next(m for m in mail.outbox if m.to == [learner.email] and m.attachments)
    filename, content, mimetype = invite.attachments[0]
    content = content if isinstance(content, str) else content.decode()
    assert mimetype == "text/calendar" and "BEGIN:VEVENT" in content and "GDPR review" in content

    review_attendance_record(booking=booking, attended=True, actor=lead)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS and assignment.extra_attempts == 1
    assert EscalationEvent.objects.filter(assignment=assignment, kind="review_attended").count() == 1


def test_the_nightly_catch_up_gives_each_exhausted_assignment_its_own_retake_deadline(team, course, policy):
    """Several assignments whose attempts ran out, with different due dates, in one batch: each
    gets max(today, due date) + the policy's days, and the audit trail says the same."""
    _, _, people = team
    dues = [DAY - dt.timedelta(days=10), DAY + dt.timedelta(days=4), DAY + dt.timedelta(days=9)]
    assignments = [assign(person, course, due=due) for person, due in zip(people, dues, strict=True)]
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        status=Assignment.Status.FAILED, failed_at=at(DAY - dt.timedelta(days=1), 10)
    )

    run_failure_followup(as_of=at(DAY))

    days = dt.timedelta(days=policy.retake_deadline_days)
    expected = {a.pk: max(DAY, due) + days for a, due in zip(assignments, dues, strict=True)}
    assert dict(Assignment.objects.filter(pk__in=expected).values_list("pk", "retake_deadline")) == expected
    audited = AuditEntry.objects.filter(object_id__in=[str(pk) for pk in expected], changes__has_key="retake_deadline")
    assert {int(e.object_id): e.changes["retake_deadline"][1] for e in audited} == {
        pk: deadline.isoformat() for pk, deadline in expected.items()
    }
    assert run_failure_followup(as_of=at(DAY))["notifications"] == 0


def test_anniversary_reassigns_before_expiry_exactly_once(team, policy):
    _, _, (learner, *_) = team
    course = make_course(questions=1, recertification_months=12, recertification_window_days=30)
    old = assign(
        learner, course, due=dt.date(2025, 3, 1), assigned_on=dt.date(2025, 2, 1), status=Assignment.Status.COMPLETED
    )
    completion = CompletionFactory(
        learner=learner,
        course=course,
        assignment=old,
        completed_at=at(dt.date(2025, 2, 20)),
        expires_on=dt.date(2026, 2, 20),
    )

    assert run_recertification(as_of=at(dt.date(2026, 1, 20)))["notifications"] == 0
    summary = run_recertification(as_of=at(dt.date(2026, 1, 21)))

    assert summary["reassigned"] == 1
    old.refresh_from_db()
    assert old.archived_reason == "recertification"
    new = Assignment.objects.get(learner=learner, archived_at__isnull=True)
    assert new.source == "recertification" and new.due_date == dt.date(2026, 2, 20)
    assert Notification.objects.get(kind="recertification").recipient == learner
    completion.refresh_from_db()  # the old evidence is untouched
    assert completion.assignment == old

    again = run_recertification(as_of=at(dt.date(2026, 1, 22)))
    assert again.get("reassigned", 0) == 0
    assert Assignment.objects.filter(learner=learner).count() == 2


def test_imported_and_earned_completions_fall_due_by_their_own_course_window_in_one_read(team, policy):
    """Two courses with different renewal windows, one completion earned here and one imported
    (no assignment), one renewed since (not re-assigned) and one in another time zone."""
    _, lead, (ann, ben, cat) = team
    dan = UserFactory(manager=lead, email="dan@example.com", timezone="America/New_York")
    short = make_course(questions=1, recertification_months=12, recertification_window_days=10)
    long = make_course(questions=1, recertification_months=12, recertification_window_days=40)
    earned = assign(ann, short, due=dt.date(2025, 3, 1), assigned_on=dt.date(2025, 2, 1), status="completed")
    CompletionFactory(
        learner=ann,
        course=short,
        assignment=earned,
        completed_at=at(dt.date(2025, 2, 20)),
        expires_on=dt.date(2026, 3, 1),
    )
    CompletionFactory(learner=ben, course=long, completed_at=at(dt.date(2025, 2, 20)), expires_on=dt.date(2026, 3, 1))
    CompletionFactory(learner=cat, course=long, completed_at=at(dt.date(2025, 2, 20)), expires_on=dt.date(2026, 3, 1))
    CompletionFactory(learner=cat, course=long, completed_at=at(dt.date(2026, 1, 5)), expires_on=dt.date(2027, 1, 5))
    CompletionFactory(learner=dan, course=long, completed_at=at(dt.date(2025, 2, 20)), expires_on=dt.date(2026, 3, 1))

    # 21 Jan: inside the 40-day window of the long course only (ben and dan; cat renewed).
    first = run_recertification(as_of=at(dt.date(2026, 1, 21)))
    assert first["reassigned"] == 2
    assert set(Assignment.objects.filter(course_code=long.code).values_list("learner", flat=True)) == {ben.pk, dan.pk}
    assert Assignment.objects.get(learner=ben, course_code=long.code).due_date == dt.date(2026, 3, 1)
    # 19 Feb: inside the 10-day window of the short course too; nothing twice.
    second = run_recertification(as_of=at(dt.date(2026, 2, 19)))
    assert second["reassigned"] == 1
    earned.refresh_from_db()
    assert earned.archived_reason == "recertification"
    assert Notification.objects.filter(kind="recertification").count() == 3
    assert run_recertification(as_of=at(dt.date(2026, 2, 20))).get("reassigned", 0) == 0


def test_each_learner_falls_due_on_their_own_local_day_in_one_read_for_every_day(team, policy):
    """At 02:00 in London it is still the day before in New York: the window there ends a day
    earlier, and the new assignment starts on the learner's own day. Both days are read at once."""
    _, lead, (ann, *_) = team
    dan = UserFactory(manager=lead, email="dan@example.com", timezone="America/New_York")
    eve = UserFactory(manager=lead, email="eve@example.com", timezone="America/New_York")
    course = make_course(questions=1, recertification_months=12, recertification_window_days=30)
    for learner, expires_on in ((ann, dt.date(2026, 2, 20)), (dan, dt.date(2026, 2, 20)), (eve, dt.date(2026, 2, 19))):
        old = assign(learner, course, due=dt.date(2025, 3, 1), assigned_on=dt.date(2025, 2, 1), status="completed")
        CompletionFactory(
            learner=learner, course=course, assignment=old, completed_at=at(dt.date(2025, 2, 20)), expires_on=expires_on
        )

    with CaptureQueriesContext(connection) as queries:
        first = run_recertification(as_of=at(dt.date(2026, 1, 21)))

    assert first["reassigned"] == 2
    new = {a.learner_id: a for a in Assignment.objects.filter(archived_at__isnull=True, source="recertification")}
    assert set(new) == {ann.pk, eve.pk}  # dan's window (his 20 Jan + 30 days) ends on the 19th
    assert (new[ann.pk].assigned_on, new[eve.pk].assigned_on) == (dt.date(2026, 1, 21), dt.date(2026, 1, 20))
    completion_reads = [q for q in queries.captured_queries if 'FROM "assignments_completion"' in q["sql"]]
    assert len(completion_reads) == 2  # anniversaries and imported completions, for both days at once
    assert run_recertification(as_of=at(dt.date(2026, 1, 22)))["reassigned"] == 1  # dan's turn


def test_daily_digest_is_one_message_per_team_leader_with_excused_apart(team, course, policy):
    director, lead, people = team
    assign(people[0], course, due=DAY + dt.timedelta(days=3), status=Assignment.Status.COMPLETED)
    assign(people[1], course, due=DAY - dt.timedelta(days=2))
    assign(people[2], course, due=DAY + dt.timedelta(days=3))
    ExemptionFactory(learner=people[2], starts_on=DAY - dt.timedelta(days=1), reason="sick_leave")

    summary = run_checkins_and_digests(as_of=at(DAY))

    digest = Notification.objects.get(kind="digest", recipient=lead)
    assert (digest.context["completed"], digest.context["not_completed"], digest.context["excused"]) == (1, 1, 1)
    assert digest.context["outstanding"][0]["overdue"] is True
    checkin = Notification.objects.get(kind="checkin", recipient=lead)  # Monday
    assert checkin.context["count"] == 1
    assert summary["managers"] == 1  # the director has no assignments below directly
    assert run_checkins_and_digests(as_of=at(DAY, 5))["notifications"] == 0


def test_digests_run_again_the_same_day_read_no_lists(team, course, policy):
    _, lead, people = team
    tuesday = DAY + dt.timedelta(days=1)
    assign(people[0], course, due=tuesday - dt.timedelta(days=2))
    assign(people[1], course, due=tuesday + dt.timedelta(days=3))
    ExemptionFactory(learner=people[1], starts_on=DAY, reason="sick_leave")
    first = run_checkins_and_digests(as_of=at(tuesday))
    assert first["notifications"] == 1 and first["managers"] == 1

    with CaptureQueriesContext(connection) as queries:
        again = run_checkins_and_digests(as_of=at(tuesday, 5))

    assert again["notifications"] == 0 and again["managers"] == 1
    # Only the counts read assignments: the excused and the outstanding lists are not read again.
    assert len([q for q in queries if "assignments_assignment" in q["sql"]]) == 1
    assert Notification.objects.filter(kind="digest", recipient=lead).count() == 1


def test_run_nightly_twice_for_the_same_day_inserts_and_sends_nothing_the_second_time(team, course, policy, capsys):
    _, _, people = team
    assign(people[0], course, due=DAY + dt.timedelta(days=1))
    assign(people[1], course, due=DAY - dt.timedelta(days=10))

    call_command("run_nightly", as_of=DAY.isoformat())
    first_rows, first_mail = Notification.objects.count(), len(mail.outbox)
    events = EscalationEvent.objects.count()
    assert first_rows > 0 and first_mail > 0

    call_command("run_nightly", as_of=DAY.isoformat())
    assert Notification.objects.count() == first_rows
    assert len(mail.outbox) == first_mail
    assert EscalationEvent.objects.count() == events
    assert "dispatch: emails_sent=0, notifications_sent=0" in capsys.readouterr().out


def test_dry_run_changes_and_sends_nothing(team, course, policy, capsys):
    _, _, people = team
    assign(people[1], course, due=DAY - dt.timedelta(days=10))
    call_command("run_nightly", as_of=DAY.isoformat(), dry_run=True)
    assert Notification.objects.count() == 0 and mail.outbox == []
    assert "[dry run] overdue_ladder: notifications=" in capsys.readouterr().out


def test_bad_as_of_date_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_nightly", as_of="22/11/2026")
