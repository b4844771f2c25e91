"""Dates people type have a sane range, date arithmetic never overflows, and every page reads
``as_of`` and its date filters the same way (issue 12 item 11).

Replays faults reported elsewhere: a date filter given a far date raising OverflowError
(level12/webgrid#112, digitalfabrik/integreat-cms#2524), and 9999-12-31 plus one day
(jelmer/xandikos#538: an inclusive end date turned into an exclusive bound).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assignments.models import Assignment, AssignmentRule, Exemption
from assignments.services.assign import DueMode, DueSpec
from assignments.services.rules import RuleDue
from courses.rules import add_months
from courses.tests.factories import make_course
from escalation.models import ReviewSession
from lms import fields
from lms.dates import MAX_DATE, MIN_DATE, add_days, day_after, parse_date
from lms.models import AuditEntry, User
from lms.tests.factories import AdminFactory, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

RANGE = "Enter a date between 1900-01-01 and 2100-12-31."
NOT_A_DATE = "“2026-02-30” is not a date: enter it as YYYY-MM-DD, for example 2026-03-31."


@pytest.fixture
def admin(client):
    admin = AdminFactory()
    client.force_login(admin)
    return admin


# --- the one parser and the arithmetic ------------------------------------------------------


@pytest.mark.parametrize(
    "typed,message",
    [
        ("2026-02-30", NOT_A_DATE),
        ("9999-12-31", RANGE),
        ("0001-01-01", RANGE),
        ("1899-12-31", RANGE),
        ("2101-01-01", RANGE),
        ("NaN", "“NaN” is not a date: enter it as YYYY-MM-DD, for example 2026-03-31."),
        ("2026-W01-1", "“2026-W01-1” is not a date: enter it as YYYY-MM-DD, for example 2026-03-31."),
    ],
)
def test_a_typed_date_outside_1900_to_2100_or_not_a_date_gets_a_message_naming_the_mistake(typed, message):
    with pytest.raises(ValidationError) as refused:
        parse_date(typed)

    assert refused.value.messages == [message]


def test_a_typed_date_inside_the_range_is_read():
    assert parse_date(" 2026-03-31 ") == dt.date(2026, 3, 31)
    assert parse_date("") is None
    assert parse_date(MIN_DATE.isoformat()) == MIN_DATE and parse_date(MAX_DATE.isoformat()) == MAX_DATE
    assert parse_date("31/03/2026", formats=["%d/%m/%Y"]) == dt.date(2026, 3, 31)  # the admin's widget


def test_date_arithmetic_stays_inside_what_a_date_can_hold():
    assert add_days(dt.date(9999, 12, 31), 30) == dt.date.max
    assert add_days(dt.date(2026, 1, 1), 10**12) == dt.date.max
    assert add_days(dt.date(1, 1, 1), -1) == dt.date.min
    assert add_days(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 1)
    assert day_after(dt.date.max) == dt.date.max
    assert add_months(dt.date(9999, 6, 30), 12) == dt.date.max
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


@given(text=st.text(max_size=30) | st.dates().map(dt.date.isoformat) | st.from_regex(r"\A\d{1,6}-\d{1,3}-\d{1,3}\Z"))
def test_any_typed_text_is_a_date_in_range_nothing_or_a_validation_error(text):
    try:
        day = parse_date(text)
    except ValidationError as error:
        assert error.messages[0].startswith(("“", "Enter a date between"))
    else:
        assert day is None or MIN_DATE <= day <= MAX_DATE


@given(day=st.dates(), days=st.integers(min_value=-(10**12), max_value=10**12))
def test_adding_any_number_of_days_to_any_date_gives_a_date(day, days):
    result = add_days(day, days)
    assert dt.date.min <= result <= dt.date.max
    if dt.date.min < result < dt.date.max:
        assert result == day + dt.timedelta(days=days)


def _project_forms():
    """Every form class defined in the project's apps (their forms, views and admin modules)."""
    found = {}
    for app in ("lms", "courses", "assignments", "escalation", "reports"):
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if not {"forms", "views", "admin"} & set(info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            for _name, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, forms.BaseForm) and obj.__module__ == info.name:
                    found[f"{info.name}.{obj.__name__}"] = obj
    return found


def test_every_date_field_of_every_form_is_the_ranged_one():
    found = _project_forms()
    wrong = []
    for name, form_class in found.items():
        for field_name, field in form_class.base_fields.items():
            if isinstance(field, forms.DateTimeField) and not isinstance(field, fields.DateTimeField):
                wrong.append(f"{name}.{field_name}")
            elif isinstance(field, forms.DateField) and not isinstance(field, fields.DateField):
                wrong.append(f"{name}.{field_name}")
    assert len(found) > 20
    assert wrong == [], "date fields that take any year (use lms.fields.DateField / DateTimeField)"


# --- forms: a field message, nothing saved --------------------------------------------------


def test_the_person_form_refuses_a_hire_date_in_9999_on_its_field(client, admin):
    response = client.post(
        reverse("person_create"),
        {"email": "far@example.com", "first_name": "Far", "last_name": "Future", "hire_date": "9999-12-31"}
        | {"timezone": "Europe/London"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["hire_date"] == [RANGE]
    assert not User.objects.filter(email="far@example.com").exists()


def test_an_exemption_from_0001_01_01_is_refused_on_its_field(client, admin):
    learner = UserFactory()

    response = client.post(
        reverse("assignments:exemptions"),
        {"learner": learner.pk, "course_code": "", "reason": "sick_leave", "starts_on": "0001-01-01", "note": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["starts_on"] == [RANGE]
    assert not Exemption.objects.exists()


def test_a_review_session_in_the_year_9999_is_refused_on_its_fields(client, admin):
    response = client.post(
        reverse("escalation:review_session_create"),
        {
            "title": "Review",
            "format": "webinar",
            "starts_at": "9999-12-31T10:00",
            "ends_at": "9999-12-31T11:00",
            "link": "https://meet.example.org/review",
            "capacity": "10",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["starts_at"] == [RANGE]
    assert response.context["form"].errors["ends_at"] == [RANGE]
    assert not ReviewSession.objects.exists()


def test_ending_an_exemption_on_9999_12_31_is_refused_with_a_message(client, admin):
    learner = UserFactory()
    exemption = Exemption.objects.create(
        learner=learner, reason="sick_leave", starts_on=dt.date(2026, 1, 1), approved_by=admin
    )

    response = client.post(reverse("assignments:exemption_end", args=[exemption.pk]), {"ended_on": "9999-12-31"})

    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [RANGE]
    exemption.refresh_from_db()
    assert exemption.ends_on is None


# --- a far date already stored: arithmetic does not fail -------------------------------------


@pytest.fixture
def hired_in_9999():
    """A person whose hire date was stored before the range existed (or by the database itself)."""
    person = UserFactory(department=DepartmentFactory(name="Far"))
    User.objects.filter(pk=person.pk).update(hire_date=dt.date(9999, 12, 31))
    person.refresh_from_db()
    return person


def test_assigning_n_days_after_hire_to_a_person_hired_in_9999_assigns_without_an_error(client, admin, hired_in_9999):
    course = make_course(code="HIRE-1", questions=1)

    response = client.post(
        reverse("assignments:assign"),
        {
            "course": course.pk,
            "target": "learners",
            "learners": [hired_in_9999.pk],
            "due_mode": DueMode.AFTER_HIRE,
            "due_days": "30",
        },
    )

    assert response.status_code == 200
    assignment = Assignment.objects.get(learner=hired_in_9999)
    assert assignment.due_date == dt.date.max
    assert DueSpec(mode=DueMode.AFTER_HIRE, days=30).due_for(hired_in_9999, dt.date(2026, 3, 1)) == dt.date.max


def test_previewing_a_from_joining_rule_over_their_department_shows_the_preview(client, admin, hired_in_9999):
    course = make_course(code="JOIN-1", questions=1)

    response = client.post(
        reverse("assignments:rule_create"),
        {
            "name": "New starters",
            "course": course.pk,
            "department": hired_in_9999.department_id,
            "due_mode": AssignmentRule.DueMode.FROM_JOINING,
            "due_days": "30",
            "starts_on": "2026-01-01",
        },
    )

    assert response.status_code == 200
    assert response.context["preview"].to_assign == 1
    rule = AssignmentRule(course=course, due_mode=AssignmentRule.DueMode.FROM_JOINING, due_days=30)
    rule.starts_on = dt.date(2026, 1, 1)
    assert RuleDue(rule).due_for(hired_in_9999, dt.date(2026, 3, 1)) == dt.date.max


# --- pages read as_of and date filters one way, and say what is wrong ------------------------


def test_the_audit_trail_names_a_date_filter_in_9999_instead_of_failing(client, admin):
    response = client.get(reverse("audit"), {"date_to": "9999-12-31"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"date_to": [RANGE]}
    assert RANGE in response.content.decode()


@pytest.mark.parametrize("name", ["audit_export_csv", "audit_export_pdf"])
def test_an_audit_export_with_a_bad_date_filter_goes_back_to_the_page_that_names_it(client, admin, name):
    AuditEntry.objects.create(action="create", object_type="x.y", object_id="1", changes={})

    response = client.get(reverse(name), {"date_to": "9999-12-31", "object_type": "x.y"})

    assert response.status_code == 302
    assert response.url == reverse("audit") + "?date_to=9999-12-31&object_type=x.y"


def test_the_learner_record_names_an_impossible_as_of_date(client, admin):
    person = UserFactory()

    response = client.get(reverse("person_detail", args=[person.pk]), {"tab": "record", "as_of": "2026-02-30"})

    assert response.status_code == 200
    assert response.context["history"] is False
    assert NOT_A_DATE in response.content.decode()


@pytest.mark.parametrize("name", ["reports_learner_record", "reports_organisation"])
def test_as_of_means_the_same_on_every_report(client, admin, name):
    args = [UserFactory().pk] if name == "reports_learner_record" else []
    url = reverse(name, args=args)

    for typed, message in [("2026-02-30", NOT_A_DATE), ("0001-01-01", RANGE), ("2100-12-31", "Choose today")]:
        response = client.get(url, {"as_of": typed}, follow=True)  # the record: a tab of the person page
        assert response.status_code == 200
        assert response.context["history"] is False
        assert message in response.content.decode(), (name, typed)


def test_a_report_export_with_a_bad_as_of_goes_back_to_the_report(client, admin):
    response = client.get(reverse("reports_organisation_export", args=["csv"]), {"as_of": "0001-01-01"})

    assert response.status_code == 302
    assert response.url == reverse("reports_organisation") + "?as_of=0001-01-01"


@pytest.mark.parametrize("command", ["run_nightly", "compliance_report"])
def test_commands_read_as_of_with_the_same_parser(command):
    with pytest.raises(CommandError, match="--as-of: Enter a date between 1900-01-01 and 2100-12-31."):
        call_command(command, "--as-of", "9999-12-31")
