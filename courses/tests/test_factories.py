from __future__ import annotations

import pytest

from courses.tests.factories import AssignmentFactory, AttemptFactory, CompletionFactory, make_course

pytestmark = pytest.mark.django_db


def test_factories_build_consistent_rows():
    course = make_course(questions=3)
    assert course.final_quiz.questions.count() == 3
    assignment = AssignmentFactory(course=course)
    attempt = AttemptFactory(assignment=assignment)
    assert attempt.quiz.course == course
    completion = CompletionFactory(course=course, learner=assignment.learner, assignment=assignment)
    assert completion.certificate_number.startswith(course.code.upper())
