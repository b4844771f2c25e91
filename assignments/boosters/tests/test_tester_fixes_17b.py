"""Tester findings (issue 17, fix17b): the booster picker leaves out quiz questions with several
right answers (a booster needs exactly one)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Choice, Question
from courses.tests.factories import make_course
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_questions_with_several_right_answers_are_not_offered_from_the_quiz(client):
    client.force_login(AdminFactory())
    course = make_course(questions=2, title="Fire safety")
    single, multiple = Question.objects.filter(quiz__course=course).order_by("pk")
    Choice.objects.filter(question=multiple).update(is_correct=True)
    assert Choice.objects.filter(question=multiple, is_correct=True).count() > 1
    response = client.get(reverse("boosters:manage", args=[course.pk]))
    offered = [q.pk for q in response.context["quiz_questions"]]
    assert offered == [single.pk]
    assert f'<option value="{multiple.pk}"' not in response.content.decode()
