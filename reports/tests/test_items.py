"""Item analysis on six first attempts whose statistics are worked out by hand.

Q1 (right R, wrong W0, W1): passing attempts answer R, R, W0; failing ones W0, W0, W1.
    wrong 4 of 6 = 66.7%; most chosen wrong W0 (3 times, more than R's 2): "distractor";
    discrimination = 2/3 - 0/3 = 0.67.
Q2: passing W0, W0, R; failing R, R, R.
    wrong 2 of 6 = 33.3%; most chosen wrong W0 (2); discrimination = 1/3 - 3/3 = -0.67: "negative".
A second attempt by one failing learner is not counted (first attempts only).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Attempt, AttemptAnswer
from courses.tests.factories import AssignmentFactory, make_course
from lms.tests.factories import AdminFactory
from reports.selectors import item_analysis

pytestmark = pytest.mark.django_db


def choice(question, text):
    return question.choices.get(text=text)


@pytest.fixture
def analysed():
    course = make_course(code="ITEMS", questions=2, title="Items")
    quiz = course.final_quiz
    q1, q2 = quiz.questions.order_by("order")
    plan = [
        (True, "Right 0", "Wrong 0"),
        (True, "Right 0", "Wrong 0"),
        (True, "Wrong 0", "Right 0"),
        (False, "Wrong 0", "Right 0"),
        (False, "Wrong 0", "Right 0"),
        (False, "Wrong 1", "Right 0"),
    ]
    for passed, a1, a2 in plan:
        assignment = AssignmentFactory(course=course)
        for number, answers in ((1, (a1, a2)), *(((2, ("Wrong 1", "Wrong 1")),) if not passed else ())):
            attempt = Attempt.objects.create(
                assignment=assignment,
                quiz=quiz,
                number=number,
                status=Attempt.Status.SUBMITTED,
                started_at=timezone.now(),
                submitted_at=timezone.now(),
                score=100 if passed else 0,
                passed=passed,
            )
            for question, text in zip((q1, q2), answers, strict=True):
                picked = choice(question, text)
                answer = AttemptAnswer.objects.create(attempt=attempt, question=question, is_correct=picked.is_correct)
                answer.selected.set([picked])
    return course, q1, q2


def test_statistics_match_the_hand_computation(analysed):
    _course, q1, q2 = analysed
    items = {item.question.pk: item for item in item_analysis(course_code="ITEMS")}
    first, second = items[q1.pk], items[q2.pk]
    assert (first.responses, first.wrong, first.wrong_percent) == (6, 4, 66.7)
    assert (first.top_wrong_choice, first.top_wrong_count) == ("Wrong 0", 3)
    assert first.discrimination == pytest.approx(2 / 3)
    assert first.flags == ["distractor"]
    assert (second.responses, second.wrong, second.wrong_percent) == (6, 2, 33.3)
    assert (second.top_wrong_choice, second.top_wrong_count) == ("Wrong 0", 2)
    assert second.discrimination == pytest.approx(-2 / 3)
    assert second.flags == ["negative"]


def test_too_few_answers_raise_no_flag(analysed):
    _course, q1, _q2 = analysed
    Attempt.objects.filter(number=1, passed=False).update(number=9)
    item = next(i for i in item_analysis(course_code="ITEMS") if i.question.pk == q1.pk)
    assert item.responses == 3
    assert item.discrimination is None
    assert item.flags == []


def test_page_and_its_query_count(client, analysed, django_assert_max_num_queries):
    client.force_login(AdminFactory())
    # + 2 for the SCORM packages' questions: the course codes that have some, and their rows.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("reports_item_analysis"), {"course": "ITEMS"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "66.7%" in body and "-0.67" in body and "check the answer key" in body


def test_item_analysis_splits_by_the_language_the_attempts_were_taken_in(client, analysed):
    # Issue 16: the three passing first attempts were taken in Spanish, the rest in English.
    _course, q1, _q2 = analysed
    Attempt.objects.update(language="en-gb")
    Attempt.objects.filter(number=1, passed=True).update(language="es")

    spanish = next(i for i in item_analysis(course_code="ITEMS", language="es") if i.question.pk == q1.pk)
    english = next(i for i in item_analysis(course_code="ITEMS", language="en-gb") if i.question.pk == q1.pk)
    together = next(i for i in item_analysis(course_code="ITEMS") if i.question.pk == q1.pk)

    assert (spanish.responses, spanish.wrong, spanish.top_wrong_choice) == (3, 1, "Wrong 0")
    assert (english.responses, english.wrong) == (3, 3)
    assert (together.responses, together.wrong) == (6, 4)  # one course, whatever the language
    client.force_login(AdminFactory())
    body = client.get(reverse("reports_item_analysis"), {"course": "ITEMS", "language": "es"}).content.decode()
    assert "33.3%" in body
    export = client.get(reverse("reports_item_analysis_export", args=["csv"]), {"course": "ITEMS", "language": "es"})
    assert "33.3" in b"".join(export.streaming_content).decode("utf-8-sig")
    refused = client.get(reverse("reports_item_analysis"), {"course": "ITEMS", "language": "xx"})
    assert refused.context["items"] is None and "language" in refused.context["form"].errors
