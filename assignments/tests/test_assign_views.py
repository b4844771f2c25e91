from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment, AssignmentRule, Exemption, ImportJob
from courses.tests.factories import AssignmentFactory, CompletionFactory, CourseFactory
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = AdminFactory()
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.mark.parametrize(
    "name,args",
    [
        ("assignments:assign", []),
        ("assignments:list", []),
        ("assignments:uploads", []),
        ("assignments:rules", []),
        ("assignments:exemptions", []),
        ("assignments:clean_slate", []),
    ],
)
def test_admin_pages_are_forbidden_to_learners(client, name, args):
    client.force_login(UserFactory())
    assert client.get(reverse(name, args=args)).status_code == 403


def test_admin_pages_render_for_admins(admin_client):
    for name in (
        "assign",
        "list",
        "uploads",
        "rules",
        "rule_create",
        "exemptions",
        "clean_slate",
        "notify_not_started",
    ):
        response = admin_client.get(reverse(f"assignments:{name}"))
        assert response.status_code == 200, name
        assert b"style=" not in response.content and b"<script>" not in response.content


def test_assigning_a_department_reports_who_was_skipped(admin_client, django_capture_on_commit_callbacks):
    course = CourseFactory(code="GDPR-101")
    dept = DepartmentFactory(name="Warehouse")
    has_it = UserFactory(department=dept, first_name="Sam", last_name="Skipped")
    UserFactory(department=dept, first_name="Nia", last_name="New")
    AssignmentFactory(learner=has_it, course=course, due_date=dt.date(2030, 1, 15))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("assignments:assign"),
            {
                "course": course.pk,
                "target": "department",
                "department": dept.pk,
                "include_subdepartments": "on",
                "due_mode": "after_assignment",
                "due_days": "14",
            },
        )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Sam Skipped" in text and "already assigned, due 15 Jan 2030" in text
    assert Assignment.objects.filter(course=course, archived_at=None).count() == 2
    assert len(mail.outbox) == 1
    assert Assignment.objects.get(learner__first_name="Nia").source == "department"


def test_assign_form_names_what_is_wrong_and_saves_nothing(admin_client):
    course = CourseFactory()
    response = admin_client.post(
        reverse("assignments:assign"), {"course": course.pk, "target": "learners", "due_mode": "fixed"}
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "learners" in form.errors and "due_date" in form.errors
    assert not Assignment.objects.exists()


def test_archive_one_and_reassign(admin_client):
    assignment = AssignmentFactory(status=Assignment.Status.COMPLETED)
    CompletionFactory(learner=assignment.learner, course=assignment.course, assignment=assignment)

    admin_client.post(
        reverse("assignments:archive", args=[assignment.pk]), {"reason": "retraining", "note": "new policy"}
    )
    assignment.refresh_from_db()
    assert assignment.archived_reason == "retraining"
    response = admin_client.post(
        reverse("assignments:reassign", args=[assignment.pk]),
        {"due_mode": "after_assignment", "due_days": "10", "reason": "retraining"},
    )

    assert response.status_code == 302
    new = Assignment.objects.get(learner=assignment.learner, archived_at=None)
    assert new.due_date == new.assigned_on + dt.timedelta(days=10)
    history = admin_client.get(
        reverse("assignments:learner", args=[assignment.learner_id]), follow=True
    ).content.decode()
    assert history.count("archived") >= 1 and assignment.course_code in history


def test_bulk_archive_and_renotify_selected(admin_client, django_capture_on_commit_callbacks):
    rows = AssignmentFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("assignments:bulk"), {"action": "notify", "ids": [rows[0].pk, rows[1].pk]})
    assert len(mail.outbox) == 2

    admin_client.post(
        reverse("assignments:bulk"), {"action": "archive", "reason": "assigned_in_error", "ids": [rows[2].pk]}
    )
    admin_client.post(reverse("assignments:bulk"), {"action": "archive", "reason": "", "ids": [rows[0].pk]})

    assert list(Assignment.objects.filter(archived_at__isnull=False).values_list("pk", flat=True)) == [rows[2].pk]


def test_notify_everyone_not_started(admin_client, django_capture_on_commit_callbacks):
    course = CourseFactory(code="HS-101")
    AssignmentFactory.create_batch(2, course=course)
    AssignmentFactory(course=course, status=Assignment.Status.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("assignments:notify_not_started"), {"course_code": "HS-101"})

    assert len(mail.outbox) == 2


def test_clean_slate_needs_confirmation(admin_client):
    course = CourseFactory(code="HS-101")
    AssignmentFactory.create_batch(2, course=course)

    admin_client.post(reverse("assignments:clean_slate"), {"course_code": "HS-101", "reason": "clean_slate"})
    assert Assignment.objects.filter(archived_at=None).count() == 2
    admin_client.post(
        reverse("assignments:clean_slate"), {"course_code": "HS-101", "reason": "clean_slate", "confirm": "on"}
    )
    assert Assignment.objects.filter(archived_at=None).count() == 0


def test_rule_is_previewed_before_it_is_saved(admin_client):
    dept = DepartmentFactory()
    UserFactory.create_batch(2, department=dept)
    course = CourseFactory()
    data = {
        "name": "Dept rule",
        "course": course.pk,
        "department": dept.pk,
        "include_subdepartments": "on",
        "due_mode": "from_assignment",
        "due_days": "7",
        "starts_on": timezone.localdate().isoformat(),
    }

    preview = admin_client.post(reverse("assignments:rule_create"), data)
    assert preview.status_code == 200 and preview.context["preview"].to_assign == 2
    assert not AssignmentRule.objects.exists()

    admin_client.post(reverse("assignments:rule_create"), {**data, "confirm": "1"})
    assert Assignment.objects.filter(rule__name="Dept rule").count() == 2


def test_exemption_granted_and_ended_in_the_browser(admin_client):
    learner = UserFactory()
    assignment = AssignmentFactory(
        learner=learner,
        assigned_on=timezone.localdate() - dt.timedelta(days=20),
        due_date=timezone.localdate() + dt.timedelta(days=5),
    )
    start = timezone.localdate() - dt.timedelta(days=9)

    admin_client.post(
        reverse("assignments:exemptions"),
        {"learner": learner.pk, "course_code": "", "reason": "sick_leave", "starts_on": start.isoformat()},
    )
    exemption = Exemption.objects.get()
    assert exemption.approved_by == admin_client.admin
    admin_client.post(
        reverse("assignments:exemption_end", args=[exemption.pk]), {"ended_on": timezone.localdate().isoformat()}
    )

    assignment.refresh_from_db()
    assert assignment.due_date == timezone.localdate() + dt.timedelta(days=15)


def test_upload_check_preview_confirm_and_status_endpoint(admin_client, django_capture_on_commit_callbacks):
    data = b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\nnew@example.com,N,P,,,,,,\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("assignments:uploads"),
            {"kind": "users", "file": SimpleUploadedFile("people.csv", data, "text/csv")},
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.READY
    status = admin_client.get(reverse("assignments:upload_status", args=[job.pk])).json()
    assert status == {
        "status": "ready",
        "status_label": "Checked; waiting for confirmation",
        "total": 1,
        "processed": 1,
        "running": False,
        "errors": 0,
    }

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("assignments:upload_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert UserFactory._meta.model.objects.filter(email="new@example.com").exists()
    # Confirming twice imports nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("assignments:upload_confirm", args=[job.pk]))
    assert UserFactory._meta.model.objects.filter(email="new@example.com").count() == 1


def test_after_confirming_the_page_follows_the_import_instead_of_offering_confirm_again(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    """Eyes 14, F4: the worker had not started yet when the page came back, and the page showed
    "Checked; waiting for confirmation" with the button, without polling, until a reload."""
    from assignments.services import imports

    queued = []
    monkeypatch.setattr("assignments.views.lifecycle.import_job_apply_task.delay", lambda pk: queued.append(pk))
    csv_bytes = b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
    csv_bytes += b"later@example.com,Lee,Later,,,,,,\n"
    job = ImportJob.objects.create(kind="users", filename="people.csv", content=csv_bytes, total=1)
    imports.import_job_check(job_id=job.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("assignments:upload_confirm", args=[job.pk]), follow=True)

    page = response.content.decode()
    assert queued == [job.pk]
    assert "Confirmed; waiting to import" in page and "data-import-status-url" in page
    assert "Confirm and import" not in page
    status = admin_client.get(reverse("assignments:upload_status", args=[job.pk])).json()
    assert (status["status"], status["running"]) == ("confirmed", True)
    # A second press is refused and queues nothing; the worker then imports once.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("assignments:upload_confirm", args=[job.pk]))
    assert queued == [job.pk]
    imports.import_job_apply(job_id=job.pk)
    page = admin_client.get(reverse("assignments:upload", args=[job.pk])).content.decode()
    assert "Imported." in page and "data-import-status-url" not in page


def test_learner_sees_their_own_history_only(client):
    learner = UserFactory()
    mine = CompletionFactory(learner=learner)
    theirs = CompletionFactory()
    client.force_login(learner)

    text = client.get(reverse("assignments:my_history")).content.decode()

    assert mine.certificate_number in text and theirs.certificate_number not in text
    assert client.get(reverse("assignments:learner", args=[learner.pk])).status_code == 403


def test_unknown_objects_are_404(admin_client):
    assert admin_client.get(reverse("assignments:archive", args=[999])).status_code == 404
    assert admin_client.get(reverse("assignments:upload", args=[999])).status_code == 404
    assert admin_client.get(reverse("assignments:learner", args=[999])).status_code == 404
