"""Reads of the learner preview (courses/views/preview.py): a course as a learner sees it, and a
quiz marked in memory. Nothing here writes: a preview records no assignment, attempt, progress,
notification or audit row."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from courses.models import Choice, Course, LearningResource, Module, Question, Quiz
from lms.scores import score_cut


def course_get_for_preview(*, pk: int) -> Course:
    return get_object_or_404(Course, pk=pk)


def preview_modules(*, course: Course) -> list[Module]:
    return list(Module.objects.filter(course=course).order_by("order", "pk"))


def preview_resources(*, course: Course) -> QuerySet[LearningResource]:
    return LearningResource.objects.filter(course=course).order_by("order", "pk")


def preview_quizzes(*, course: Course) -> QuerySet[Quiz]:
    return Quiz.objects.filter(course=course).select_related("module").order_by("kind", "pk")


def preview_quiz(*, course: Course, pk: int) -> tuple[Quiz, list[Question]]:
    """The quiz with its questions and choices in order (two queries after the quiz's)."""
    quiz = get_object_or_404(Quiz.objects.select_related("course"), pk=pk, course=course)
    questions = list(
        quiz.questions.order_by("order", "pk")
        .select_related("remediation_module", "remediation_resource")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("order", "pk")))
    )
    return quiz, questions


@dataclass
class PreviewAnswer:
    question: Question
    chosen: list[Choice]
    correct: bool
    choices: list[Choice] = field(default_factory=list)


@dataclass
class PreviewResult:
    answers: list[PreviewAnswer]
    score: Decimal
    passed: bool


def preview_mark(*, quiz: Quiz, questions: list[Question], chosen_ids: dict[int, set[int]]) -> PreviewResult:
    """Mark answers the way an attempt is marked (all of a question's correct choices and nothing
    else), in memory only. ``chosen_ids``: question id -> the choice ids picked."""
    answers = []
    for question in questions:
        choices = list(question.choices.all())
        picked = chosen_ids.get(question.pk, set())
        chosen = [choice for choice in choices if choice.pk in picked]
        correct = {choice.pk for choice in choices if choice.is_correct} == picked
        answers.append(PreviewAnswer(question=question, chosen=chosen, correct=correct, choices=choices))
    right = sum(1 for answer in answers if answer.correct)
    # Cut to two decimals as an attempt's score is (assignments.services.attempts._percentage).
    score = score_cut(Decimal(right) * 100 / Decimal(len(answers))) if answers else Decimal("0.00")
    return PreviewResult(answers=answers, score=score, passed=score >= quiz.effective_pass_mark)
