"""The audit trail: exactly one row per create, change, archive or delete of the records that are
compliance evidence or decide who must train, written in the transaction of the change; the
admin pages to browse and export it; and on PostgreSQL a trigger that refuses to rewrite it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from assignments.models import Assignment, AssignmentRule, Completion
from assignments.services.archive import assignment_archive, course_clean_slate
from assignments.services.assign import DueMode, DueSpec, assignments_create
from assignments.services.attempts import attempt_start, attempt_submit
from assignments.services.exemptions import exemption_end, exemption_grant, exemption_revoke
from assignments.services.imports import import_run
from assignments.services.rules import rule_deactivate, rule_save
from courses.models import Course
from courses.services.authoring import course_create, course_new_version, course_update
from courses.tests.factories import AssignmentFactory, CompletionFactory, CourseFactory, answers_for, make_course
from escalation.forms import EscalationPolicyForm, StepFormSet
from escalation.models import EscalationPolicy
from escalation.services import policy_save
from lms.audit import audit_record, audit_record_many
from lms.models import AuditEntry, User
from lms.services import user_create, user_update
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin():
    return AdminFactory(email="auditor@example.com")


def entries(label: str | None = None, action: str | None = None) -> list[AuditEntry]:
    qs = AuditEntry.objects.order_by("pk")
    if label:
        qs = qs.filter(object_type=label)
    if action:
        qs = qs.filter(action=action)
    return list(qs)


# --- every audited write leaves exactly one row ---------------------------------------------


def test_a_person_created_and_each_change_of_them_leave_one_row_with_every_field(admin):
    """Eyes 14, F3: a person added by hand is in the trail with their name, email and the rest,
    and every change of a tracked field (not only the manager) is recorded."""
    boss, other = UserFactory(), UserFactory()
    sales = DepartmentFactory(name="Sales")

    person = user_create(
        email="new@example.com", first_name="N", last_name="P", manager=boss, department=sales, actor=admin
    )
    user_update(user=person, data={"job_title": "Clerk"}, actor=admin)
    user_update(user=person, data={"manager": other, "department": None}, actor=admin)
    user_update(user=person, data={"manager": other, "job_title": "Clerk"}, actor=admin)  # nothing changes: no row

    rows = entries("lms.user")
    assert [(r.action, r.object_id, r.changes, r.actor_id) for r in rows] == [
        (
            "create",
            str(person.pk),
            {
                "first_name": [None, "N"],
                "last_name": [None, "P"],
                "email": [None, "new@example.com"],
                "department": [None, sales.pk],
                "manager": [None, boss.pk],
                "is_active": [None, True],
                "is_staff": [None, False],
            },
            admin.pk,
        ),
        ("change", str(person.pk), {"job_title": ["", "Clerk"]}, admin.pk),
        ("change", str(person.pk), {"department": [sales.pk, None], "manager": [boss.pk, other.pk]}, admin.pk),
    ]
    assert rows[0].at == NOW and rows[0].at.utcoffset() == dt.timedelta(0)


def test_the_admin_form_records_the_manager_change_with_the_admin_as_actor(client, admin):
    boss, person = UserFactory(), UserFactory()
    client.force_login(admin)
    response = client.post(
        reverse("person_edit", args=[person.pk]),
        {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "manager": boss.pk,
            "department": person.department_id,
            "job_title": person.job_title,
            "timezone": "Europe/London",
        },
    )
    assert response.status_code == 302
    (row,) = entries("lms.user")
    assert (row.action, row.actor_id, row.changes) == ("change", admin.pk, {"manager": [None, boss.pk]})


def test_assigning_three_learners_writes_three_create_rows(admin):
    course = CourseFactory()
    learners = UserFactory.create_batch(3)

    result = assignments_create(
        course=course, learners=learners, due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=10), assigned_by=admin
    )

    rows = entries("assignments.assignment")
    assert sorted(int(r.object_id) for r in rows) == sorted(a.pk for a in result.created)
    assert {r.action for r in rows} == {"create"} and {r.actor_id for r in rows} == {admin.pk}
    assert rows[0].changes["due_date"] == [None, "2026-03-12"]
    assert rows[0].changes["course"] == [None, f"{course.code} v1"]


def test_archiving_records_the_reason_and_a_clean_slate_is_one_row_per_assignment(admin):
    course = CourseFactory()
    single = AssignmentFactory(course=course)
    assignment_archive(assignment=single, reason="assigned_in_error", note="Wrong person", actor=admin)
    (row,) = entries("assignments.assignment", "archive")
    assert row.reason == "Wrong person" and row.changes["archived_reason"] == ["", "assigned_in_error"]

    others = [AssignmentFactory(course=course) for _ in range(4)]
    assert course_clean_slate(course_code=course.code, actor=admin) == 4
    archived = entries("assignments.assignment", "archive")
    assert sorted(int(r.object_id) for r in archived[1:]) == sorted(a.pk for a in others)
    assert {r.reason for r in archived[1:]} == {"Annual clean slate"}


@pytest.mark.parametrize("size", [3, 40])
def test_a_clean_slate_writes_its_audit_rows_in_a_constant_number_of_queries(size, django_assert_num_queries):
    course = CourseFactory()
    for _ in range(size):
        AssignmentFactory(course=course)
    # select ids for update, UPDATE, one audit INSERT (and the savepoint of the atomic block).
    with django_assert_num_queries(5):
        course_clean_slate(course_code=course.code)
    assert AuditEntry.objects.filter(action="archive").count() == size


def test_an_attempt_is_created_when_started_and_changed_when_submitted_and_a_pass_creates_a_completion():
    course = make_course(questions=2)
    assignment = AssignmentFactory(course=course)
    quiz = course.quizzes.get()

    attempt = attempt_start(assignment=assignment, quiz=quiz)
    attempt_submit(attempt=attempt, answers=answers_for(attempt))

    attempt_rows = entries("assignments.attempt")
    assert [(r.action, r.object_id) for r in attempt_rows] == [("create", str(attempt.pk)), ("change", str(attempt.pk))]
    assert attempt_rows[1].changes["score"] == [None, "100"]
    assert attempt_rows[1].changes["passed"] == [None, True]
    assert {r.actor_id for r in attempt_rows} == {assignment.learner_id}
    completion = Completion.objects.get()
    (row,) = entries("assignments.completion")
    assert row.action == "create" and row.object_id == str(completion.pk)
    assert row.changes["certificate_number"] == [None, completion.certificate_number]


def test_a_replayed_submission_writes_nothing_more():
    course = make_course(questions=1)
    assignment = AssignmentFactory(course=course)
    attempt = attempt_start(assignment=assignment, quiz=course.quizzes.get())
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    before = AuditEntry.objects.count()
    attempt_submit(attempt=attempt, answers=answers_for(attempt))
    assert AuditEntry.objects.count() == before


def test_exemptions_granted_revoked_and_ended_each_leave_one_row(admin):
    learner = UserFactory()
    today = dt.date(2026, 3, 2)
    granted = exemption_grant(
        learner=learner, reason="sick_leave", approved_by=admin, starts_on=today, note="Doctor's note"
    )
    exemption_revoke(exemption=granted, actor=admin)
    AssignmentFactory(learner=learner, due_date=today + dt.timedelta(days=5), assigned_on=today)
    ended = exemption_grant(
        learner=learner, reason="parental_leave", approved_by=admin, starts_on=today, ends_on=today + dt.timedelta(9)
    )
    assert exemption_end(exemption=ended, actor=admin) == 1

    rows = entries("assignments.exemption")
    assert [(r.action, r.object_id) for r in rows] == [
        ("create", str(granted.pk)),
        ("change", str(granted.pk)),
        ("create", str(ended.pk)),
        ("change", str(ended.pk)),
    ]
    assert rows[0].reason == "Doctor's note" and "revoked_at" in rows[1].changes
    moved = entries("assignments.assignment", "change")
    assert len(moved) == 1 and moved[0].changes["due_date"] == ["2026-03-07", "2026-03-17"]
    # Ending again moves nothing and records nothing.
    exemption_end(exemption=ended, actor=admin)
    assert len(entries("assignments.exemption")) == 4


def test_a_rule_created_changed_and_stopped_leaves_three_rows(admin):
    course = CourseFactory()
    department = DepartmentFactory()
    rule = AssignmentRule(name="Warehouse", course=course, department=department, starts_on=dt.date(2026, 1, 1))
    rule_save(rule=rule, actor=admin)
    rule.due_days = 60
    rule_save(rule=rule, actor=admin)
    rule_save(rule=rule, actor=admin)  # nothing changed: no row
    rule_deactivate(rule=rule, actor=admin)

    rows = entries("assignments.assignmentrule")
    assert [r.action for r in rows] == ["create", "change", "change"]
    assert rows[1].changes == {"due_days": [30, 60]}
    assert rows[2].changes == {"is_active": [True, False]}


def test_course_rules_are_recorded_when_created_changed_published_and_versioned(admin):
    course = course_create(data={"code": "AML-1", "title": "Anti-money laundering", "pass_mark": 80}, actor=admin)
    course_update(course=course, data={"pass_mark": 85, "max_attempts": 2}, actor=admin)
    course_update(course=course, data={"pass_mark": 85}, actor=admin)  # nothing changed: no row
    published = make_course(code="FIRE-1")  # made by a factory: no audit row of its own
    new = course_new_version(course=published, actor=admin)

    rows = entries("courses.course")
    assert [(r.action, r.object_id) for r in rows] == [
        ("create", str(course.pk)),
        ("change", str(course.pk)),
        ("create", str(new.pk)),
    ]
    assert rows[0].changes["pass_mark"] == [None, 80]
    assert rows[1].changes == {"pass_mark": [80, 85], "max_attempts": [None, 2]}
    assert rows[2].changes["version"] == [None, 2] and "FIRE-1 v1" in rows[2].reason


def test_publishing_is_a_change_of_status(client, admin):
    course = make_course(status=Course.Status.DRAFT, description="About fire safety.")
    client.force_login(admin)
    client.post(reverse("authoring_course_publish", args=[course.pk]))
    course.refresh_from_db()
    assert course.status == "published"
    (row,) = entries("courses.course")
    assert (row.action, row.actor_id, row.changes) == ("change", admin.pk, {"status": ["draft", "published"]})


def _policy_post(policy: EscalationPolicy | None, **overrides) -> dict:
    data = {
        "name": "Fire policy",
        "course_code": "FIRE-1",
        "reminder_days": "7, 1",
        "notify_learner_on_fail": "on",
        "notify_manager_on_fail": "on",
        "attempts_after_review": 1,
        "retake_deadline_days": 14,
        "clean_slate_due_days": 30,
        "steps-TOTAL_FORMS": 1,
        "steps-INITIAL_FORMS": 0,
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
        "steps-0-days_overdue": 1,  # day 1 is the first day overdue (issue 12 item 27)
        "steps-0-notify_manager": "on",
        "steps-0-new_deadline_days": 7,
    }
    data.update(overrides)
    return data


def test_an_escalation_policy_created_and_changed_leaves_one_row_each_with_the_ladder(admin):
    CourseFactory(code="FIRE-1")
    data = _policy_post(None)
    form = EscalationPolicyForm(data, course_codes=["FIRE-1"])
    steps = StepFormSet(data, instance=EscalationPolicy())
    assert form.is_valid(), form.errors
    assert steps.is_valid(), steps.errors
    policy = policy_save(form=form, steps=steps, actor=admin)

    step = policy.steps.get()
    data = _policy_post(
        policy,
        retake_deadline_days=21,
        **{"steps-INITIAL_FORMS": 1, "steps-0-id": step.pk, "steps-0-policy": policy.pk, "steps-0-days_overdue": 3},
    )
    form = EscalationPolicyForm(data, instance=policy)
    steps = StepFormSet(data, instance=policy)
    assert form.is_valid() and steps.is_valid(), (form.errors, steps.errors)
    policy_save(form=form, steps=steps, actor=admin)

    rows = entries("escalation.escalationpolicy")
    assert [(r.action, r.actor_id) for r in rows] == [("create", admin.pk), ("change", admin.pk)]
    assert rows[0].changes["ladder"][1][0]["days_overdue"] == 1
    assert rows[1].changes["retake_deadline_days"] == [14, 21]
    assert rows[1].changes["ladder"][0][0]["days_overdue"] == 1
    assert rows[1].changes["ladder"][1][0]["days_overdue"] == 3


def test_imports_record_managers_assignments_and_completions_in_bulk(admin):
    boss = UserFactory(email="boss@example.com")
    course = CourseFactory(code="GDPR-1")
    users_csv = (
        b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
        b"ann@example.com,Ann,A,,boss@example.com,,,,\n"
        b"bob@example.com,Bob,B,,,,,,\n"
    )
    assert import_run(kind="users", data=users_csv, dry_run=False, actor=admin).applied
    ann, bob = User.objects.get(email="ann@example.com"), User.objects.get(email="bob@example.com")
    rows = entries("lms.user")
    assert [(row.action, row.object_id, row.changes, row.actor_id) for row in rows] == [
        (
            "create",
            str(person.pk),
            {
                "first_name": [None, person.first_name],
                "last_name": [None, person.last_name],
                "email": [None, person.email],
                **({"manager": [None, boss.pk]} if person == ann else {}),
                "is_active": [None, True],
                "is_staff": [None, False],
            },
            admin.pk,
        )
        for person in (ann, bob)
    ]
    moved = b"email,first_name,last_name,employee_id,manager_email,department,job_title,hire_date,timezone\n"
    moved += b"bob@example.com,Bob,B,,,Sales,,,\n"
    assert import_run(kind="users", data=moved, dry_run=False, actor=admin).applied
    bob.refresh_from_db()
    change = entries("lms.user")[-1]
    assert (change.action, change.object_id, change.changes) == (
        "change",
        str(bob.pk),
        {"department": [None, bob.department_id]},
    )

    assignments_csv = b"email,course_code,action,due_date\nann@example.com,GDPR-1,assign,2026-04-01\n"
    assert import_run(kind="assignments", data=assignments_csv, dry_run=False, actor=admin).applied
    assert len(entries("assignments.assignment", "create")) == 1

    completions_csv = (
        b"email,course_code,completed_at,score,certificate_number\n"
        b"bob@example.com,GDPR-1,2025-05-01,90,OLD-1\nann@example.com,GDPR-1,2025-06-01,,\n"
    )
    assert import_run(kind="completions", data=completions_csv, dry_run=False, actor=admin).applied
    rows = entries("assignments.completion")
    assert sorted(int(r.object_id) for r in rows) == sorted(Completion.objects.values_list("pk", flat=True))
    assert {r.actor_id for r in rows} == {admin.pk} and course.code == "GDPR-1"


def test_a_refused_change_leaves_no_audit_row(admin):
    course = CourseFactory()
    existing = AssignmentFactory(course=course)
    with pytest.raises(ValidationError):
        assignment_archive(assignment=existing, reason="not-a-reason", actor=admin)
    with pytest.raises(ValueError), transaction.atomic():
        assignments_create(course=course, learners=[UserFactory()], due=DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=1))
        raise ValueError("the surrounding request failed")
    assert AuditEntry.objects.count() == 0
    assert Assignment.objects.count() == 1


def test_audit_record_many_is_one_insert_and_unknown_actions_are_refused(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert audit_record_many(
            actor=None, action="create", obj_label="x.y", entries=[(i, {"a": [None, i]}) for i in range(100)]
        )
    with pytest.raises(ValueError):
        audit_record(actor=None, action="rewrite", obj_label="x.y", obj_id=1)


# --- the database refuses to rewrite history (PostgreSQL) -----------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["lms_auditentry", "assignments_completion"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_the_database_refuses_update_and_delete_of_history(table, statement):
    audit_record(actor=None, action="create", obj_label="x.y", obj_id=1, changes={})
    CompletionFactory()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))
    assert AuditEntry.objects.count() == 1 and Completion.objects.count() == 1


@pytest.mark.postgres
def test_inserting_history_is_still_allowed_on_postgresql():
    audit_record(actor=None, action="create", obj_label="x.y", obj_id=1, changes={})
    CompletionFactory()
    assert AuditEntry.objects.count() == 1 and Completion.objects.count() == 1


# --- browsing and exporting -----------------------------------------------------------------


@pytest.fixture
def trail(admin):
    other_admin = AdminFactory(email="second@example.com")
    audit_record(actor=admin, action="create", obj_label="assignments.assignment", obj_id=1, changes={"a": [None, 1]})
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        audit_record(
            actor=other_admin,
            action="archive",
            obj_label="assignments.assignment",
            obj_id=1,
            changes={"archived_reason": ["", "left"]},
            reason="=HYPERLINK(evil)",
        )
    audit_record(actor=None, action="change", obj_label="lms.user", obj_id=7, changes={"manager": [1, 2]})
    return admin, other_admin


def test_admins_browse_the_trail_with_filters(client, trail):
    admin, other_admin = trail
    client.force_login(admin)

    everything = client.get(reverse("audit"))
    assert everything.status_code == 200 and everything.context["page"].paginator.count == 3

    by_type = client.get(reverse("audit"), {"object_type": "lms.user"})
    assert [e.object_type for e in by_type.context["page"]] == ["lms.user"]

    by_actor = client.get(reverse("audit"), {"actor": "SECOND@example.com"})
    assert [e.actor_id for e in by_actor.context["page"]] == [other_admin.pk]

    by_dates = client.get(reverse("audit"), {"date_from": "2026-03-04", "date_to": "2026-03-06"})
    assert [e.action for e in by_dates.context["page"]] == ["archive"]

    unknown_actor = client.get(reverse("audit"), {"actor": "nobody@example.com"})
    assert unknown_actor.context["page"].paginator.count == 0


def test_the_csv_export_reads_in_batches_and_keeps_every_row_once(client, admin, monkeypatch):
    audit_record_many(actor=None, action="create", obj_label="x.y", entries=[(i, {}) for i in range(7)])
    audit_record(actor=admin, action="change", obj_label="x.y", obj_id=99, changes={})
    from lms import views

    real = views._in_batches
    monkeypatch.setattr(views, "_in_batches", lambda entries: real(entries, size=3))
    client.force_login(admin)
    response = client.get(reverse("audit_export_csv"), {"object_type": "x.y"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]
    assert [row[5] for row in rows] == ["99", *[str(i) for i in range(6, -1, -1)]]


def test_the_trail_is_paginated(client, admin):
    audit_record_many(actor=None, action="create", obj_label="x.y", entries=[(i, {}) for i in range(120)])
    client.force_login(admin)
    page3 = client.get(reverse("audit"), {"page": 3})
    assert len(page3.context["page"]) == 20 and page3.context["page"].paginator.num_pages == 3


def test_csv_export_streams_every_matching_row_in_utc_and_defuses_formulas(client, trail):
    admin, _other = trail
    client.force_login(admin)
    response = client.get(reverse("audit_export_csv"), {"object_type": "assignments.assignment"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["at_utc", "actor_id", "actor_email", "action"]
    assert [row[3] for row in rows[1:]] == ["archive", "create"]
    assert rows[1][0] == "2026-03-05T10:00:00+00:00"
    assert rows[1][7] == "'=HYPERLINK(evil)"


def test_pdf_export_is_a_pdf_with_a_note_when_capped(client, trail, monkeypatch):
    admin, _other = trail
    monkeypatch.setattr("lms.views.AUDIT_PDF_MAX_ROWS", 2)
    client.force_login(admin)
    response = client.get(reverse("audit_export_pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].endswith('.pdf"')
    html = render_to_string("lms/audit_pdf.html", {"entries": [], "total": 3, "capped": True})
    assert "newest 0 of 3" in html


@pytest.mark.parametrize("name", ["audit", "audit_export_csv", "audit_export_pdf"])
def test_the_trail_is_for_admins_only(client, name):
    lead = UserFactory()
    UserFactory(manager=lead)
    client.force_login(lead)
    assert client.get(reverse(name)).status_code == 403
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def test_admins_see_the_audit_trail_in_their_menu(client, admin):
    client.force_login(admin)
    labels = [str(item["label"]) for item in client.get(reverse("home")).context["nav_items"]]
    assert "Audit trail" in labels
