"""A course's due period has a maximum (ten years), and due dates computed from days never
overflow (careless-user findings, issue fix_misc item 1)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse

from assignments.models import Assignment, ImportJob
from assignments.services.imports import import_job_check, import_run
from courses.models import Course
from courses.services.packages import package_problems
from courses.tests.factories import CourseFactory
from courses.tests.test_authoring_views import _course_form
from courses.tests.test_packages import load
from lms.dates import MAX_DATE
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_course_form_refuses_a_due_period_of_two_billion_days_on_the_field(client):
    client.force_login(AdminFactory())

    response = client.post(reverse("authoring_course_create"), _course_form(default_due_days=2147483647))

    assert response.status_code == 200
    assert "The default due period can be at most 3650 days (ten years)." in response.content.decode()
    assert not Course.objects.filter(code="NEW-101").exists()


def test_the_course_form_takes_ten_years(client):
    client.force_login(AdminFactory())

    response = client.post(reverse("authoring_course_create"), _course_form(default_due_days=3650))

    assert response.status_code == 302
    assert Course.objects.get(code="NEW-101").default_due_days == 3650


def test_a_package_with_a_due_period_past_ten_years_is_refused():
    package = load("GDPR-101")
    package["course"]["rules"]["default_due_days"] = 2147483647

    assert "course.rules.default_due_days: must be between 1 and 3650" in package_problems(package)


def test_the_database_refuses_a_due_period_past_ten_years():
    course = CourseFactory()
    with pytest.raises(IntegrityError):
        Course.objects.filter(pk=course.pk).update(default_due_days=3651)


def test_an_upload_line_without_a_due_date_stays_within_the_date_range_and_the_job_is_not_failed():
    course = CourseFactory(code="LONG-1", default_due_days=3650)
    UserFactory(email="ann@example.com")
    data = b"email,course_code,action,due_date\nann@example.com,LONG-1,assign,\n"
    job = ImportJob.objects.create(kind="assignments", filename="a.csv", content=data, created_by=AdminFactory())

    # Late in the supported range, today + ten years is past MAX_DATE: the due date stops there.
    with time_machine.travel(dt.datetime(2099, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        import_job_check(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.READY, job.last_error
        assert job.summary["lines"][0]["due"] == MAX_DATE.isoformat()
        outcome = import_run(kind="assignments", data=data, dry_run=False, actor=AdminFactory())

    assert outcome.ok and outcome.applied
    assert Assignment.objects.get(course=course).due_date == MAX_DATE
