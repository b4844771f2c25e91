"""A course's review report answers whatever the letter case of the code in its address (codes are
one code whatever their capitals): /reports/course-reviews/abc-201/ leads to ABC-201's figures
(was a 404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.course_reviews.selectors import course_code_spelled
from assignments.course_reviews.tests.factories import reviewed
from courses.tests.factories import make_course
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["abc-201", "Abc-201", "ABC-201"])
def test_any_letter_case_of_the_code_leads_to_the_courses_report(client, typed):
    course = make_course(code="ABC-201", title="Asbestos awareness", questions=1)
    reviewed(course, 4)
    client.force_login(AdminFactory())
    response = client.get(reverse("reports_course_review_detail", args=[typed]), follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("reports_course_review_detail", args=["ABC-201"])
    assert "Average 4.00 out of 5 from 1 review." in response.content.decode()


def test_the_catalogues_spelling_is_found_and_an_unknown_code_is_none():
    make_course(code="ABC-201", questions=1)
    assert course_code_spelled(course_code="abc-201") == "ABC-201"
    assert course_code_spelled(course_code="ABC-201") == "ABC-201"
    assert course_code_spelled(course_code="abc-202") is None


def test_a_learner_is_refused_whatever_the_spelling(client):
    make_course(code="ABC-201", questions=1)
    client.force_login(UserFactory())
    assert client.get(reverse("reports_course_review_detail", args=["abc-201"])).status_code == 403
