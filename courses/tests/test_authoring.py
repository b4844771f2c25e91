"""Authoring services: publishing rules, the Draft-only edit lock, ordering and new versions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from assignments.models import Completion
from courses.models import Choice, Course, Module, Question, Quiz
from courses.services import authoring as services
from courses.services.authoring import course_import_package
from courses.services.packages import course_export_package, package_problems
from courses.tests.factories import (
    AssignmentFactory,
    ChoiceFactory,
    CompletionFactory,
    CourseFactory,
    LearningResourceFactory,
    ModuleFactory,
    QuestionFactory,
    QuizFactory,
    make_question,
)

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "course-package-format.md"


def draft_course(**fields) -> Course:
    """A Draft course that can be published: one module, a resource, a final quiz with one good question."""
    course = CourseFactory(status=Course.Status.DRAFT, description="About the course.", **fields)
    module = ModuleFactory(course=course, key="m1-intro")
    LearningResourceFactory(course=course, key="r-sheet")
    quiz = QuizFactory(course=course, title="Final assessment")
    make_question(quiz, objective=module, remediation_module=module, text="What is right?")
    return course


def snapshot(course: Course):
    course.refresh_from_db()
    return course.status, course.updated_at, course_export_package(course=course)


def test_a_complete_draft_publishes():
    course = draft_course()
    assert services.course_publish_problems(course) == []
    services.course_publish(course=course)
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED


def test_publish_needs_a_final_quiz_and_changes_nothing_when_refused():
    course = draft_course()
    course.quizzes.update(kind=Quiz.Kind.PRETEST, pass_mark=None)
    before = snapshot(course)
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    assert caught.value.messages == ["The course needs a final assessment (a quiz of kind “Final assessment”)."]
    assert snapshot(course) == before


def test_publish_needs_questions_in_every_quiz():
    course = draft_course()
    QuizFactory(course=course, kind=Quiz.Kind.MODULE_CHECK, module=course.modules.get(), title="Quick check")
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    assert caught.value.messages == ["“Quick check” has no questions: add at least one."]
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


@pytest.mark.parametrize(
    "kind, correct, wrong, message",
    [
        (Question.Kind.SINGLE, 0, 3, "a single-choice question needs exactly one correct choice"),
        (Question.Kind.SINGLE, 2, 1, "a single-choice question needs exactly one correct choice"),
        (Question.Kind.MULTIPLE, 0, 3, "a multiple-choice question needs at least one correct choice"),
    ],
)
def test_publish_checks_correct_choices_naming_quiz_and_question(kind, correct, wrong, message):
    # given a publishable course plus a second question with the wrong number of correct choices
    course = draft_course()
    quiz = course.quizzes.get()
    module = course.modules.get()
    make_question(
        quiz, kind=kind, correct=correct, wrong=wrong, text="Which is it?", objective=module, remediation_module=module
    )
    before = snapshot(course)
    # when publishing
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    # then the problem names the quiz and the question, and nothing changed
    assert caught.value.messages == [f"“Final assessment”, question 2 (“Which is it?”): {message}."]
    assert snapshot(course) == before


def test_publish_checks_true_false_questions():
    course = draft_course()
    quiz, module = course.quizzes.get(), course.modules.get()
    question = QuestionFactory(
        quiz=quiz, kind=Question.Kind.TRUE_FALSE, text="Sky is blue.", objective=module, remediation_module=module
    )
    ChoiceFactory(question=question, text="True", is_correct=True)
    ChoiceFactory(question=question, text="False", is_correct=True)
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    assert caught.value.messages == [
        "“Final assessment”, question 2 (“Sky is blue.”): a true/false question needs exactly one correct choice."
    ]


def test_a_multiple_choice_question_with_one_correct_choice_is_publishable():
    course = draft_course()
    module = course.modules.get()
    make_question(
        course.quizzes.get(),
        kind=Question.Kind.MULTIPLE,
        correct=1,
        wrong=2,
        objective=module,
        remediation_module=module,
    )
    services.course_publish(course=course)
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED


def test_publish_needs_a_module():
    course = draft_course()
    Question.objects.update(objective=None, remediation_module=None)
    course.modules.all().delete()
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    assert "The course needs at least one module." in caught.value.messages


def test_publish_checks_explanation_objective_and_review_link():
    course = draft_course()
    Question.objects.filter(quiz__course=course).update(explanation=" ", objective=None, remediation_module=None)
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    label = "“Final assessment”, question 1 (“What is right?”)"
    assert caught.value.messages == [
        f"{label}: needs an explanation.",
        f"{label}: needs a learning objective (module).",
        f"{label}: needs exactly one review link, a module or a resource.",
    ]
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_publish_refuses_content_that_would_not_make_a_valid_package():
    course = draft_course()
    Module.objects.filter(course=course).update(body="")
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    assert caught.value.messages == [
        "The course cannot be written as a course package: modules[0].body: must not be empty"
    ]
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_only_a_draft_can_be_published():
    course = draft_course()
    services.course_publish(course=course)
    with pytest.raises(ValidationError, match="Only a Draft"):
        services.course_publish(course=course)


def test_every_published_course_exports_to_a_valid_package():
    course = draft_course()
    services.course_publish(course=course)
    assert package_problems(course_export_package(course=course)) == []


# The Draft-only lock


def test_published_content_cannot_be_edited_in_place():
    course = CourseFactory(status=Course.Status.PUBLISHED)
    module = ModuleFactory(course=course)
    quiz = QuizFactory(course=course)
    question = make_question(quiz, objective=module, remediation_module=module)
    attempts = [
        lambda: services.course_update(course=course, data={"title": "New"}),
        lambda: services.module_create(course=course, data={"key": "m9", "title": "x", "body": "<p>x</p>"}),
        lambda: services.module_update(module=module, data={"title": "Changed"}),
        lambda: services.module_move(module=module, direction="up"),
        lambda: services.module_delete(module=module),
        lambda: services.quiz_update(quiz=quiz, data={"title": "Changed"}),
        lambda: services.question_update(question=question, data={"text": "Changed?"}, choices=None),
        lambda: services.question_delete(question=question),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="Create a new version"):
            attempt()
    assert Module.objects.get(pk=module.pk).title == module.title
    assert Question.objects.get(pk=question.pk).text == question.text


def test_new_version_copies_everything_as_a_draft_and_leaves_the_old_version():
    # given a published course with a completion
    course = course_import_package(
        package=json.loads((DOC.parents[1] / "courses/packages/ABC-201.json").read_text()), publish=True
    )
    completion = CompletionFactory(course=course)
    # when a new version is made
    new = services.course_new_version(course=course)
    # then it is a Draft copy at version 2 with the same content
    assert (new.code, new.version, new.status) == ("ABC-201", 2, Course.Status.DRAFT)
    old_package, new_package = course_export_package(course=course), course_export_package(course=new)
    assert new_package["course"]["version"] == 2
    new_package["course"]["version"] = 1
    assert new_package == old_package
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED
    assert Completion.objects.get(pk=completion.pk).course_id == course.pk


def test_new_version_only_from_the_latest_published_version():
    course = draft_course()
    with pytest.raises(ValidationError, match="still a Draft"):
        services.course_new_version(course=course)
    services.course_publish(course=course)
    services.course_new_version(course=course)
    with pytest.raises(ValidationError, match="Version 2 of"):
        services.course_new_version(course=course)
    assert Course.objects.filter(code=course.code).count() == 2


def test_unpublish_only_without_assignments():
    course = draft_course()
    services.course_publish(course=course)
    services.course_unpublish(course=course)
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT
    services.course_publish(course=course)
    AssignmentFactory(course=course)
    with pytest.raises(ValidationError, match="cannot go back to Draft"):
        services.course_unpublish(course=course)
    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED


# Writes of content


def test_modules_move_up_and_down():
    course = CourseFactory(status=Course.Status.DRAFT)
    first, second, third = (ModuleFactory(course=course, order=5) for _ in range(3))

    def titles():
        return list(course.modules.order_by("order").values_list("pk", flat=True))

    services.module_move(module=third, direction="up")
    assert titles() == [first.pk, third.pk, second.pk]
    services.module_move(module=first, direction="down")
    assert titles() == [third.pk, first.pk, second.pk]
    services.module_move(module=third, direction="up")  # already first: nothing moves
    assert titles() == [third.pk, first.pk, second.pk]


def test_module_keys_are_slugs_unique_across_modules_and_resources():
    course = CourseFactory(status=Course.Status.DRAFT)
    LearningResourceFactory(course=course, key="r-sheet")
    with pytest.raises(ValidationError) as caught:
        services.module_create(course=course, data={"key": "r-sheet", "title": "A", "body": "<p>x</p>"})
    assert "key" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.module_create(course=course, data={"key": "Bad_Key", "title": "A", "body": "<p>x</p>"})
    assert course.modules.count() == 0


def test_course_rules_fixed_date_needs_month_and_day():
    with pytest.raises(ValidationError) as caught:
        services.course_create(
            data={
                "code": "FIX-1",
                "title": "Fixed",
                "expiry_rule": Course.ExpiryRule.FIXED_DATE,
                "recertification_months": 12,
            }
        )
    assert caught.value.message_dict["expiry_rule"] == ["A fixed-date expiry needs a month and a day."]
    course = services.course_create(
        data={
            "code": "FIX-1",
            "title": "Fixed",
            "expiry_rule": Course.ExpiryRule.FIXED_DATE,
            "recertification_months": 12,
            "fixed_expiry_month": 4,
            "fixed_expiry_day": 1,
        }
    )
    assert (course.status, course.version) == (Course.Status.DRAFT, 1)


def test_course_code_and_version_are_unique():
    CourseFactory(code="DUP-1", version=1)
    with pytest.raises(ValidationError):
        services.course_create(data={"code": "DUP-1", "title": "Again"})


def test_question_create_saves_choices_in_order_and_true_false_defaults():
    course = CourseFactory(status=Course.Status.DRAFT)
    module = ModuleFactory(course=course)
    quiz = QuizFactory(course=course)
    data = {
        "kind": Question.Kind.SINGLE,
        "text": "Pick",
        "explanation": "Because.",
        "objective": module,
        "remediation_module": module,
    }
    question = services.question_create(
        quiz=quiz,
        data=data,
        choices=[{"text": "B", "is_correct": True, "feedback": "Yes"}, {"text": "A", "is_correct": False}],
    )
    assert list(question.choices.values_list("text", "is_correct", "order")) == [("B", True, 0), ("A", False, 1)]
    # A true/false question given no choices gets both, its answer marked (issue 13 item 19).
    true_false = services.question_create(
        quiz=quiz, data={**data, "kind": Question.Kind.TRUE_FALSE}, choices=[], true_false_answer=True
    )
    assert list(true_false.choices.values_list("text", "is_correct")) == [("True", True), ("False", False)]
    with pytest.raises(ValidationError) as caught:
        services.question_create(quiz=quiz, data={**data, "kind": Question.Kind.TRUE_FALSE}, choices=[])
    assert caught.value.message_dict == {"true_false_answer": ["Say whether the statement is true or false."]}
    with pytest.raises(ValidationError, match="exactly one correct choice, and 2 are ticked"):
        services.question_create(
            quiz=quiz, data=data, choices=[{"text": "A", "is_correct": True}, {"text": "B", "is_correct": True}]
        )


def test_question_update_replaces_choices_and_refuses_foreign_ones():
    course = CourseFactory(status=Course.Status.DRAFT)
    module = ModuleFactory(course=course)
    question = make_question(QuizFactory(course=course), objective=module, remediation_module=module)
    keep = question.choices.first()
    other = ChoiceFactory()
    services.question_update(
        question=question, data={}, choices=[{"id": keep.pk, "text": "Kept", "is_correct": True}, {"text": "New"}]
    )
    assert list(question.choices.values_list("text", flat=True)) == ["Kept", "New"]
    assert question.choices.get(text="Kept").pk == keep.pk
    with pytest.raises(ValidationError, match="does not belong"):
        services.question_update(
            question=question, data={}, choices=[{"id": other.pk, "text": "X", "is_correct": True}, {"text": "Y"}]
        )
    assert Choice.objects.filter(pk=other.pk, question=other.question).exists()


def test_question_needs_explanation_objective_and_one_remediation():
    course = CourseFactory(status=Course.Status.DRAFT)
    module = ModuleFactory(course=course)
    resource = LearningResourceFactory(course=course)
    quiz = QuizFactory(course=course)
    with pytest.raises(ValidationError) as caught:
        services.question_create(
            quiz=quiz,
            data={
                "text": "Q",
                "explanation": "",
                "objective": None,
                "remediation_module": module,
                "remediation_resource": resource,
            },
            choices=[],
        )
    assert set(caught.value.message_dict) == {"explanation", "objective", "remediation_module"}
    assert quiz.questions.count() == 0


def test_quiz_rules_final_pass_mark_and_module_check():
    course = CourseFactory(status=Course.Status.DRAFT)
    with pytest.raises(ValidationError) as caught:
        services.quiz_create(course=course, data={"kind": Quiz.Kind.FINAL, "title": "F", "pass_mark": 70})
    assert "pass_mark" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.quiz_create(course=course, data={"kind": Quiz.Kind.MODULE_CHECK, "title": "C"})
    assert "module" in caught.value.message_dict
    services.quiz_create(course=course, data={"kind": Quiz.Kind.FINAL, "title": "F"})
    with pytest.raises(ValidationError):
        services.quiz_create(course=course, data={"kind": Quiz.Kind.FINAL, "title": "Second final"})
    assert course.quizzes.count() == 1


def test_the_documented_minimal_example_is_a_valid_package_that_round_trips():
    example = re.search(r"## Minimal example\s+```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    package = json.loads(example)
    assert package_problems(package) == []
    assert course_export_package(course=course_import_package(package=package, publish=True)) == package


def test_publish_needs_a_description():
    course = draft_course()
    Course.objects.filter(pk=course.pk).update(description="")
    course.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.course_publish(course=course)
    assert caught.value.messages == ["The course needs a description."]
