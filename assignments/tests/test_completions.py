from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assignments import signals
from assignments.models import Assignment, Completion
from assignments.services.attempts import attempt_start, attempt_submit
from assignments.services.completions import assignment_grade, completion_create_from_attempt, completion_record
from courses.models import Course
from courses.tests.factories import AssignmentFactory, CompletionFactory, answers_for, make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 10, 14, 30, tzinfo=dt.UTC)


def pass_final(assignment: Assignment, *, now=NOW, wrong_first: int = 0):
    quiz = assignment.course.final_quiz
    attempt = attempt_start(assignment=assignment, quiz=quiz, now=now)
    wrong = {e["q"] for e in attempt.layout[:wrong_first]}
    return attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong=wrong), now=now)


def test_passing_the_final_creates_the_completion_evidence(django_capture_on_commit_callbacks):
    # given a course with a 12-month recertification period and CPD points
    course = make_course(questions=4, recertification_months=12, cpd_points=Decimal("1.50"), version=3)
    assignment = AssignmentFactory(course=course)
    events = []
    signals.course_completed.connect(receiver := lambda sender, **kw: events.append(kw), weak=False)
    try:
        # when the learner passes
        with django_capture_on_commit_callbacks(execute=True):
            result = pass_final(assignment)
    finally:
        signals.course_completed.disconnect(receiver)
    # then the completion records course version, score, time, numbers, expiry and CPD points
    completion = result.completion
    assert completion.course_version == 3 and completion.course_code == course.code
    assert completion.score == Decimal("100.00")
    assert completion.completed_at == NOW
    assert completion.certificate_number.startswith(f"{course.code.upper()}-")
    assert len(completion.verification_code) >= 20
    assert completion.expires_on == dt.date(2027, 5, 10)
    assert completion.cpd_points == Decimal("1.50")
    assert completion.attempt_id == result.attempt.pk
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.COMPLETED and assignment.completed_at == NOW
    assert [e["completion"].pk for e in events] == [completion.pk]


def test_expiry_counts_from_the_previous_completion_when_the_rule_says_so():
    course = make_course(recertification_months=12, expiry_rule=Course.ExpiryRule.FROM_PREVIOUS_EXPIRY)
    learner = UserFactory()
    CompletionFactory(
        learner=learner, course=course, completed_at=NOW - dt.timedelta(days=300), expires_on=dt.date(2026, 7, 1)
    )
    assignment = AssignmentFactory(course=course, learner=learner)
    completion = pass_final(assignment).completion
    assert completion.expires_on == dt.date(2027, 7, 1)


@pytest.mark.parametrize(
    ("method", "expected"),
    [(Course.GradingMethod.HIGHEST, Decimal("50.00")), (Course.GradingMethod.LAST, Decimal("25.00"))],
)
def test_grading_method_takes_the_highest_or_the_last_attempt(method, expected):
    # given two failed attempts scoring 50% then 25%
    course = make_course(questions=4, pass_mark=100, grading_method=method, max_attempts=None)
    assignment = AssignmentFactory(course=course)
    pass_final(assignment, wrong_first=2)
    pass_final(assignment, wrong_first=3)
    # then the grade follows the course's grading method
    assert assignment_grade(assignment=assignment, quiz=course.final_quiz) == expected


def test_completion_score_is_the_grade_of_the_passing_attempt():
    course = make_course(questions=4, pass_mark=75, grading_method=Course.GradingMethod.LAST, max_attempts=None)
    assignment = AssignmentFactory(course=course)
    pass_final(assignment, wrong_first=2)
    assert pass_final(assignment, wrong_first=1).completion.score == Decimal("75.00")
    assert assignment_grade(assignment=assignment, quiz=course.final_quiz) == Decimal("75.00")


def test_completion_is_immutable():
    completion = pass_final(AssignmentFactory(course=make_course())).completion
    completion.score = Decimal("10")
    with pytest.raises(ValidationError):
        completion.save()
    with pytest.raises(ValidationError):
        Completion.objects.filter(pk=completion.pk).update(score=10)
    with pytest.raises(ValidationError):
        completion.delete()
    with pytest.raises(ValidationError):
        Completion.objects.filter(pk=completion.pk).delete()
    completion.refresh_from_db()
    assert completion.score == Decimal("100.00")


def test_creating_from_the_same_attempt_twice_returns_the_first_completion():
    result = pass_final(AssignmentFactory(course=make_course()))
    again = completion_create_from_attempt(attempt=result.attempt)
    assert again.pk == result.completion.pk
    assert Completion.objects.count() == 1


def test_a_failed_attempt_earns_no_completion():
    assignment = AssignmentFactory(course=make_course(questions=2))
    result = pass_final(assignment, wrong_first=2)
    with pytest.raises(ValidationError, match="passed"):
        completion_create_from_attempt(attempt=result.attempt)
    assert not Completion.objects.exists()


def test_retraining_keeps_every_completion_with_its_own_certificate():
    course = make_course(recertification_months=12)
    learner = UserFactory()
    old_assignment = AssignmentFactory(course=course, learner=learner)
    first = pass_final(old_assignment, now=NOW).completion
    Assignment.objects.filter(pk=old_assignment.pk).update(archived_at=NOW, archived_reason="retraining")
    new_assignment = AssignmentFactory(course=course, learner=learner)
    later = NOW + dt.timedelta(days=200)
    second = pass_final(new_assignment, now=later).completion
    assert first.certificate_number != second.certificate_number
    assert second.completed_at == later
    assert list(Completion.objects.filter(learner=learner).order_by("completed_at")) == [first, second]


def test_completion_record_for_imported_history():
    course = make_course(recertification_months=24)
    learner = UserFactory()
    completion = completion_record(
        learner=learner,
        course=course,
        completed_at=NOW,
        score=92,
        certificate_number="LEGACY-0001",
        source=Completion.Source.IMPORTED,
    )
    assert completion.certificate_number == "LEGACY-0001"
    assert completion.source == Completion.Source.IMPORTED
    assert completion.expires_on == dt.date(2028, 5, 10)
    assert completion.assignment is None


def test_completion_record_refuses_bad_input_and_records_nothing():
    course = make_course()
    learner = UserFactory()
    CompletionFactory(certificate_number="TAKEN-1")
    with pytest.raises(ValidationError, match="already recorded"):
        completion_record(learner=learner, course=course, completed_at=NOW, score=90, certificate_number="TAKEN-1")
    with pytest.raises(ValidationError, match="between 0 and 100"):
        completion_record(learner=learner, course=course, completed_at=NOW, score=101)
    with pytest.raises(ValidationError, match="time zone"):
        completion_record(learner=learner, course=course, completed_at=dt.datetime(2026, 1, 1), score=90)
    other = AssignmentFactory(course=course)
    with pytest.raises(ValidationError, match="another learner"):
        completion_record(learner=learner, course=course, completed_at=NOW, score=90, assignment=other)
    assert Completion.objects.filter(learner=learner).count() == 0
