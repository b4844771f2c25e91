from __future__ import annotations

import pytest

from courses.tests.factories import CompletionFactory, make_course
from lms.tests.factories import AdminFactory, UserFactory


@pytest.fixture
def course():
    return make_course(code="FIRE-1", title="Fire safety", questions=3)


@pytest.fixture
def learner():
    return UserFactory(first_name="Lena", last_name="Learner")


@pytest.fixture
def completion(course, learner):
    return CompletionFactory(learner=learner, course=course)


@pytest.fixture
def admin():
    return AdminFactory(first_name="Ada", last_name="Admin")
