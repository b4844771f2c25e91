"""The nightly failure follow-up (escalation.workflows.failures) for assignments whose attempts ran
out: what it writes, in each reader's language, exactly once; and a number of queries that does not
grow with the number of assignments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.models import Assignment, Attempt, AttemptAnswer
from courses.tests.factories import AttemptFactory, make_course
from courses.translations.tests.factories import translate_all
from escalation.models import EscalationEvent, Notification
from escalation.tests.conftest import assign, at
from escalation.workflows.failures import run_failure_followup
from lms.models import AuditEntry
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)
FAILED_AT = at(DAY - dt.timedelta(days=1), 10)


def attempts_used_up(learner, course, *, due: dt.date, language: str = "") -> Assignment:
    """An assignment whose one allowed attempt failed with every question wrong."""
    assignment = assign(learner, course, due=due)
    attempt = AttemptFactory(
        assignment=assignment,
        number=1,
        status=Attempt.Status.SUBMITTED,
        submitted_at=FAILED_AT,
        score=40,
        passed=False,
        language=language,
    )
    for question in attempt.quiz.questions.all():
        AttemptAnswer.objects.create(attempt=attempt, question=question, is_correct=False)
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.FAILED, failed_at=FAILED_AT)
    return assignment


def test_the_catch_up_tells_learner_and_manager_what_was_missed_in_their_languages_once(policy):
    # given: a Spanish course text, a learner who failed in Spanish, a manager reading French
    # (which the course does not have complete: the course's own texts)
    course = make_course(questions=2, modules=1, title="Data protection", description="What it covers")
    translate_all(course, "es", prefix="ES ")
    module = course.modules.get()
    manager = UserFactory(locale="fr")
    learner = UserFactory(locale="es", manager=manager, first_name="Ana", last_name="Ruiz")
    due = DAY + dt.timedelta(days=4)
    assignment = attempts_used_up(learner, course, due=due, language="es")
    deadline = due + dt.timedelta(days=policy.retake_deadline_days)
    score = str(Attempt.objects.get(assignment=assignment).score)

    # when
    summary = run_failure_followup(as_of=at(DAY))

    # then: one message each, every key the emails read
    sent = {
        n.kind: n
        for n in Notification.objects.filter(
            assignment=assignment, kind__in=["attempts_exhausted", "manager_attempts_exhausted"]
        )
    }
    key = f"exhausted:{assignment.pk}:{FAILED_AT.astimezone(dt.UTC):%Y%m%d%H%M%S}"
    questions = sorted(course.final_quiz.questions.values_list("text", flat=True))

    def expected(prefix: str, language: str) -> dict:
        missed = sorted(
            (
                {
                    "question": f"{prefix}{q}",
                    "objective": f"{prefix}{module.title}",
                    "review": f"{prefix}{module.title}",
                }
                for q in questions
            ),
            key=lambda m: m["question"],
        )
        return {
            "learner": "Ana Ruiz",
            "first_name": "Ana",
            "course": f"{prefix}Data protection",
            "course_code": course.code,
            "attempts": 1,
            "score": score,
            "missed": missed,
            "missed_objectives": [f"{prefix}{module.title}"],
            "retake_deadline": deadline.isoformat(),
            "review_sessions": policy.book_review_session,
            "reason": "attempts used up",
            "content_language": language,
        }

    for kind, recipient, prefix, language in [
        ("attempts_exhausted", learner, "ES ", "es"),
        ("manager_attempts_exhausted", manager, "", course.language),
    ]:
        message = sent[kind]
        context = {**message.context, "missed": sorted(message.context["missed"], key=lambda m: m["question"])}
        assert (message.recipient_id, message.dedupe_key, message.status) == (
            recipient.pk,
            f"{key}:{'learner' if kind == 'attempts_exhausted' else 'manager'}",
            Notification.Status.PENDING,
        )
        assert context == expected(prefix, language)
    event = EscalationEvent.objects.get(assignment=assignment, kind="attempts_exhausted")
    assert (event.dedupe_key, event.occurred_at, event.detail) == (
        key,
        at(DAY),
        {"missed_objectives": [module.title]},
    )
    assert event.reason.startswith(f"All allowed attempts used without passing; missed: {module.title}. Retake")
    assignment.refresh_from_db()
    assert assignment.retake_deadline == deadline
    audit = AuditEntry.objects.get(object_type="assignments.assignment", object_id=str(assignment.pk))
    assert (audit.action, audit.actor_id, audit.at, audit.changes) == (
        "change",
        None,
        at(DAY),
        {"retake_deadline": [None, deadline.isoformat()]},
    )
    # the attempt's own notices come from the same run: two, and two for the attempts used up
    assert (summary["notifications"], summary["events"]) == (4, 2)

    # and a second run writes nothing
    counts = (Notification.objects.count(), EscalationEvent.objects.count(), AuditEntry.objects.count())
    again = run_failure_followup(as_of=at(DAY))
    assert (again["notifications"], again["events"]) == (0, 0)
    assert (Notification.objects.count(), EscalationEvent.objects.count(), AuditEntry.objects.count()) == counts


def test_the_catch_up_reads_and_writes_in_the_same_number_of_queries_for_two_or_five_assignments(team, policy):
    _, lead, _ = team
    course = make_course(questions=2, modules=1)
    translate_all(course, "es", prefix="ES ")

    def run_over(learners: int) -> int:
        for _ in range(learners):
            attempts_used_up(UserFactory(manager=lead, locale="es"), course, due=DAY, language="es")
        with CaptureQueriesContext(connection) as queries:
            summary = run_failure_followup(as_of=at(DAY))
        assert summary["notifications"] == 4 * learners  # attempt failed and attempts used up, to each
        return len(queries)

    # Each path: its candidates, attempts, answers, what it writes; the attempts' path reads the
    # policies and the course's translations (available languages, the Spanish overlay), which the
    # other reuses. On SQLite, each write also reads the keys already there first.
    assert run_over(2) == run_over(5) == (29 if connection.vendor == "postgresql" else 34)


def test_attempts_used_up_without_an_attempt_on_record_read_no_answers(team, policy):
    """An assignment failed with no submitted attempt here (marked failed by hand or imported) is
    still followed up, and no answers are read for it: the answers' read takes the attempts' ids
    as one array, and with none there is no query at all, as with Django's empty ``IN``."""
    _, lead, people = team
    course = make_course(questions=1, modules=1)
    assignment = assign(people[0], course, due=DAY, status=Assignment.Status.FAILED, failed_at=FAILED_AT)

    with CaptureQueriesContext(connection) as queries:
        summary = run_failure_followup(as_of=at(DAY))

    assert summary["notifications"] == 2  # the learner and the manager
    told = Notification.objects.get(recipient=people[0], kind=Notification.Kind.ATTEMPTS_EXHAUSTED)
    assert (told.assignment_id, told.context["attempts"], told.context["missed"]) == (assignment.pk, 0, [])
    assert not [q for q in queries.captured_queries if "assignments_attemptanswer" in q["sql"]]
