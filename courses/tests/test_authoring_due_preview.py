from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Course
from courses.tests.factories import AssignmentFactory, CourseFactory
from lms.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def course_data(course: Course, **changes) -> dict:
    data = {
        "code": course.code,
        "title": course.title,
        "description": "About it",
        "pass_mark": course.pass_mark,
        "max_attempts": course.max_attempts or "",
        "cooldown_first_minutes": 0,
        "cooldown_later_minutes": 0,
        "grading_method": course.grading_method,
        "default_due_days": course.default_due_days,
        "recertification_months": "",
        "recertification_window_days": 30,
        "expiry_rule": "from_completion",
        "grace_days": 0,
        "cpd_points": "1.00",
    }
    data.update(changes)
    return data


def test_changing_the_due_period_shows_what_it_touches_before_saving(client):
    published = CourseFactory(code="FIRE-1", version=1, default_due_days=30)
    for _ in range(3):
        AssignmentFactory(course=published)
    draft = CourseFactory(code="FIRE-1", version=2, status=Course.Status.DRAFT, default_due_days=30)
    client.force_login(AdminFactory())
    url = reverse("authoring_course_edit", args=[draft.pk])

    first = client.post(url, course_data(draft, default_due_days=14))

    assert first.status_code == 200
    content = first.content.decode()
    assert "from 30 to 14 days" in content and "3 learners have unfinished assignments" in content
    draft.refresh_from_db()
    assert draft.default_due_days == 30  # nothing saved yet

    second = client.post(url, {**course_data(draft, default_due_days=14), "confirm_due_change": "14"})
    assert second.status_code == 302
    draft.refresh_from_db()
    assert draft.default_due_days == 14


def test_a_due_period_change_touching_nobody_saves_at_once(client):
    draft = CourseFactory(code="NEW-1", status=Course.Status.DRAFT, default_due_days=30)
    client.force_login(AdminFactory())
    response = client.post(reverse("authoring_course_edit", args=[draft.pk]), course_data(draft, default_due_days=10))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.default_due_days == 10
