"""Authoring validates at save what publishing would refuse later, groups the course settings and
has one way to say "unlimited attempts" (issue 13 item 19)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from courses.models import Course, Question
from courses.services.authoring import course_publish_problems
from courses.tests.factories import CourseFactory, LearningResourceFactory, ModuleFactory, QuizFactory, make_question
from courses.tests.test_authoring_views import _course_form
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def draft():
    course = CourseFactory(status=Course.Status.DRAFT, description="About.")
    module = ModuleFactory(course=course, key="m1")
    LearningResourceFactory(course=course, key="r1")
    quiz = QuizFactory(course=course)
    return {"course": course, "module": module, "quiz": quiz}


def _question_post(module, kind: str, choices: list[tuple[str, bool]], rows: int = 4, **extra) -> dict:
    data = {
        "kind": kind,
        "text": "Is it so?",
        "explanation": "Because.",
        "objective": module.pk,
        "remediation_module": module.pk,
        "remediation_resource": "",
        "choices-TOTAL_FORMS": rows,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
        **extra,
    }
    for index, (text, correct) in enumerate(choices):
        data[f"choices-{index}-text"] = text
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    return data


def _create_url(draft) -> str:
    return reverse("authoring_question_create", args=[draft["course"].pk, draft["quiz"].pk])


def test_a_true_false_question_gets_its_answer_marked_in_one_save(admin_client, draft):
    page = admin_client.get(_create_url(draft)).content.decode()
    assert 'name="true_false_answer"' in page

    response = admin_client.post(
        _create_url(draft), _question_post(draft["module"], "true_false", [], true_false_answer="false")
    )

    assert response.status_code == 302
    question = draft["quiz"].questions.get()
    assert list(question.choices.values_list("text", "is_correct")) == [("True", False), ("False", True)]
    assert not [p for p in course_publish_problems(draft["course"]) if "Is it so?" in p]


def test_a_true_false_question_without_its_answer_is_refused_on_the_answer_field(admin_client, draft):
    response = admin_client.post(_create_url(draft), _question_post(draft["module"], "true_false", []))

    assert response.status_code == 200
    assert response.context["form"].errors == {"true_false_answer": ["Say whether the statement is true or false."]}
    assert not draft["quiz"].questions.exists()


def test_a_single_choice_question_with_two_correct_answers_is_refused_at_save(admin_client, draft):
    choices = [("Red", True), ("Blue", True), ("Green", False)]

    response = admin_client.post(_create_url(draft), _question_post(draft["module"], "single", choices))

    assert response.status_code == 200
    message = (
        "A single-choice question has exactly one correct choice, and 2 are ticked: untick all but one, or make "
        "it a multiple-choice question."
    )
    assert response.context["formset"].non_form_errors() == [message]
    content = response.content.decode()
    assert message in content and "Question saved." not in content
    assert not draft["quiz"].questions.exists()
    # The same choices make a multiple-choice question.
    response = admin_client.post(_create_url(draft), _question_post(draft["module"], "multiple", choices))
    assert response.status_code == 302
    assert draft["quiz"].questions.get().choices.filter(is_correct=True).count() == 2


@pytest.mark.parametrize(
    "kind,choices,message",
    [
        (
            "single",
            [("Red", False), ("Blue", False)],
            "Tick the correct choice: a single-choice question has exactly one.",
        ),
        ("single", [("Red", True)], "A question needs at least two choices."),
        (
            "multiple",
            [("Red", False), ("Blue", False)],
            "Tick at least one correct choice: a multiple-choice question has one or more.",
        ),
        (
            "true_false",
            [("True", True), ("False", True)],
            "Tick the one correct answer of a true/false question: “True” or “False”.",
        ),
        (
            "true_false",
            [("Yes", True), ("No", False)],
            "A true/false question has exactly two choices, “True” and “False”.",
        ),
    ],
)
def test_each_kinds_choice_rules_are_checked_at_save(admin_client, draft, kind, choices, message):
    response = admin_client.post(_create_url(draft), _question_post(draft["module"], kind, choices))

    assert response.status_code == 200
    assert message in response.context["formset"].non_form_errors()
    assert not draft["quiz"].questions.exists()


def test_editing_a_single_choice_question_to_two_correct_answers_changes_nothing(admin_client, draft):
    question = make_question(draft["quiz"], objective=draft["module"], remediation_module=draft["module"])
    choices = list(question.choices.order_by("order"))
    data = _question_post(draft["module"], "single", [], rows=len(choices))
    data["choices-INITIAL_FORMS"] = len(choices)
    for index, choice in enumerate(choices):
        data |= {f"choices-{index}-id": choice.pk, f"choices-{index}-question": question.pk}
        data[f"choices-{index}-text"] = choice.text
        data[f"choices-{index}-is_correct"] = "on"
    url = reverse("authoring_question_edit", args=[draft["course"].pk, draft["quiz"].pk, question.pk])
    assert 'name="true_false_answer"' not in admin_client.get(url).content.decode()

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "A single-choice question has exactly one correct choice" in response.content.decode()
    assert question.choices.filter(is_correct=True).count() == 1
    assert Question.objects.get(pk=question.pk).text != "Is it so?"


def test_the_course_form_groups_its_settings_and_has_one_way_to_say_unlimited(admin_client):
    content = admin_client.get(reverse("authoring_course_create")).content.decode()

    legends = re.findall(r"<legend[^>]*>\s*([^<]+?)\s*</legend>", content)
    assert legends == [
        "Basics",
        "Assessment",
        "Attempts",
        "Deadlines and recertification",
        "Notifications and compliance",
    ]
    assert "Leave empty for unlimited" not in content and "or empty for unlimited" not in content
    attempts = content[content.index(">Attempts<") : content.index(">Deadlines and recertification<")]
    assert 'name="unlimited_attempts"' in attempts and 'name="max_attempts"' in attempts

    response = admin_client.post(
        reverse("authoring_course_create"), _course_form(unlimited_attempts="", max_attempts="")
    )
    assert response.context["form"].errors["max_attempts"] == [
        "Enter the maximum attempts, or tick “Unlimited attempts”."
    ]
    response = admin_client.post(
        reverse("authoring_course_create"), _course_form(unlimited_attempts="", max_attempts=0)
    )
    assert response.context["form"].errors["max_attempts"] == [
        "Maximum attempts must be at least 1; tick “Unlimited attempts” for no limit."
    ]
    admin_client.post(reverse("authoring_course_create"), _course_form(unlimited_attempts="on", max_attempts=""))
    assert Course.objects.get(code="NEW-101").max_attempts is None


def test_a_course_without_modules_shows_an_empty_state_not_a_numbered_row(admin_client):
    course = CourseFactory(status=Course.Status.DRAFT, description="About.")
    QuizFactory(course=course)

    content = admin_client.get(reverse("authoring_course_detail", args=[course.pk])).content.decode()

    assert 'data-testid="module-list"' not in content and '<li class="list-group-item">No modules yet.' not in content
    empty = content[content.index('data-testid="modules-empty"') :]
    assert "This course has no modules yet." in empty
    assert f'href="{reverse("authoring_module_create", args=[course.pk])}"' in empty[: empty.index("</div>")]
    assert "<li>No questions yet.</li>" not in content and 'data-testid="questions-empty"' in content
