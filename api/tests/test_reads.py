"""The read endpoints: people, courses, assignments, a learner's compliance state per course and
the organisation report's counts. Every response is checked against the schema (conftest)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from assignments.models import Assignment
from assignments.services.imports import apply_users, parse_users, plan_users
from courses.models import Course
from courses.tests.factories import AssignmentFactory, CompletionFactory, CourseFactory, ExemptionFactory
from lms.services import user_deactivate, user_update
from lms.tests.factories import DepartmentFactory, UserFactory
from reports.selectors import Scope, scoped_assignments, summarise

pytestmark = pytest.mark.django_db


def _all(api, path: str, params: dict | None = None) -> list[dict]:
    """Every row of a paginated list, following ``next``."""
    rows, url, params = [], path, dict(params or {})
    while url:
        body = api.get(url, params).json()
        rows.extend(body["results"])
        url, params = body["next"], {}
    return rows


def test_people_are_listed_in_pages_with_their_department_and_manager(api):
    sales = DepartmentFactory(name="Sales")
    boss = UserFactory(department=sales)
    people = [UserFactory(department=sales, manager=boss) for _ in range(4)]

    first = api.get("/api/v1/people/", {"page_size": 2}).json()
    rows = _all(api, "/api/v1/people/", {"page_size": 2})

    assert len(first["results"]) == 2 and first["next"]
    assert [row["id"] for row in rows] == sorted(p.pk for p in [boss, *people])
    row = next(r for r in rows if r["id"] == people[0].pk)
    assert row["department_name"] == "Sales"
    assert (row["manager"], row["manager_email"]) == (boss.pk, boss.email)


def test_people_filters_department_active_and_email(api):
    sales, support = DepartmentFactory(name="Sales"), DepartmentFactory(name="Support")
    inside = DepartmentFactory(name="Sales North")
    inside.parent = sales
    inside.save()
    seller, north, helper = (
        UserFactory(department=sales),
        UserFactory(department=inside),
        UserFactory(department=support),
    )
    leaver = UserFactory(department=support)
    user_deactivate(user=leaver)

    ids = lambda params: {row["id"] for row in _all(api, "/api/v1/people/", params)}  # noqa: E731
    assert ids({"department": sales.pk}) == {seller.pk}
    assert ids({"department": sales.pk, "include_subdepartments": "true"}) == {seller.pk, north.pk}
    assert ids({"department": support.pk, "active": "false"}) == {leaver.pk}
    assert ids({"department": support.pk, "active": "true"}) == {helper.pk}
    assert ids({"email": helper.email.upper()}) == {helper.pk}


def test_updated_since_finds_people_changed_by_the_form_a_leaver_and_an_import(api):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        edited, leaver, imported, untouched = (UserFactory() for _ in range(4))
    since = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC), tick=False):
        user_update(user=edited, data={"job_title": "Team leader"})
        user_deactivate(user=leaver)
        csv = (
            "email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
            f"{imported.email},{imported.first_name},{imported.last_name},,,Logistics,Driver,,Europe/London\n"
        )
        rows, errors = parse_users(csv.encode())
        plan, plan_errors = plan_users(rows)
        assert errors == plan_errors == []
        apply_users(plan)

    rows = _all(api, "/api/v1/people/", {"updated_since": since.isoformat()})

    assert {row["id"] for row in rows} == {edited.pk, leaver.pk, imported.pk}
    assert untouched.pk not in {row["id"] for row in rows}


def test_courses_filter_by_code_and_status(api):
    CourseFactory(code="FIRE-1", version=1, status=Course.Status.RETIRED)
    current = CourseFactory(code="FIRE-1", version=2)
    CourseFactory(code="GDPR-1")

    rows = _all(api, "/api/v1/courses/", {"code": "fire-1", "status": "published"})

    assert [(row["id"], row["version"]) for row in rows] == [(current.pk, 2)]


def test_assignments_list_with_state_and_filters(api):
    learner = UserFactory()
    course = CourseFactory(code="FIRE-1")
    late = AssignmentFactory(
        learner=learner,
        course=course,
        due_date=timezone.localdate() - dt.timedelta(days=1),
        assigned_on=timezone.localdate() - dt.timedelta(days=10),
    )
    other = AssignmentFactory(learner=learner, course=CourseFactory(code="GDPR-1"))
    Assignment.objects.filter(pk=other.pk).update(
        archived_at=timezone.now(), archived_reason=Assignment.ArchiveReason.OTHER
    )
    AssignmentFactory(course=course)

    mine = _all(api, "/api/v1/assignments/", {"learner": learner.pk})
    active = _all(api, "/api/v1/assignments/", {"learner": learner.pk, "active": "true"})
    by_course = _all(api, "/api/v1/assignments/", {"course_code": "FIRE-1"})

    assert {row["id"]: row["state"] for row in mine} == {late.pk: "overdue", other.pk: "archived"}
    assert [row["id"] for row in active] == [late.pk]
    assert len(by_course) == 2
    one = api.get(f"/api/v1/assignments/{late.pk}/").json()
    assert (one["course_code"], one["learner_email"]) == ("FIRE-1", learner.email)


def test_a_learners_compliance_state_per_course(api):
    learner = UserFactory()
    done = AssignmentFactory(learner=learner, course=CourseFactory(code="FIRE-1"))
    CompletionFactory(learner=learner, course=done.course, assignment=done)
    excused = AssignmentFactory(learner=learner, course=CourseFactory(code="GDPR-1"))
    ExemptionFactory(learner=learner, course_code="GDPR-1")
    CourseFactory(code="AML-1")

    body = api.get(f"/api/v1/people/{learner.pk}/compliance/").json()
    alone = api.get(f"/api/v1/people/{learner.pk}/compliance/", {"course": "aml-1"}).json()
    unknown = api.get(f"/api/v1/people/{learner.pk}/compliance/", {"course": "NOPE"})

    assert {row["course_code"]: row["state"] for row in body["courses"]} == {"FIRE-1": "compliant", "GDPR-1": "exempt"}
    assert next(r for r in body["courses"] if r["course_code"] == "GDPR-1")["assignment"] == excused.pk
    assert [(row["course_code"], row["state"]) for row in alone["courses"]] == [("AML-1", "not_required")]
    assert unknown.status_code == 400
    assert api.get("/api/v1/people/999999/compliance/").status_code == 404


def test_the_organisation_counts_are_the_reports_counts(api):
    sales, support = DepartmentFactory(name="Sales"), DepartmentFactory(name="Support")
    course = CourseFactory(code="FIRE-1")
    done = AssignmentFactory(learner=UserFactory(department=sales), course=course)
    CompletionFactory(learner=done.learner, course=course, assignment=done)
    AssignmentFactory(
        learner=UserFactory(department=sales),
        course=course,
        assigned_on=timezone.localdate() - dt.timedelta(days=9),
        due_date=timezone.localdate() - dt.timedelta(days=2),
    )
    AssignmentFactory(learner=UserFactory(department=support), course=course)
    today = timezone.localdate()
    expected = summarise(scoped_assignments(Scope(), day=today))

    body = api.get("/api/v1/reports/organisation/").json()
    sales_only = api.get("/api/v1/reports/organisation/", {"department": [sales.pk]}).json()

    assert body["total"]["counts"] == expected.total.counts
    assert (body["total"]["required"], body["total"]["compliant"]) == (3, 1)
    assert body["by_course"][0]["key"] == "FIRE-1"
    assert {row["label"] for row in body["by_department"]} == {"Sales", "Support"}
    assert sales_only["total"]["counts"]["overdue"] == 1 and sales_only["total"]["required"] == 2
    assert api.get("/api/v1/reports/organisation/", {"as_of": "2999-01-01"}).status_code == 400


def test_a_list_cursor_that_was_not_given_out_is_a_field_error(api):
    response = api.get("/api/v1/people/", {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/cursor"
