from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from assignments import signals
from assignments.models import Assignment, Attempt, AttemptAnswer, Completion, ModuleProgress
from assignments.services.attempts import attempt_allowance, attempt_start, attempt_submit
from courses.models import Question, Quiz
from courses.tests.factories import (
    AssignmentFactory,
    QuizFactory,
    answers_for,
    make_course,
    make_question,
)
from lms.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def captured():
    """Domain events sent after commit, as (signal name, kwargs)."""
    events: list[tuple[str, dict]] = []
    receivers = {}
    for name in ("attempt_failed", "attempts_exhausted", "course_completed"):

        def receiver(sender, _name=name, **kwargs):
            events.append((_name, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver, weak=False)
    yield events
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def first_question_ids(attempt: Attempt, count: int) -> set[int]:
    return {entry["q"] for entry in attempt.layout[:count]}


def fail(attempt: Attempt, **kwargs):
    return attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong=first_question_ids(attempt, 2)), **kwargs)


# --- attempt policy -------------------------------------------------------------------------


def test_max_attempts_refuses_the_attempt_after_the_last_and_marks_the_assignment_failed(
    django_capture_on_commit_callbacks, captured
):
    # given a course allowing two attempts, no cooldown
    assignment = AssignmentFactory(course=make_course(max_attempts=2))
    quiz = assignment.course.final_quiz
    # when the learner fails twice
    with django_capture_on_commit_callbacks(execute=True):
        first = fail(attempt_start(assignment=assignment, quiz=quiz, now=START), now=START)
        second = fail(attempt_start(assignment=assignment, quiz=quiz, now=START), now=START)
    # then the assignment is failed, a third start is refused, and the events were sent
    assert first.exhausted is False and second.exhausted is True
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.FAILED
    assert assignment.failed_at == START
    with pytest.raises(ValidationError, match="used all your attempts"):
        attempt_start(assignment=assignment, quiz=quiz, now=START)
    assert Attempt.objects.filter(assignment=assignment).count() == 2
    assert [name for name, _ in captured] == ["attempt_failed", "attempt_failed", "attempts_exhausted"]
    assert captured[-1][1]["attempt"].pk == second.attempt.pk


def test_extra_attempts_add_to_the_allowance_and_reopen_a_failed_assignment():
    assignment = AssignmentFactory(course=make_course(max_attempts=1))
    quiz = assignment.course.final_quiz
    fail(attempt_start(assignment=assignment, quiz=quiz, now=START), now=START)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.FAILED
    # when a review session grants one more attempt
    Assignment.objects.filter(pk=assignment.pk).update(extra_attempts=1)
    assignment.refresh_from_db()
    allowance = attempt_allowance(assignment, quiz, now=START)
    assert (allowance.used, allowance.allowed, allowance.left) == (1, 2, 1)
    attempt = attempt_start(assignment=assignment, quiz=quiz, now=START)
    # then the learner can try again and the assignment is back in progress
    assert attempt.number == 2
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS
    assert assignment.failed_at is None


def test_unlimited_attempts_never_exhaust():
    assignment = AssignmentFactory(course=make_course(max_attempts=None))
    quiz = assignment.course.final_quiz
    for _ in range(6):
        result = fail(attempt_start(assignment=assignment, quiz=quiz, now=START), now=START)
        assert result.exhausted is False
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS
    allowance = attempt_allowance(assignment, quiz, now=START)
    assert allowance.unlimited and allowance.left is None and allowance.can_start
    assert Attempt.objects.filter(assignment=assignment).count() == 6


def test_cooldown_first_then_later_attempts():
    # given 10 minutes after the first attempt and 60 after later ones
    assignment = AssignmentFactory(
        course=make_course(max_attempts=None, cooldown_first_minutes=10, cooldown_later_minutes=60)
    )
    quiz = assignment.course.final_quiz
    with time_machine.travel(START, tick=False):
        fail(attempt_start(assignment=assignment, quiz=quiz))
    # then a retake 9 minutes later is refused, 10 minutes later allowed
    with time_machine.travel(START + dt.timedelta(minutes=9), tick=False):
        allowance = attempt_allowance(assignment, quiz)
        assert allowance.next_allowed_at == START + dt.timedelta(minutes=10)
        with pytest.raises(ValidationError, match="retake the assessment from"):
            attempt_start(assignment=assignment, quiz=quiz)
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        second = attempt_start(assignment=assignment, quiz=quiz)
        fail(second)
    # and after the second attempt the later cooldown applies
    with time_machine.travel(START + dt.timedelta(minutes=69), tick=False):
        with pytest.raises(ValidationError):
            attempt_start(assignment=assignment, quiz=quiz)
    with time_machine.travel(START + dt.timedelta(minutes=70), tick=False):
        assert attempt_start(assignment=assignment, quiz=quiz).number == 3


def test_starting_twice_resumes_the_attempt_in_progress():
    assignment = AssignmentFactory(course=make_course(max_attempts=1))
    quiz = assignment.course.final_quiz
    first = attempt_start(assignment=assignment, quiz=quiz)
    again = attempt_start(assignment=assignment, quiz=quiz)
    assert again.pk == first.pk
    assert Attempt.objects.filter(assignment=assignment).count() == 1


def test_completed_course_refuses_a_new_attempt():
    assignment = AssignmentFactory(course=make_course())
    quiz = assignment.course.final_quiz
    attempt = attempt_start(assignment=assignment, quiz=quiz)
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    with pytest.raises(ValidationError, match="completed this course"):
        attempt_start(assignment=assignment, quiz=quiz)
    assert Attempt.objects.filter(assignment=assignment).count() == 1


def test_quiz_of_another_course_is_refused():
    assignment = AssignmentFactory(course=make_course())
    other_quiz = make_course().final_quiz
    with pytest.raises(ValidationError, match="another course"):
        attempt_start(assignment=assignment, quiz=other_quiz)
    assert not Attempt.objects.exists()


# --- scoring --------------------------------------------------------------------------------


@pytest.fixture
def mixed_quiz_assignment():
    """A final quiz with one question of each kind; pass mark 100."""
    course = make_course(questions=0, pass_mark=100, max_attempts=None)
    quiz = course.final_quiz
    single = make_question(quiz, kind=Question.Kind.SINGLE, correct=1, wrong=2)
    multiple = make_question(quiz, kind=Question.Kind.MULTIPLE, correct=2, wrong=2)
    true_false = make_question(quiz, kind=Question.Kind.TRUE_FALSE)
    return AssignmentFactory(course=course), {"single": single, "multiple": multiple, "tf": true_false}


def choice_ids(question, *, correct: bool) -> list[int]:
    return list(question.choices.filter(is_correct=correct).order_by("pk").values_list("pk", flat=True))


def test_every_question_kind_scores_right_when_exactly_right(mixed_quiz_assignment):
    assignment, q = mixed_quiz_assignment
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    answers = {
        q["single"].pk: choice_ids(q["single"], correct=True),
        q["multiple"].pk: choice_ids(q["multiple"], correct=True),
        q["tf"].pk: choice_ids(q["tf"], correct=True),
    }
    result = attempt_submit(attempt=attempt, answers=answers)
    assert result.attempt.score == Decimal("100.00")
    assert result.attempt.passed is True
    assert set(AttemptAnswer.objects.filter(attempt=attempt).values_list("is_correct", flat=True)) == {True}


@pytest.mark.parametrize(
    "case",
    ["multiple_subset", "multiple_superset", "multiple_right_plus_wrong", "single_wrong", "tf_wrong", "unanswered"],
)
def test_partially_or_wrongly_answered_questions_score_zero(mixed_quiz_assignment, case):
    assignment, q = mixed_quiz_assignment
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    right_multiple = choice_ids(q["multiple"], correct=True)
    wrong_multiple = choice_ids(q["multiple"], correct=False)
    answers = {
        q["single"].pk: choice_ids(q["single"], correct=True),
        q["multiple"].pk: right_multiple,
        q["tf"].pk: choice_ids(q["tf"], correct=True),
    }
    target = {
        "multiple_subset": (q["multiple"].pk, right_multiple[:1]),
        "multiple_superset": (q["multiple"].pk, right_multiple + wrong_multiple),
        "multiple_right_plus_wrong": (q["multiple"].pk, right_multiple[:1] + wrong_multiple[:1]),
        "single_wrong": (q["single"].pk, choice_ids(q["single"], correct=False)[:1]),
        "tf_wrong": (q["tf"].pk, choice_ids(q["tf"], correct=False)),
        "unanswered": (q["single"].pk, None),
    }[case]
    if target[1] is None:
        del answers[target[0]]
    else:
        answers[target[0]] = target[1]
    result = attempt_submit(attempt=attempt, answers=answers)
    assert result.attempt.score == Decimal("66.66")  # 2 of 3, cut, never rounded up (lms.scores)
    assert result.attempt.passed is False
    wrong = AttemptAnswer.objects.get(attempt=attempt, is_correct=False)
    assert wrong.question_id == target[0]
    assert sorted(wrong.selected.values_list("pk", flat=True)) == sorted(target[1] or [])


def test_score_is_compared_with_the_pass_mark_inclusively():
    assignment = AssignmentFactory(course=make_course(questions=5, pass_mark=80))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    result = attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong=first_question_ids(attempt, 1)))
    assert result.attempt.score == Decimal("80.00")
    assert result.attempt.passed is True


def test_quiz_pass_mark_overrides_the_course_pass_mark():
    course = make_course(questions=4, pass_mark=50)
    Quiz.objects.filter(pk=course.final_quiz.pk).update(pass_mark=100)
    assignment = AssignmentFactory(course=course)
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz)
    result = attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong=first_question_ids(attempt, 1)))
    assert result.attempt.passed is False


# --- bad input and integrity ----------------------------------------------------------------


def test_choices_from_another_question_are_refused_and_nothing_is_recorded():
    assignment = AssignmentFactory(course=make_course(questions=2))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    (first_q, first_c), (second_q, second_c) = [(e["q"], e["c"]) for e in attempt.layout]
    answers = {first_q: [second_c[0]], second_q: [second_c[0]]}
    with pytest.raises(ValidationError, match="does not belong to its question"):
        attempt_submit(attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert not AttemptAnswer.objects.exists()


def test_two_answers_to_a_single_choice_question_are_refused():
    assignment = AssignmentFactory(course=make_course(questions=1))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    entry = attempt.layout[0]
    with pytest.raises(ValidationError, match="only one answer"):
        attempt_submit(attempt=attempt, answers={entry["q"]: entry["c"][:2]})
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS


def test_a_question_not_in_the_attempt_is_refused():
    assignment = AssignmentFactory(course=make_course(questions=1))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    stranger = make_question(make_course().final_quiz)
    with pytest.raises(ValidationError, match="not part of this attempt"):
        attempt_submit(attempt=attempt, answers={stranger.pk: [stranger.choices.first().pk]})
    assert not AttemptAnswer.objects.exists()


def test_double_submission_records_one_result(django_capture_on_commit_callbacks, captured):
    assignment = AssignmentFactory(course=make_course(questions=2, max_attempts=3))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    wrong_answers = answers_for(attempt, wrong=first_question_ids(attempt, 2))
    with django_capture_on_commit_callbacks(execute=True):
        first = attempt_submit(attempt=attempt, answers=wrong_answers, now=START)
        # the replayed POST, even with different (right) answers, changes nothing
        second = attempt_submit(attempt=attempt, answers=answers_for(attempt), now=START + dt.timedelta(seconds=3))
    assert first.already_submitted is False
    assert second.already_submitted is True
    attempt.refresh_from_db()
    assert attempt.score == Decimal("0.00") and attempt.passed is False and attempt.submitted_at == START
    assert AttemptAnswer.objects.filter(attempt=attempt).count() == 2
    assert not Completion.objects.exists()
    assert [name for name, _ in captured] == ["attempt_failed"]


# --- attestation ----------------------------------------------------------------------------


def test_compliance_critical_final_needs_the_right_password():
    assignment = AssignmentFactory(course=make_course(compliance_critical=True))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    for password in (None, "", "not-my-password"):
        with pytest.raises(ValidationError) as error:
            attempt_submit(attempt=attempt, answers=answers_for(attempt), attestation_password=password)
        assert "password" in error.value.message_dict
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and attempt.attested_at is None
    assert not AttemptAnswer.objects.exists() and not Completion.objects.exists()
    # with the right password the attestation is recorded on the attempt and the completion
    result = attempt_submit(
        attempt=attempt, answers=answers_for(attempt), attestation_password=TEST_PASSWORD, now=START
    )
    assert result.attempt.attested_at == START
    assert result.completion.attested_at == START


def test_a_course_that_is_not_compliance_critical_needs_no_attestation():
    assignment = AssignmentFactory(course=make_course(compliance_critical=False))
    attempt = attempt_start(assignment=assignment, quiz=assignment.course.final_quiz)
    result = attempt_submit(attempt=attempt, answers=answers_for(attempt))
    assert result.attempt.attested_at is None and result.completion is not None


# --- layout: shuffling and missed-only retakes ----------------------------------------------


def test_shuffled_quiz_stores_a_layout_per_attempt_with_every_question_and_choice():
    course = make_course(questions=8, max_attempts=None)
    Quiz.objects.filter(pk=course.final_quiz.pk).update(shuffle_questions=True, shuffle_choices=True)
    assignment = AssignmentFactory(course=course)
    quiz = Quiz.objects.get(pk=course.final_quiz.pk)
    layouts = []
    for _ in range(4):
        attempt = attempt_start(assignment=assignment, quiz=quiz)
        layouts.append(attempt.layout)
        fail(attempt)
    in_order = list(quiz.questions.order_by("order", "pk").values_list("pk", flat=True))
    for layout in layouts:
        assert sorted(e["q"] for e in layout) == sorted(in_order)
        for entry in layout:
            assert sorted(entry["c"]) == sorted(
                Question.objects.get(pk=entry["q"]).choices.values_list("pk", flat=True)
            )
    # 4 random orders of 8 questions all equal to the authored order: 1 in (8!)^4
    assert any([e["q"] for e in layout] != in_order for layout in layouts)


def test_unshuffled_quiz_keeps_the_authored_order():
    course = make_course(questions=5)
    assignment = AssignmentFactory(course=course)
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz)
    assert [e["q"] for e in attempt.layout] == list(
        course.final_quiz.questions.order_by("order", "pk").values_list("pk", flat=True)
    )


def test_missed_only_retake_asks_the_missed_questions_and_counts_the_rest():
    course = make_course(questions=4, max_attempts=None, pass_mark=100)
    Quiz.objects.filter(pk=course.final_quiz.pk).update(retake_missed_only=True)
    quiz = Quiz.objects.get(pk=course.final_quiz.pk)
    assignment = AssignmentFactory(course=course)
    first = attempt_start(assignment=assignment, quiz=quiz)
    missed = first_question_ids(first, 2)
    attempt_submit(attempt=first, answers=answers_for(first, wrong=missed))
    # when the learner retakes
    second = attempt_start(assignment=assignment, quiz=quiz)
    # then only the missed questions are asked; one wrong again is a 75% over the whole quiz
    assert {e["q"] for e in second.layout} == missed
    again_missed = {sorted(missed)[0]}
    result = attempt_submit(attempt=second, answers=answers_for(second, wrong=again_missed))
    assert result.attempt.score == Decimal("75.00") and not result.attempt.passed
    third = attempt_start(assignment=assignment, quiz=quiz)
    assert {e["q"] for e in third.layout} == again_missed
    result = attempt_submit(attempt=third, answers=answers_for(third))
    assert result.attempt.score == Decimal("100.00") and result.completion is not None


# --- pre-test -------------------------------------------------------------------------------


def test_passing_the_pretest_tests_out_of_the_modules_it_covers():
    course = make_course(questions=2, modules=3)
    modules = list(course.modules.order_by("order"))
    pretest = QuizFactory(course=course, kind=Quiz.Kind.PRETEST, title="Pre-test")
    make_question(pretest, objective=modules[0])
    make_question(pretest, objective=modules[1])
    assignment = AssignmentFactory(course=course)
    attempt = attempt_start(assignment=assignment, quiz=pretest)
    result = attempt_submit(attempt=attempt, answers=answers_for(attempt))
    assert result.attempt.passed
    assert sorted(result.tested_out_module_ids) == sorted([modules[0].pk, modules[1].pk])
    tested = set(
        ModuleProgress.objects.filter(assignment=assignment, tested_out=True).values_list("module_id", flat=True)
    )
    assert tested == {modules[0].pk, modules[1].pk}
    # a pre-test is taken once and never completes the course
    assert not Completion.objects.exists()
    with pytest.raises(ValidationError, match="only once"):
        attempt_start(assignment=assignment, quiz=pretest)


def test_failing_the_pretest_tests_out_of_nothing_and_leaves_final_attempts_untouched():
    course = make_course(questions=2, modules=2, max_attempts=1)
    pretest = QuizFactory(course=course, kind=Quiz.Kind.PRETEST, title="Pre-test")
    make_question(pretest, objective=course.modules.first())
    assignment = AssignmentFactory(course=course)
    attempt = attempt_start(assignment=assignment, quiz=pretest)
    attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong={attempt.layout[0]["q"]}))
    assert not ModuleProgress.objects.filter(tested_out=True).exists()
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS
    assert attempt_allowance(assignment, course.final_quiz).left == 1


def test_pretest_is_closed_once_the_final_assessment_was_attempted():
    course = make_course(questions=2, max_attempts=None)
    pretest = QuizFactory(course=course, kind=Quiz.Kind.PRETEST, title="Pre-test")
    make_question(pretest)
    assignment = AssignmentFactory(course=course)
    fail(attempt_start(assignment=assignment, quiz=course.final_quiz))
    with pytest.raises(ValidationError, match="before your first attempt"):
        attempt_start(assignment=assignment, quiz=pretest)


def test_started_attempt_marks_the_assignment_in_progress():
    assignment = AssignmentFactory(course=make_course())
    attempt_start(assignment=assignment, quiz=assignment.course.final_quiz, now=START)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS
    assert assignment.started_at == START
    assert timezone.is_aware(assignment.started_at)
