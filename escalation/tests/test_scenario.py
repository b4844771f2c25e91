"""One compliance-critical learner over simulated days, through the real services and the nightly
run: reminder, failed attempts with immediate notices, manager email with a retake deadline, a
review session booked and attended, the deadline missed, each ladder step on its day to the right
person, a warning letter, completion, and a year later the anniversary re-assignment. An exempt
colleague on the same course receives nothing from any nightly run."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail

from assignments.models import Assignment, Completion
from assignments.services.assign import DueMode, DueSpec, assignment_create
from assignments.services.attempts import attempt_start, attempt_submit
from courses.tests.factories import ExemptionFactory, answers_for, make_course
from escalation.models import EscalationEvent, EscalationPolicy, EscalationStep, Notification, ReviewSession
from escalation.nightly import run_nightly
from escalation.reviews import review_attendance_record
from lms.tests.factories import TEST_PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def moment(day: dt.date, hour: int = 2) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


DIGESTS: list[tuple[str, str]] = []


def night(day: dt.date) -> list[tuple[str, str]]:
    """Run the nightly jobs for ``day``; return (recipient, subject) of the mail it sent, apart
    from the team leader's daily digest (kept in DIGESTS)."""
    before = len(mail.outbox)
    with time_machine.travel(moment(day), tick=False):
        run_nightly(as_of=moment(day))
    sent = [(m.to[0], m.subject) for m in mail.outbox[before:]]
    DIGESTS.extend(item for item in sent if item[1].startswith("Team training digest"))
    return [item for item in sent if not item[1].startswith("Team training digest")]


def test_a_compliance_critical_learner_from_assignment_to_anniversary(django_capture_on_commit_callbacks):
    admin = AdminFactory()
    officer = UserFactory(email="officer@example.com", first_name="Olu")
    director = UserFactory(email="director@example.com", first_name="Dana")
    lead = UserFactory(email="lead@example.com", first_name="Taylor", manager=director)
    learner = UserFactory(email="sam@example.com", first_name="Sam", manager=lead)
    colleague = UserFactory(email="pat@example.com", first_name="Pat", manager=lead)
    course = make_course(
        questions=4,
        title="Anti-bribery",
        compliance_critical=True,
        max_attempts=2,
        cooldown_first_minutes=0,
        cooldown_later_minutes=0,
        recertification_months=12,
        recertification_window_days=30,
    )
    policy = EscalationPolicy.objects.create(
        course_code=course.code,
        name="Critical",
        reminder_days=[7, 1],
        retake_deadline_days=3,
        compliance_officer=officer,
    )
    EscalationStep.objects.create(policy=policy, days_overdue=1, notify_manager=True)
    EscalationStep.objects.create(policy=policy, days_overdue=3, notify_managers_manager=True)
    EscalationStep.objects.create(
        policy=policy, days_overdue=5, notify_compliance_officer=True, warning_letter=True, new_deadline_days=7
    )
    start = dt.date(2026, 3, 2)
    due = start + dt.timedelta(days=10)  # 12 March

    with (
        time_machine.travel(moment(dt.date(2026, 2, 20), 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assignment_create(
            course=course, learner=colleague, due=DueSpec(mode=DueMode.FIXED, date=due), assigned_by=admin
        )
    mail.outbox.clear()
    ExemptionFactory(
        learner=colleague, starts_on=dt.date(2026, 2, 25), ends_on=None, reason="parental_leave", approved_by=admin
    )

    # Day 0: assigned, and told at once.
    with time_machine.travel(moment(start, 10), tick=False), django_capture_on_commit_callbacks(execute=True):
        assignment = assignment_create(
            course=course, learner=learner, due=DueSpec(mode=DueMode.FIXED, date=due), assigned_by=admin
        )
    assert mail.outbox[-1].to == [learner.email] and "Anti-bribery" in mail.outbox[-1].subject
    mail.outbox.clear()

    assert night(start + dt.timedelta(days=1)) == []
    assert DIGESTS == [(lead.email, "Team training digest for 3 Mar 2026: 0 completed, 1 outstanding")]
    # Five days before: the 7-day reminder (caught up once), nothing to anyone else.
    sent = night(start + dt.timedelta(days=3))
    assert [to for to, _ in sent] == [learner.email] and "Reminder" in sent[0][1]
    assert night(start + dt.timedelta(days=4)) == []

    # Two failed attempts on 6 March: each failure told at once; then attempts run out.
    session = ReviewSession.objects.create(
        title="Anti-bribery review",
        starts_at=moment(dt.date(2026, 3, 9), 14),
        ends_at=moment(dt.date(2026, 3, 9), 15),
        link="https://meet.example.org/abc",
        capacity=5,
    )
    quiz = course.final_quiz
    wrong = set(quiz.questions.values_list("pk", flat=True)[:2])
    for number in (1, 2):
        with (
            time_machine.travel(moment(dt.date(2026, 3, 6), 9 + number), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            attempt = attempt_start(assignment=assignment, quiz=quiz)
            attempt_submit(
                attempt=attempt, answers=answers_for(attempt, wrong=wrong), attestation_password=TEST_PASSWORD
            )
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.FAILED
    assert assignment.retake_deadline == due + dt.timedelta(days=3)  # 15 March
    recipients = [m.to[0] for m in mail.outbox]
    assert recipients.count(lead.email) >= 3  # two failure notices and the attempts-used-up email
    manager_mail = [m for m in mail.outbox if m.to == [lead.email] and "Action needed" in m.subject][0]
    assert "15 Mar 2026" in manager_mail.body and "review session" in manager_mail.body
    invite = [m for m in mail.outbox if m.to == [learner.email] and m.attachments][0]
    assert invite.attachments[0][2] == "text/calendar"
    booking = session.bookings.get()
    mail.outbox.clear()

    # The review session is attended: one more attempt, but the learner does not take it in time.
    with time_machine.travel(moment(dt.date(2026, 3, 9), 16), tick=False):
        review_attendance_record(booking=booking, attended=True, actor=admin)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS and assignment.extra_attempts == 1

    days = {}
    for offset in range(7, 21):  # 9 March to 22 March
        day = start + dt.timedelta(days=offset)
        days[day] = night(day)
    escalations = {
        day: sorted(to for to, subject in sent if to != learner.email and "Overdue" in subject)
        for day, sent in days.items()
    }
    escalations = {day: people for day, people in escalations.items() if people}
    assert any("Weekly check-in" in subject for subject in (s for sent in days.values() for _, s in sent))
    # Not before the retake deadline (15 March) has passed; then each step on its day: day N is N
    # days after the deadline (day 1 = 16 March, day 3 = 18 March, day 5 = 20 March).
    assert min(escalations) == dt.date(2026, 3, 16)
    assert lead.email in escalations[dt.date(2026, 3, 16)]
    assert director.email in escalations[dt.date(2026, 3, 18)]
    assert officer.email in escalations[dt.date(2026, 3, 20)]
    letter = assignment.warning_letters.get()
    assert letter.deadline_missed == dt.date(2026, 3, 15) and letter.new_deadline == dt.date(2026, 3, 27)
    letter_mail = [m for m in mail.outbox if m.to == [learner.email] and "Formal warning" in m.subject][0]
    assert letter_mail.attachments[0][0] == f"{letter.reference}.pdf"

    # Completion on 23 March with the extra attempt; the ladder stops.
    with (
        time_machine.travel(moment(dt.date(2026, 3, 23), 11), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        attempt = attempt_start(assignment=assignment, quiz=quiz)
        result = attempt_submit(attempt=attempt, answers=answers_for(attempt), attestation_password=TEST_PASSWORD)
    completion = result.completion
    assert completion is not None and completion.attested_at is not None
    assert completion.expires_on == dt.date(2027, 3, 23)
    mail.outbox.clear()
    for offset in range(22, 40):
        sent = night(start + dt.timedelta(days=offset))
        assert all(to != lead.email or "digest" in subject.lower() for to, subject in sent)
    assert not any(m.to == [learner.email] for m in mail.outbox if "Overdue" in m.subject)

    # A year later, 30 days before expiry: re-assigned, the old assignment archived, the learner told.
    sent = night(dt.date(2027, 2, 21))
    assert (learner.email, "Time to renew: Anti-bribery") in sent
    assignment.refresh_from_db()
    assert assignment.archived_reason == Assignment.ArchiveReason.RECERTIFICATION
    renewal = Assignment.objects.get(learner=learner, archived_at__isnull=True)
    assert renewal.due_date == dt.date(2027, 3, 23) and renewal.source == Assignment.Source.RECERTIFICATION
    assert Completion.objects.filter(learner=learner).count() == 1
    again = night(dt.date(2027, 2, 21))  # the same night again changes nothing
    assert again == []
    assert Assignment.objects.filter(learner=learner).count() == 2

    # The case file tells the story in order.
    kinds = list(EscalationEvent.objects.filter(assignment=assignment).values_list("kind", flat=True))
    for expected in [
        "assigned",
        "reminded",
        "attempt_failed",
        "attempts_exhausted",
        "review_booked",
        "review_attended",
        "escalated",
        "warning_letter",
        "completed",
        "archived",
    ]:
        assert expected in kinds, expected
    assert kinds.index("attempts_exhausted") < kinds.index("review_attended") < kinds.index("warning_letter")

    # The exempt colleague received nothing from any nightly run.
    assert not Notification.objects.filter(recipient=colleague).exclude(kind="assigned").exists()
    assert not Notification.objects.filter(assignment__learner=colleague, kind__in=["escalation", "overdue"]).exists()
