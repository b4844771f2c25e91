"""No database constraint's name ever reaches a person: every CheckConstraint and
UniqueConstraint of every model carries a translated, human violation message, which is what
Django's model validation (model forms, ``full_clean`` in the services) shows."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import BaseConstraint
from django.utils.functional import Promise
from django.utils.translation import override

from assignments.forms.lifecycle import ExemptionForm
from courses.forms.authoring import CourseForm, QuizForm
from courses.models import Course
from courses.tests.factories import CourseFactory, make_course
from escalation.forms import EscalationPolicyForm, ReviewSessionForm
from escalation.models import EscalationPolicy
from lms.forms import DepartmentForm, UserForm
from lms.tests.factories import DepartmentFactory, UserFactory

# Apps of the test settings only (lms.settings_test: the suite's OpenID Connect provider), not the site's.
TEST_ONLY_APPS = {"oauth2_provider"}


def every_constraint():
    for model in apps.get_models():
        if model._meta.app_label in TEST_ONLY_APPS:
            continue
        for constraint in model._meta.constraints:
            yield pytest.param(model, constraint, id=f"{model._meta.label}.{constraint.name}")


def test_the_walk_finds_the_project_constraints():
    names = {param.values[1].name for param in every_constraint()}
    assert {"review_session_capacity_positive", "assignment_one_active_per_learner_course"} <= names


@pytest.mark.parametrize(("model", "constraint"), list(every_constraint()))
def test_every_constraint_has_a_human_translated_violation_message(model, constraint):
    message = constraint.violation_error_message
    assert message and message != BaseConstraint.default_violation_error_message, (
        f"{model._meta.label}: constraint {constraint.name} needs violation_error_message=_('...')"
    )
    assert isinstance(message, Promise), f"{constraint.name}: wrap the message in gettext_lazy"
    with override("en"):
        shown = str(constraint.get_violation_error_message())
    assert constraint.name not in shown and "%(" not in shown and "onstraint" not in shown, shown
    assert shown[0].isupper() and shown.endswith("."), shown


# Every form that can meet a constraint checks the field first, with the message on the field.


def _user_form_email():
    UserFactory(email="taken@example.com")
    data = {"email": "Taken@Example.com", "first_name": "A", "last_name": "B", "timezone": "Europe/London"}
    return UserForm(data), "email", "A user with this email address already exists."


def _user_form_employee_id():
    UserFactory(employee_id="E-1")
    data = {"email": "new@example.com", "first_name": "A", "last_name": "B", "employee_id": "E-1"}
    return UserForm({**data, "timezone": "Europe/London"}), "employee_id", "Another user already has this employee id."


def _department_form():
    DepartmentFactory(name="Sales")
    return DepartmentForm({"name": " sales "}), "name", "A department with this name already exists."


def _course_form():
    data = {"code": "FIRE-1", "title": "Fire", "description": "D", "max_attempts": 0, "pass_mark": 80}
    return (
        CourseForm(data),
        "max_attempts",
        "Maximum attempts must be at least 1; tick “Unlimited attempts” for no limit.",
    )


def _quiz_form():
    course = make_course(status=Course.Status.DRAFT)
    form = QuizForm({"kind": "final", "title": "Another final"}, course=course)
    return form, "kind", "A course has at most one final assessment."


def _exemption_form():
    learner = UserFactory()
    data = {"learner": learner.pk, "reason": "sick_leave", "starts_on": "2026-03-10", "ends_on": "2026-03-01"}
    return ExemptionForm(data), "ends_on", "An exemption cannot end before it starts."


def _policy_form():
    CourseFactory(code="FIRE-1")
    EscalationPolicy.objects.create(name="Fire", course_code="FIRE-1")
    data = {"name": "Again", "course_code": "FIRE-1", "retake_deadline_days": 7, "attempts_after_review": 1}
    form = EscalationPolicyForm({**data, "clean_slate_due_days": 30}, course_codes=["FIRE-1"])
    return form, "course_code", "This course already has an escalation policy."


def _review_session_form():
    data = {"title": "Review", "format": "webinar", "link": "https://meet.example.org/r", "capacity": 0}
    form = ReviewSessionForm({**data, "starts_at": "2026-05-04T10:00", "ends_at": "2026-05-04T11:00"})
    return form, "capacity", "A session needs room for at least one person."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make",
    [
        _user_form_email,
        _user_form_employee_id,
        _department_form,
        _course_form,
        _quiz_form,
        _exemption_form,
        _policy_form,
        _review_session_form,
    ],
)
def test_a_form_that_can_meet_a_constraint_puts_its_message_on_the_field(make):
    form, field, message = make()
    assert not form.is_valid()
    assert form.errors.get(field) == [message], form.errors
    assert "__all__" not in form.errors
