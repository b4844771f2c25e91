"""Reads for the course player: a learner's own assignment, its modules with progress, its
resources and quizzes, the questions of an attempt (never with the answers) and, after
submission, the per-question feedback.

Fetches are scoped to the learner first: another learner's assignment or attempt is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from assignments.models import Assignment, Attempt, AttemptAnswer, Completion, ModuleProgress, SavedAnswer
from courses.models import Choice, LearningResource, Module, Question, Quiz
from courses.translations.selectors import (
    Overlay,
    available_languages,
    available_languages_many,
    language_for,
    overlay_courses,
)


def assignment_get_for_learner(*, user, pk: int) -> Assignment:
    """The learner's own assignment (active or archived), or 404."""
    return get_object_or_404(Assignment.objects.select_related("course", "learner"), pk=pk, learner_id=user.pk)


def attempt_get_for_learner(*, user, pk: int) -> Attempt:
    """The learner's own attempt, or 404: nobody opens another learner's attempt."""
    return get_object_or_404(
        Attempt.objects.select_related("quiz", "assignment__course", "assignment__learner"),
        pk=pk,
        assignment__learner_id=user.pk,
    )


def modules_with_progress(*, assignment: Assignment) -> QuerySet[Module]:
    """The course's modules in order, each with ``completed_at`` and ``tested_out`` for this
    assignment (one query)."""
    progress = ModuleProgress.objects.filter(assignment_id=assignment.pk, module_id=OuterRef("pk"))
    return (
        Module.objects.filter(course_id=assignment.course_id)
        .annotate(
            progress_completed_at=Subquery(progress.values("completed_at")[:1]),
            progress_tested_out=Exists(progress.filter(tested_out=True)),
        )
        .order_by("order", "pk")
    )


def resources_for(*, course_id: int) -> QuerySet[LearningResource]:
    return LearningResource.objects.filter(course_id=course_id).order_by("order", "pk")


def module_get_for_assignment(*, assignment: Assignment, pk: int) -> Module:
    return get_object_or_404(Module, pk=pk, course_id=assignment.course_id)


def resource_get_for_assignment(*, assignment: Assignment, pk: int) -> LearningResource:
    return get_object_or_404(LearningResource, pk=pk, course_id=assignment.course_id)


def quiz_get_for_assignment(*, assignment: Assignment, pk: int) -> Quiz:
    return get_object_or_404(Quiz.objects.select_related("course"), pk=pk, course_id=assignment.course_id)


def quizzes_for(*, course_id: int) -> dict[str, Quiz]:
    """The final assessment and pre-test of a course by kind (module checks left out)."""
    quizzes = Quiz.objects.filter(course_id=course_id, kind__in=[Quiz.Kind.FINAL, Quiz.Kind.PRETEST]).select_related(
        "course"
    )
    return {quiz.kind: quiz for quiz in quizzes}


def submitted_attempts(*, assignment: Assignment, quiz: Quiz) -> QuerySet[Attempt]:
    return Attempt.objects.filter(
        assignment_id=assignment.pk, quiz_id=quiz.pk, status=Attempt.Status.SUBMITTED
    ).order_by("number")


def assignment_completion(*, assignment: Assignment) -> Completion | None:
    return Completion.objects.filter(assignment_id=assignment.pk).first()


def attempt_questions(*, attempt: Attempt, overlay: Overlay | None = None) -> list[dict]:
    """The questions of an attempt in the order it presented them, as plain data with no trace
    of which choice is correct (this is what reaches the browser before submission); their texts
    in ``overlay``'s language when given (the same questions and choices whatever the language)."""
    question_ids = [entry["q"] for entry in attempt.layout]
    questions = {row["pk"]: row for row in Question.objects.filter(pk__in=question_ids).values("pk", "kind", "text")}
    choices = {
        row["pk"]: row
        for row in Choice.objects.filter(question_id__in=question_ids).values("pk", "question_id", "text")
    }
    rows = []
    for number, entry in enumerate(attempt.layout, start=1):
        question = questions.get(entry["q"])
        if question is None:  # removed from the course since the attempt began
            continue
        rows.append(
            {
                "id": question["pk"],
                "number": number,
                "kind": question["kind"],
                "multiple": question["kind"] == Question.Kind.MULTIPLE,
                "text": overlay.value("question", question["pk"], "text", question["text"])
                if overlay
                else question["text"],
                "choices": [
                    {
                        "id": choices[pk]["pk"],
                        "text": overlay.value("choice", pk, "text", choices[pk]["text"])
                        if overlay
                        else choices[pk]["text"],
                    }
                    for pk in entry["c"]
                    if pk in choices
                ],
            }
        )
    return rows


@dataclass(frozen=True)
class OptionFeedback:
    """One choice of a multiple-answer question as the learner's result shows it: ``status`` is
    "right" (ticked and correct), "wrong" (ticked, not correct), "missed" (correct, not ticked)
    or "" (neither)."""

    choice: Choice
    status: str


@dataclass(frozen=True)
class QuestionFeedback:
    number: int
    question: Question
    is_correct: bool
    selected: list[Choice]
    objective: Module | None
    remediation_module: Module | None
    remediation_resource: LearningResource | None
    # Multiple-answer questions only: every choice in the order shown, and whether some ticks were right.
    options: list[OptionFeedback] = field(default_factory=list)
    partly_right: bool = False


def _options(question: Question, selected: list[Choice], shown: list[int]) -> list[OptionFeedback]:
    ticked = {choice.pk for choice in selected}
    choices = {choice.pk: choice for choice in question.choices.all()}
    order = [pk for pk in shown if pk in choices] + [pk for pk in choices if pk not in shown]
    options = []
    for pk in order:
        choice = choices[pk]
        if pk in ticked:
            status = "right" if choice.is_correct else "wrong"
        else:
            status = "missed" if choice.is_correct else ""
        options.append(OptionFeedback(choice=choice, status=status))
    return options


def attempt_feedback(*, attempt: Attempt) -> list[QuestionFeedback]:
    """Per-question results of a submitted attempt, in the order presented (three queries). A
    multiple-answer question also gives each of its choices as ticked right, ticked wrong or
    missed, so a learner with two of three right answers sees which one they missed."""
    answers = (
        AttemptAnswer.objects.filter(attempt_id=attempt.pk)
        .select_related("question__objective", "question__remediation_module", "question__remediation_resource")
        .prefetch_related(
            Prefetch("selected", queryset=Choice.objects.order_by("order", "pk")),
            Prefetch("question__choices", queryset=Choice.objects.order_by("order", "pk")),
        )
    )
    by_question = {answer.question_id: answer for answer in answers}
    rows = []
    for number, entry in enumerate(attempt.layout, start=1):
        answer = by_question.get(entry["q"])
        if answer is None:
            continue
        question = answer.question
        selected = list(answer.selected.all())
        options = _options(question, selected, entry.get("c", [])) if question.kind == Question.Kind.MULTIPLE else []
        rows.append(
            QuestionFeedback(
                number=number,
                question=question,
                is_correct=answer.is_correct,
                selected=selected,
                objective=question.objective,
                remediation_module=question.remediation_module,
                remediation_resource=question.remediation_resource,
                options=options,
                partly_right=not answer.is_correct and any(option.status == "right" for option in options),
            )
        )
    return rows


def modules_to_review(*, attempt: Attempt) -> QuerySet[Module]:
    """The learning objectives (modules) of the questions ``attempt`` got wrong, in course order:
    what its result page lists under "What to review" (one query)."""
    return (
        Module.objects.filter(
            objective_questions__answers__attempt_id=attempt.pk, objective_questions__answers__is_correct=False
        )
        .distinct()
        .order_by("order", "pk")
    )


def missed_objectives(feedback: list[QuestionFeedback]) -> list[Module]:
    """The learning objectives (modules) of the questions answered wrong, each once, in course order."""
    seen: dict[int, Module] = {}
    for row in feedback:
        if not row.is_correct and row.objective is not None:
            seen.setdefault(row.objective.pk, row.objective)
    return sorted(seen.values(), key=lambda module: (module.order, module.pk))


def attempt_saved_choices(*, attempt: Attempt) -> dict[int, list[int]]:
    """The answers saved so far in an open attempt: question id -> chosen choice ids (one query;
    nothing for a submitted attempt, whose answers are its AttemptAnswer rows)."""
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return {}
    return dict(SavedAnswer.objects.filter(attempt_id=attempt.pk).values_list("question_id", "choice_ids"))


# The learner's choice of course language, per assignment, in their session: {"<assignment pk>":
# "es"}. The session, not the assignment row: it is a reading preference, not training evidence
# (the attempt records the language it was taken in), and without a choice the learner's own
# language decides anyway (``content_language``).
LANGUAGE_SESSION_KEY = "course_language"


def _content_language(course, available: list[str], locale: str | None, chosen: str | None) -> tuple[str, list[str]]:
    choices = [course.language, *available]
    if chosen in choices:
        return chosen, choices
    return language_for(locale, course, available), choices


def content_language(*, assignment: Assignment, locale: str | None, chosen: str | None) -> tuple[str, list[str]]:
    """The language the learner reads the course in, and the languages they may choose from.

    The choices are the course's own language and its complete, current translations
    (courses.translations.selectors.available_languages). The learner's own choice (remembered per
    assignment in their session by the player's language form) wins while it is still a choice;
    otherwise the learner's interface language decides (``language_for``: exact, then the same
    language family, else the course's main language).
    """
    return _content_language(assignment.course, available_languages(assignment.course), locale, chosen)


def content_languages(*, assignments: list[Assignment], locale: str | None, chosen: dict[str, str]) -> dict[int, str]:
    """``content_language`` of many assignments (assignment id -> language; ``chosen`` is the
    session's {"<assignment pk>": language}): what the home page's cards are shown in. Only the
    languages the rule could pick are read (the chosen ones, the learner's language and its
    family): one query when no course has a translation in them, a fixed few otherwise."""
    family = (locale or "").split("-", 1)[0]
    candidates = {code for code, _name in settings.LANGUAGES if code.split("-", 1)[0] == family}
    candidates |= {chosen.get(str(assignment.pk)) for assignment in assignments} - {None}
    # A course in the learner's own language family is read in its own language unless another was
    # chosen (a course is never translated into its language's other variants: other_languages).
    courses = {
        assignment.course_id: assignment.course
        for assignment in assignments
        if str(assignment.pk) in chosen or assignment.course.language.split("-", 1)[0] != family
    }
    available = available_languages_many(courses.values(), languages=candidates) if courses else {}
    return {
        assignment.pk: _content_language(
            assignment.course, available.get(assignment.course_id, []), locale, chosen.get(str(assignment.pk))
        )[0]
        for assignment in assignments
    }


def name_courses_in_learner_languages(*, assignments, completions, locale: str | None, chosen: dict[str, str]) -> None:
    """Show each assignment's course in the language the learner takes it in (``content_languages``,
    what the course page shows) and each completion's in the language its attempt was taken in
    (``attempt_language``, what its certificate says), in place: the home page and the training
    history name courses alike. One query for the titles, a fixed few for the languages."""
    languages = content_languages(assignments=assignments, locale=locale, chosen=chosen)
    overlay_courses(
        [(assignment.course, languages[assignment.pk]) for assignment in assignments]
        + [(completion.course, completion.attempt_language) for completion in completions]
    )
