"""The Django admin is no side door around the audit trail (issue 12, item 7).

Every model registered in the admin is classified, once: compliance evidence is
``lms.audit.EVIDENCE_MODELS``; everything else is listed below with the reason it carries none.
An evidence model the admin can add, change or delete (or touch with an action, or through an
inline) must come with a scenario here that makes that write through the admin and finds its
audit row; otherwise the admin must show it read-only.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.forms import CheckboxInput
from django.urls import reverse

from assignments.models import Assignment, AssignmentRule
from assignments.services.rules import rule_save
from courses.models import Course
from courses.tests.factories import AssignmentFactory, CourseFactory, make_course
from lms.audit import EVIDENCE_MODELS
from lms.models import AuditEntry, User
from lms.services import user_deactivate
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

# Registered in the admin, carrying no compliance evidence, and why.
NOT_EVIDENCE = {
    "auth.group": "permission groups for admin users",
    "axes.accessattempt": "sign-in lockout bookkeeping",
    "axes.accesslog": "sign-in log",
    "axes.accessfailurelog": "sign-in failure log",
    "django_celery_beat.periodictask": "when the scheduled jobs run",
    "django_celery_beat.clockedschedule": "when the scheduled jobs run",
    "django_celery_beat.crontabschedule": "when the scheduled jobs run",
    "django_celery_beat.solarschedule": "when the scheduled jobs run",
    "django_celery_beat.intervalschedule": "when the scheduled jobs run",
    "lms.department": "the org chart's names; who is in which department is on the person",
    "lms.scimtoken": "an integration's credential (its digest); the rows it writes name it in the audit trail",
    "courses.module": "course content, changeable only while the course is a Draft",
    "courses.learningresource": "course content, changeable only while the course is a Draft",
    "courses.quiz": "course content, changeable only while the course is a Draft",
    "courses.question": "course content, changeable only while the course is a Draft",
    "courses.choice": "course content, changeable only while the course is a Draft",
    "assignments.moduleprogress": "the player's bookmark of modules read (read-only here anyway)",
    "assignments.importjob": "an upload's bookkeeping; the rows it imports are audited by the import",
    "reports.compliancesnapshot": "figures counted from the evidence each night (read-only here anyway)",
    "reports.teamsnapshot": "figures counted from the evidence each night (read-only here anyway)",
}


def label(model) -> str:
    return model._meta.label_lower


def registered() -> list:
    return sorted(admin.site._registry, key=label)


@pytest.fixture
def superuser():
    return AdminFactory(is_superuser=True, email="root@example.com")


@pytest.fixture
def admin_request(rf, superuser):
    request = rf.get("/django-admin/")
    request.user = superuser
    return request


def admin_form_data(response) -> dict:
    """What the browser would post back from an admin add or change page, untouched."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if field.disabled or value is None:
                continue
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(item) for item in value]
            else:
                data[form.add_prefix(name)] = value
    return data


def post_change(client, obj, **changes):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = admin_form_data(client.get(url))
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def new_rows(since: int, object_type: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=since, object_type=object_type).order_by("pk"))


def last_pk() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- each write the admin may make to evidence, made through the admin ---------------------


def user_added(client, superuser):
    boss, since = UserFactory(), last_pk()
    url = reverse("admin:lms_user_add")
    data = admin_form_data(client.get(url))
    data.update(email="new.starter@example.com", first_name="New", last_name="Starter", manager=boss.pk)
    assert client.post(url, data).status_code == 302
    person = User.objects.get(email="new.starter@example.com")
    assert [(r.action, r.object_id, r.changes, r.actor_id) for r in new_rows(since, "lms.user")] == [
        (
            "create",
            str(person.pk),
            {
                "first_name": [None, "New"],
                "last_name": [None, "Starter"],
                "email": [None, "new.starter@example.com"],
                "manager": [None, boss.pk],
                "is_active": [None, True],
                "is_staff": [None, False],
            },
            superuser.pk,
        )
    ]


def user_changed(client, superuser):
    old, new = UserFactory(), UserFactory()
    person, since = UserFactory(manager=old), last_pk()
    post_change(client, person, manager=new.pk)
    assert [(r.action, r.changes, r.actor_id) for r in new_rows(since, "lms.user")] == [
        ("change", {"manager": [old.pk, new.pk]}, superuser.pk)
    ]


def course_added(client, superuser):
    since, url = last_pk(), reverse("admin:courses_course_add")
    data = admin_form_data(client.get(url))
    data.update(code="FIRE-101", title="Fire safety", description="Evacuation")
    assert client.post(url, data).status_code == 302
    course = Course.objects.get(code="FIRE-101")
    (row,) = new_rows(since, "courses.course")
    assert (row.action, row.object_id, row.actor_id) == ("create", str(course.pk), superuser.pk)
    assert row.changes["pass_mark"] == [None, 80]


def course_changed(client, superuser):
    course = CourseFactory(status=Course.Status.DRAFT, pass_mark=80)
    since = last_pk()
    post_change(client, course, pass_mark=90)
    (row,) = new_rows(since, "courses.course")
    assert (row.action, row.changes, row.actor_id) == ("change", {"pass_mark": [80, 90]}, superuser.pk)


def course_published(client, superuser):
    course = make_course(status=Course.Status.DRAFT, description="Why and how")
    since = last_pk()
    client.post(
        reverse("admin:courses_course_changelist"), {"action": "publish_selected", "_selected_action": [course.pk]}
    )
    (row,) = new_rows(since, "courses.course")
    assert (row.action, row.changes["status"], row.actor_id) == ("change", ["draft", "published"], superuser.pk)


def course_versioned(client, superuser):
    course = make_course()
    since = last_pk()
    client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "new_version_of_selected", "_selected_action": [course.pk]},
    )
    (row,) = new_rows(since, "courses.course")
    assert (row.action, row.changes["version"], row.actor_id) == ("create", [None, 2], superuser.pk)


AUDITED_ADMIN_WRITES = {
    "lms.user": {"add": user_added, "change": user_changed},
    "courses.course": {
        "add": course_added,
        "change": course_changed,
        "action:publish_selected": course_published,
        "action:new_version_of_selected": course_versioned,
    },
}


def writes_of(model_admin, request) -> set[str]:
    writes = {
        permission
        for permission in ("add", "change", "delete")
        if getattr(model_admin, f"has_{permission}_permission")(request)
    }
    # delete_selected is the delete permission, already counted.
    return writes | {f"action:{name}" for name in model_admin.get_actions(request) if name != "delete_selected"}


def test_every_model_in_the_admin_is_classified():
    labels = {label(model) for model in registered()}
    assert labels - EVIDENCE_MODELS - set(NOT_EVIDENCE) == set(), "classify it: EVIDENCE_MODELS or NOT_EVIDENCE"
    assert set(NOT_EVIDENCE) & EVIDENCE_MODELS == set()
    assert set(NOT_EVIDENCE) <= labels, "NOT_EVIDENCE names a model the admin no longer shows"
    assert {"lms.user", "assignments.assignment", "courses.course"} <= labels & EVIDENCE_MODELS
    assert EVIDENCE_MODELS <= {label(model) for model in apps.get_models()}, "EVIDENCE_MODELS names no model"


@pytest.mark.parametrize("model", [m for m in registered() if label(m) in EVIDENCE_MODELS], ids=label)
def test_no_evidence_model_is_writable_in_the_admin_without_an_audit_row(model, admin_request, client, superuser):
    writes = writes_of(admin.site._registry[model], admin_request)
    scenarios = AUDITED_ADMIN_WRITES.get(label(model), {})
    assert writes <= set(scenarios), (
        f"{label(model)} can be written in the Django admin ({sorted(writes - set(scenarios))}) with no audit "
        "row: make its ModelAdmin read-only (lms.admin.ReadOnlyAdminMixin) or save through its services"
    )
    client.force_login(superuser)
    for write in sorted(writes):
        scenarios[write](client, superuser)


@pytest.mark.parametrize("model", registered(), ids=label)
def test_no_admin_page_edits_evidence_inline(model, admin_request):
    for inline in admin.site._registry[model].get_inline_instances(admin_request):
        if label(inline.model) in EVIDENCE_MODELS:
            assert not (
                inline.has_add_permission(admin_request, None)
                or inline.has_change_permission(admin_request, None)
                or inline.has_delete_permission(admin_request, None)
            ), f"{label(model)} edits {label(inline.model)} inline without an audit row"


def test_the_read_only_evidence_pages_still_open(client, superuser):
    assignment = AssignmentFactory()
    client.force_login(superuser)
    url = reverse("admin:assignments_assignment_change", args=[assignment.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="due_date"' not in page.content.decode()
    assert client.post(url, {"due_date": "2027-01-01", "extra_attempts": 5}).status_code == 403
    assignment.refresh_from_db()
    assert assignment.extra_attempts == 0


# --- a person's activity through the admin's tick box -----------------------------------------


def test_ticking_active_in_the_admin_gives_a_returning_leaver_their_rule_training_back(client, superuser):
    dept = DepartmentFactory(name="Warehouse")
    rule = AssignmentRule(
        name="Manual handling", course=CourseFactory(), department=dept, starts_on=dt.date(2026, 1, 1)
    )
    rule_save(rule=rule)
    person = UserFactory(department=dept)
    rule_save(rule=rule)
    original = Assignment.objects.get(learner=person, archived_at=None)
    user_deactivate(user=person)
    client.force_login(superuser)
    since = last_pk()

    post_change(client, person, is_active=True)

    person.refresh_from_db()
    assert person.is_active and person.deactivated_at is None
    restored = Assignment.objects.get(learner=person, archived_at=None)
    assert restored.pk == original.pk
    (row,) = new_rows(since, "lms.user")
    assert (row.actor_id, row.changes["is_active"]) == (superuser.pk, [False, True])
    assert [r.object_id for r in new_rows(since, "assignments.assignment")] == [str(original.pk)]


def test_unticking_active_in_the_admin_archives_the_leavers_assignments(client, superuser):
    assignment = AssignmentFactory()
    client.force_login(superuser)

    post_change(client, assignment.learner, is_active=False)

    assignment.refresh_from_db()
    assert assignment.archived_reason == Assignment.ArchiveReason.LEFT
    assert assignment.learner.is_active is False


def test_a_person_cannot_be_deleted_in_the_admin(client, superuser):
    boss = UserFactory()
    person = UserFactory(manager=boss)
    client.force_login(superuser)
    assert client.post(reverse("admin:lms_user_delete", args=[boss.pk]), {"post": "yes"}).status_code == 403
    person.refresh_from_db()
    assert person.manager_id == boss.pk


def test_the_admin_moves_a_person_through_the_services_so_their_rules_follow(client, superuser):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        office = DepartmentFactory(name="Office")
        rule = AssignmentRule(name="DSE", course=CourseFactory(), department=office, starts_on=dt.date(2026, 1, 1))
        rule_save(rule=rule)
        person = UserFactory()
        client.force_login(superuser)

        post_change(client, person, department=office.pk)

        assert Assignment.objects.filter(learner=person, rule=rule, archived_at=None).exists()
