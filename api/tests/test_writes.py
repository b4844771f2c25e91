"""Writes go through the services the browser uses: the same assignment rows, audit rows (naming
the token), case-file events and outbox notices; refusals are problems naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from assignments.models import Assignment
from courses.models import Course
from courses.tests.factories import AssignmentFactory, CourseFactory
from escalation.models import EscalationEvent, Notification
from lms.models import AuditEntry
from lms.services import user_deactivate
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _audit(action: str, pk: int) -> AuditEntry:
    return AuditEntry.objects.get(object_type="assignments.assignment", object_id=str(pk), action=action)


def test_assigning_through_the_api_is_assigning_in_the_browser(api, django_capture_on_commit_callbacks):
    learner = UserFactory()
    CourseFactory(code="FIRE-1", version=1, status=Course.Status.RETIRED)
    course = CourseFactory(code="FIRE-1", version=2, default_due_days=21)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/assignments/", {"learner": learner.pk, "course_code": "fire-1"})

    assert response.status_code == 201
    body = response.json()
    assignment = Assignment.objects.get(pk=body["id"])
    assert (assignment.learner, assignment.course, assignment.archived_at) == (learner, course, None)
    assert assignment.due_date == assignment.assigned_on + dt.timedelta(days=21)
    assert body["state"] == "due" and body["course_version"] == 2
    entry = _audit("create", assignment.pk)
    assert entry.actor is None
    assert entry.reason == f"Via API token “{api.token_row.name}” (#{api.token_row.pk})"
    assert Notification.objects.filter(recipient=learner, kind="assigned", assignment=assignment).count() == 1
    assert EscalationEvent.objects.filter(assignment=assignment, kind="assigned").count() == 1
    # Eyes 14, F6: the assignment and its case file say it came through the API, naming the token.
    assert (assignment.source, assignment.get_source_display()) == ("api", "Assigned through the API")
    event = EscalationEvent.objects.get(assignment=assignment, kind="assigned")
    assert event.reason.startswith(
        f"Assigned through the API (token “{api.token_row.name}” (#{api.token_row.pk})), due "
    )


def test_an_assignment_with_a_due_date_and_no_email(api, django_capture_on_commit_callbacks):
    learner = UserFactory()
    CourseFactory(code="GDPR-1")
    due = timezone.localdate() + dt.timedelta(days=40)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/assignments/",
            {"learner": learner.pk, "course_code": "GDPR-1", "due_date": due.isoformat(), "notify": False},
        )

    assert response.status_code == 201
    assert response.json()["due_date"] == due.isoformat()
    assert not Notification.objects.filter(recipient=learner, kind="assigned").exists()


def test_the_services_refusals_are_field_errors_and_change_nothing(api):
    learner = UserFactory()
    course = CourseFactory(code="FIRE-1")
    existing = AssignmentFactory(learner=learner, course=course)
    CourseFactory(code="DRAFT-1", status=Course.Status.DRAFT)
    before = AuditEntry.objects.count()

    again = api.post("/api/v1/assignments/", {"learner": learner.pk, "course_code": "FIRE-1"})
    past = api.post(
        "/api/v1/assignments/", {"learner": UserFactory().pk, "course_code": "FIRE-1", "due_date": "2001-01-01"}
    )
    draft = api.post("/api/v1/assignments/", {"learner": learner.pk, "course_code": "DRAFT-1"})
    both = api.post(
        "/api/v1/assignments/",
        {"learner": learner.pk, "course_code": "FIRE-1", "due_date": "2030-01-01", "due_days": 3},
    )

    assert again.status_code == 400 and again.json()["errors"][0]["pointer"] == "#/learner"
    assert "already has" in again.json()["errors"][0]["detail"]
    assert past.json()["errors"] == [{"pointer": "#/due_date", "detail": "The due date cannot be in the past."}]
    assert draft.json()["errors"][0]["pointer"] == "#/course_code"
    assert both.json()["errors"][0]["pointer"] == "#/due_days"
    assert Assignment.objects.filter(learner=learner).get() == existing
    assert AuditEntry.objects.count() == before


def test_a_leaver_cannot_be_assigned(api):
    leaver = UserFactory()
    user_deactivate(user=leaver)
    CourseFactory(code="FIRE-1")

    response = api.post("/api/v1/assignments/", {"learner": leaver.pk, "course_code": "FIRE-1"})

    assert response.status_code == 400
    assert not Assignment.objects.filter(learner=leaver).exists()


def test_archiving_through_the_api(api, django_capture_on_commit_callbacks):
    assignment = AssignmentFactory(course=CourseFactory(code="FIRE-1"))

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/assignments/{assignment.pk}/archive/", {"reason": "assigned_in_error", "note": "Wrong team"}
        )
    again = api.post(f"/api/v1/assignments/{assignment.pk}/archive/", {"reason": "other"})
    bad = api.post(f"/api/v1/assignments/{assignment.pk}/archive/", {"reason": "bored"})
    missing = api.post("/api/v1/assignments/999999/archive/", {"reason": "other"})

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["archived_reason"]) == ("archived", "assigned_in_error")
    assignment.refresh_from_db()
    assert assignment.archived_reason == "assigned_in_error" and assignment.archive_note == "Wrong team"
    entry = _audit("archive", assignment.pk)
    assert entry.actor is None and entry.reason == f"Wrong team (via {api.token_row.audit_label})"
    assert EscalationEvent.objects.filter(assignment=assignment, kind="archived").count() == 1
    assert again.status_code == 409 and again.json()["type"].endswith("#problem-conflict")
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "#/reason"
    assert missing.status_code == 404 and missing.json()["type"].endswith("#problem-not-found")


def test_reassigning_through_the_api(api, django_capture_on_commit_callbacks):
    old = AssignmentFactory(course=CourseFactory(code="FIRE-1", default_due_days=14))
    newer = CourseFactory(code="FIRE-1", version=2, default_due_days=10)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/assignments/{old.pk}/reassign/", {"due_days": 5})

    assert response.status_code == 201
    new = Assignment.objects.get(pk=response.json()["id"])
    old.refresh_from_db()
    assert old.archived_reason == "retraining" and new.archived_at is None
    assert (new.course, new.learner_id) == (newer, old.learner_id)
    assert new.due_date == new.assigned_on + dt.timedelta(days=5)
    assert _audit("archive", old.pk).reason.endswith(f"(via {api.token_row.audit_label})")
    assert _audit("create", new.pk).reason == f"Via {api.token_row.audit_label}"
    assert Notification.objects.filter(assignment=new, kind="assigned").count() == 1

    # The old row again: the learner now has another active assignment of the course.
    conflict = api.post(f"/api/v1/assignments/{old.pk}/reassign/", {})
    assert conflict.status_code == 409


def test_a_leavers_assignment_is_not_reassigned(api):
    assignment = AssignmentFactory(course=CourseFactory(code="FIRE-1"))
    user_deactivate(user=assignment.learner)

    response = api.post(f"/api/v1/assignments/{assignment.pk}/reassign/", {})

    assert response.status_code == 409
    assert Assignment.objects.filter(learner=assignment.learner, archived_at=None).count() == 0
