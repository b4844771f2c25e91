"""Factories for courses and assignments. SubFactories keep related rows consistent: a
Question's choices belong to it, an Attempt's quiz belongs to its assignment's course."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from assignments.evidence import new_certificate_number, new_verification_code
from assignments.models import Assignment, Attempt, Completion, Exemption
from courses.models import Choice, Course, LearningResource, Module, Question, Quiz
from lms.tests.factories import AdminFactory, UserFactory


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"COURSE-{n}")
    version = 1
    title = factory.Sequence(lambda n: f"Compliance course {n}")
    status = Course.Status.PUBLISHED
    pass_mark = 80
    max_attempts = 3
    default_due_days = 30


class ModuleFactory(DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    key = factory.Sequence(lambda n: f"m{n}")
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Module {n}")
    body = "<p>Read this.</p>"


class LearningResourceFactory(DjangoModelFactory):
    class Meta:
        model = LearningResource

    course = factory.SubFactory(CourseFactory)
    key = factory.Sequence(lambda n: f"r{n}")
    kind = LearningResource.Kind.CHEAT_SHEET
    title = factory.Sequence(lambda n: f"Cheat sheet {n}")
    body = "<ul><li>Remember this.</li></ul>"


class QuizFactory(DjangoModelFactory):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    kind = Quiz.Kind.FINAL
    title = "Final assessment"


class QuestionFactory(DjangoModelFactory):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    order = factory.Sequence(lambda n: n)
    kind = Question.Kind.SINGLE
    text = factory.Sequence(lambda n: f"Question {n}?")
    explanation = "Because the policy says so."


class ChoiceFactory(DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Choice {n}")
    is_correct = False
    feedback = "See the module."


def make_question(
    quiz: Quiz, *, kind: str = Question.Kind.SINGLE, correct: int = 1, wrong: int = 2, **kwargs
) -> Question:
    """A question with ``correct`` right and ``wrong`` wrong choices (true/false: True is right)."""
    question = QuestionFactory(quiz=quiz, kind=kind, **kwargs)
    if kind == Question.Kind.TRUE_FALSE:
        ChoiceFactory(question=question, text="True", is_correct=True, order=0)
        ChoiceFactory(question=question, text="False", is_correct=False, order=1)
        return question
    for index in range(correct):
        ChoiceFactory(question=question, text=f"Right {index}", is_correct=True)
    for index in range(wrong):
        ChoiceFactory(question=question, text=f"Wrong {index}", is_correct=False)
    return question


def make_course(*, questions: int = 4, modules: int = 2, **course_fields) -> Course:
    """A published course with modules, a cheat sheet and a final quiz of single-choice questions,
    each tied to a module and pointing at it for review."""
    course = CourseFactory(**course_fields)
    mods = [ModuleFactory(course=course, order=index) for index in range(modules)]
    LearningResourceFactory(course=course)
    quiz = QuizFactory(course=course)
    for index in range(questions):
        module = mods[index % len(mods)] if mods else None
        make_question(quiz, objective=module, remediation_module=module)
    return course


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = Assignment

    learner = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    course_code = factory.SelfAttribute("course.code")
    assigned_at = factory.LazyFunction(timezone.now)
    assigned_on = factory.LazyAttribute(lambda o: timezone.localdate(o.assigned_at))
    due_date = factory.LazyAttribute(lambda o: o.assigned_on + dt.timedelta(days=30))
    source = Assignment.Source.MANUAL


class AttemptFactory(DjangoModelFactory):
    class Meta:
        model = Attempt

    assignment = factory.SubFactory(AssignmentFactory)
    quiz = factory.LazyAttribute(lambda o: o.assignment.course.quizzes.get(kind=Quiz.Kind.FINAL))
    number = factory.Sequence(lambda n: n + 1)
    started_at = factory.LazyFunction(timezone.now)


class CompletionFactory(DjangoModelFactory):
    class Meta:
        model = Completion

    learner = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    course_code = factory.SelfAttribute("course.code")
    course_version = factory.SelfAttribute("course.version")
    completed_at = factory.LazyFunction(timezone.now)
    score = 90
    certificate_number = factory.LazyAttribute(lambda o: new_certificate_number(course_code=o.course.code))
    verification_code = factory.LazyFunction(new_verification_code)


class ExemptionFactory(DjangoModelFactory):
    class Meta:
        model = Exemption

    learner = factory.SubFactory(UserFactory)
    course_code = ""
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    ends_on = None
    reason = Exemption.Reason.SICK_LEAVE
    approved_by = factory.SubFactory(AdminFactory)


def answers_for(attempt: Attempt, *, wrong: set[int] | frozenset[int] = frozenset()) -> dict[int, list[int]]:
    """Answers to every question an attempt presents: right ones, except wrong ones for the
    question ids in ``wrong``. Test-only: it reads which choices are correct."""
    answers: dict[int, list[int]] = {}
    for entry in attempt.layout:
        choices = list(Choice.objects.filter(pk__in=entry["c"]).order_by("pk"))
        if entry["q"] in wrong:
            answers[entry["q"]] = [next(c.pk for c in choices if not c.is_correct)]
        else:
            answers[entry["q"]] = [c.pk for c in choices if c.is_correct]
    return answers
