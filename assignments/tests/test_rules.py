from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from assignments.models import Assignment, AssignmentRule, ModuleProgress
from assignments.services.rules import rule_deactivate, rule_preview, rule_save
from courses.tests.factories import AssignmentFactory, CourseFactory, make_course
from lms.models import AuditEntry
from lms.services import user_create, user_deactivate, user_reactivate, user_update
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def make_rule(**fields) -> AssignmentRule:
    fields.setdefault("name", "Warehouse safety")
    fields.setdefault("course", CourseFactory())
    fields.setdefault("starts_on", dt.date(2026, 1, 1))
    rule = AssignmentRule(**fields)
    rule_save(rule=rule)
    return rule


def active(learner, course) -> Assignment | None:
    return Assignment.objects.filter(learner=learner, course_code=course.code, archived_at=None).first()


def test_saving_a_rule_assigns_everyone_it_covers_including_sub_departments():
    ops = DepartmentFactory(name="Operations")
    warehouse = DepartmentFactory(name="Warehouse", parent=ops)
    inside, nested, outside = UserFactory(department=ops), UserFactory(department=warehouse), UserFactory()

    rule = make_rule(department=ops, include_subdepartments=True)

    assert active(inside, rule.course).source == Assignment.Source.RULE
    assert active(nested, rule.course).rule == rule
    assert active(outside, rule.course) is None


def test_job_title_rule_matches_regardless_of_case():
    driver, analyst = UserFactory(job_title="Forklift Driver"), UserFactory(job_title="Analyst")

    rule = make_rule(job_title="forklift driver")

    assert active(driver, rule.course) is not None
    assert active(analyst, rule.course) is None


def test_due_from_joining_uses_the_later_of_hire_date_and_rule_start():
    dept = DepartmentFactory()
    veteran = UserFactory(department=dept, hire_date=dt.date(2020, 5, 1))
    starter = UserFactory(department=dept, hire_date=dt.date(2026, 2, 20))

    rule = make_rule(
        department=dept, due_mode=AssignmentRule.DueMode.FROM_JOINING, due_days=30, starts_on=dt.date(2026, 2, 1)
    )

    assert active(veteran, rule.course).due_date == dt.date(2026, 3, 3)
    assert active(starter, rule.course).due_date == dt.date(2026, 3, 22)


def test_due_from_assignment_counts_from_today():
    dept = DepartmentFactory()
    person = UserFactory(department=dept)

    rule = make_rule(department=dept, due_mode=AssignmentRule.DueMode.FROM_ASSIGNMENT, due_days=10)

    assert active(person, rule.course).due_date == dt.date(2026, 3, 12)


def test_a_new_user_picks_up_their_rules_when_created():
    dept = DepartmentFactory(name="Warehouse")
    rule = make_rule(department=dept, due_days=14, starts_on=dt.date(2026, 1, 1))

    person = user_create(
        email="new@example.com", first_name="New", last_name="Starter", department=dept, hire_date=dt.date(2026, 3, 9)
    )

    assignment = active(person, rule.course)
    assert assignment.rule == rule and assignment.due_date == dt.date(2026, 3, 23)


def test_a_moved_user_gets_the_new_departments_rules_and_loses_the_old_ones():
    old, new = DepartmentFactory(name="Sales"), DepartmentFactory(name="Warehouse")
    sales_rule = make_rule(name="Sales ethics", department=old)
    warehouse_rule = make_rule(name="Manual handling", department=new)
    person = UserFactory(department=old)
    make_rule(name="Refresh", department=old, course=sales_rule.course)  # a second rule, same course
    sales_rule.refresh_from_db()

    user_update(user=person, data={"department": new})

    assert active(person, warehouse_rule.course) is not None
    archived = Assignment.objects.get(learner=person, course_code=sales_rule.course.code)
    assert archived.archived_reason == Assignment.ArchiveReason.RULE_ENDED


def test_moving_back_restores_the_same_assignment_with_its_progress():
    course = make_course()
    old, new = DepartmentFactory(name="Warehouse"), DepartmentFactory(name="Office")
    rule = make_rule(department=old, course=course)
    person = UserFactory(department=old)
    rule_save(rule=rule)
    original = active(person, course)
    ModuleProgress.objects.create(
        assignment=original, module=course.modules.first(), completed_at=dt.datetime.now(dt.UTC)
    )

    user_update(user=person, data={"department": new})
    assert active(person, course) is None
    user_update(user=person, data={"department": old})

    restored = active(person, course)
    assert restored.pk == original.pk
    assert restored.module_progress.count() == 1
    assert Assignment.objects.filter(learner=person, course_code=course.code).count() == 1


def test_moving_back_gets_a_new_assignment_only_when_there_is_nothing_to_restore():
    old, new = DepartmentFactory(name="Warehouse"), DepartmentFactory(name="Office")
    person = UserFactory(department=new)
    rule = make_rule(department=old)
    manual = AssignmentFactory(learner=person, course=rule.course, source=Assignment.Source.MANUAL)

    user_update(user=person, data={"department": old})

    assert active(person, rule.course).pk == manual.pk  # the manual one stays; nothing duplicated


def test_removing_a_rule_keeps_the_assignments_it_made():
    dept = DepartmentFactory()
    person = UserFactory(department=dept)
    rule = make_rule(department=dept)

    rule_deactivate(rule=rule)
    user_update(user=person, data={"department": DepartmentFactory(name="Elsewhere")})

    assert active(person, rule.course) is not None


def test_rule_preview_counts_learners_and_due_dates_without_saving():
    dept = DepartmentFactory()
    has_it = UserFactory(department=dept)
    UserFactory.create_batch(2, department=dept, hire_date=dt.date(2020, 1, 1))
    course = CourseFactory()
    AssignmentFactory(learner=has_it, course=course)
    rule = AssignmentRule(
        name="Preview",
        course=course,
        department=dept,
        due_mode="from_assignment",
        due_days=7,
        starts_on=dt.date(2026, 3, 2),
    )

    preview = rule_preview(rule=rule)

    assert (preview.matching, preview.to_assign, preview.already_assigned) == (3, 2, 1)
    assert preview.due_dates == [(dt.date(2026, 3, 9), 2)]
    assert not AssignmentRule.objects.exists()
    assert Assignment.objects.count() == 1


def test_rule_preview_of_an_edit_counts_who_would_drop_out():
    a, b = DepartmentFactory(name="A"), DepartmentFactory(name="B")
    UserFactory(department=a)
    rule = make_rule(department=a)
    rule.department = b

    assert rule_preview(rule=rule).to_archive == 1


def test_course_due_period_preview_counts_the_due_dates_a_change_would_touch():
    from assignments.services.rules import course_due_change_preview

    course = CourseFactory(default_due_days=30)
    AssignmentFactory(course=course, assigned_on=dt.date(2026, 3, 1), due_date=dt.date(2026, 3, 31))
    AssignmentFactory(course=course, assigned_on=dt.date(2026, 3, 2), due_date=dt.date(2026, 3, 16))
    AssignmentFactory(course=course, status=Assignment.Status.COMPLETED)
    make_rule(course=course, department=DepartmentFactory())

    preview = course_due_change_preview(course=course, default_due_days=14)

    assert (preview.active_unfinished, preview.would_change, preview.rules) == (2, 1, 1)
    assert (preview.earliest, preview.latest) == (dt.date(2026, 3, 15), dt.date(2026, 3, 15))


# A leaver who comes back (issue 12, item 19): re-activation gives back the rule-based training.


def _rule_and_leaver(**rule_fields):
    dept = DepartmentFactory(name="Warehouse")
    rule = make_rule(department=dept, due_mode=AssignmentRule.DueMode.FROM_ASSIGNMENT, due_days=30, **rule_fields)
    person = UserFactory(department=dept)
    rule_save(rule=rule)
    return rule, person


def test_a_reactivated_leaver_gets_back_the_assignment_archived_when_they_left_with_the_time_away_added():
    rule, person = _rule_and_leaver()
    original = active(person, rule.course)
    assert original.due_date == dt.date(2026, 4, 1)
    user_deactivate(user=person)
    assert active(person, rule.course) is None

    with time_machine.travel(dt.datetime(2026, 3, 12, 10, 0, tzinfo=dt.UTC), tick=False):
        user_reactivate(user=person)

    restored = active(person, rule.course)
    assert restored is not None and restored.pk == original.pk
    assert restored.due_date == dt.date(2026, 4, 11)  # ten days away, ten days more
    assert Assignment.objects.filter(learner=person, course_code=rule.course.code).count() == 1
    row = AuditEntry.objects.filter(object_type="assignments.assignment", object_id=str(original.pk)).latest("pk")
    assert row.changes["archived_reason"] == ["left", ""]
    assert row.changes["due_date"] == ["2026-04-01", "2026-04-11"]
    person.refresh_from_db()
    assert person.is_active and person.deactivated_at is None


def test_a_deadline_already_missed_when_they_left_is_not_moved_on_their_return():
    rule, person = _rule_and_leaver()
    Assignment.objects.filter(learner=person).update(assigned_on=dt.date(2026, 1, 1), due_date=dt.date(2026, 2, 1))
    user_deactivate(user=person)

    with time_machine.travel(dt.datetime(2026, 3, 12, 10, 0, tzinfo=dt.UTC), tick=False):
        user_reactivate(user=person)

    assert active(person, rule.course).due_date == dt.date(2026, 2, 1)


def test_a_reactivated_leaver_gets_a_new_assignment_when_there_is_nothing_to_restore():
    dept = DepartmentFactory(name="Warehouse")
    person = UserFactory(department=dept)
    user_deactivate(user=person)
    # The rule is made while they are away: nothing of theirs was archived.
    rule = make_rule(department=dept, due_mode=AssignmentRule.DueMode.FROM_ASSIGNMENT, due_days=30)
    assert active(person, rule.course) is None

    user_reactivate(user=person)

    assignment = active(person, rule.course)
    assert assignment.source == Assignment.Source.RULE and assignment.rule == rule
    assert assignment.due_date == dt.date(2026, 4, 1)


def test_reactivating_someone_already_active_changes_nothing():
    rule, person = _rule_and_leaver()
    before = AuditEntry.objects.count()

    user_reactivate(user=person)

    assert AuditEntry.objects.count() == before
    assert Assignment.objects.filter(learner=person).count() == 1


def test_replay_autoenrol_70_moved_out_left_and_brought_back_into_the_rule_gets_the_same_assignment_back():
    # bobopinna/moodle-enrol_autoenrol#70: an enrolment suspended because the profile stopped
    # matching the rule is not re-activated when it matches again. Here: moved out of the
    # department (archived as rule_ended), left, moved back while away, then re-activated.
    rule, person = _rule_and_leaver()
    original = active(person, rule.course)
    office = DepartmentFactory(name="Office")
    user_update(user=person, data={"department": office})
    user_deactivate(user=person)
    user_update(user=person, data={"department": rule.department})
    assert active(person, rule.course) is None  # nobody trains while they are away

    user_reactivate(user=person)

    assert active(person, rule.course).pk == original.pk


def test_moving_a_person_on_the_person_form_applies_the_rules_of_their_new_department(client):
    rule, person = _rule_and_leaver()
    office = DepartmentFactory(name="Office")
    office_rule = make_rule(name="Office safety", department=office)
    client.force_login(AdminFactory())

    response = client.post(
        reverse("person_edit", args=[person.pk]),
        {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "department": office.pk,
            "job_title": person.job_title,
            "timezone": "Europe/London",
        },
    )

    assert response.status_code == 302
    assert active(person, office_rule.course) is not None
    assert active(person, rule.course) is None
