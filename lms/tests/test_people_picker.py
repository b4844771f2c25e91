"""People pickers (issue 13 item 12): a search endpoint scoped to whom the user may pick, fields
that take email addresses or employee ids, and pages that never list everyone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments.models import Assignment
from courses.tests.factories import AssignmentFactory, CourseFactory
from escalation.forms import EscalationPolicyForm, ReviewSessionForm
from lms.forms import UserForm
from lms.models import User
from lms.tests.factories import AdminFactory, UserFactory, make_chain
from lms.widgets import PeopleField, PersonField, PersonPicker

pytestmark = pytest.mark.django_db


def many_people(count: int, **kwargs) -> None:
    User.objects.bulk_create(
        User(
            email=f"staff{n}@example.com",
            first_name=f"Staff{n}",
            last_name="Member",
            employee_id=f"S{n:05d}",
            password="!",
            **kwargs,
        )
        for n in range(count)
    )


def search(client, q: str, **params):
    response = client.get(reverse("people_search"), {"q": q, **params})
    assert response.status_code == 200
    return response.json()


def test_the_search_finds_a_person_by_full_name_email_and_employee_id(client):
    client.force_login(AdminFactory())
    lee = UserFactory(first_name="Lee", last_name="Learner", email="lee.l@example.com", employee_id="E7731")
    UserFactory(first_name="Lee", last_name="Other")
    for typed in ("Lee Learner", "learner lee", "lee.l@ex", "E7731", "LEE LEARN"):
        assert [row["value"] for row in search(client, typed)["results"]] == [lee.email], typed


def test_a_manager_searches_only_their_chain_and_a_learner_is_refused(client):
    director, lead, report = make_chain(3, last_name="Chainson")
    outsider = UserFactory(last_name="Chainson")
    client.force_login(director)
    found = {row["value"] for row in search(client, "Chainson")["results"]}
    assert found == {director.email, lead.email, report.email}
    assert outsider.email not in found
    client.force_login(outsider)
    assert client.get(reverse("people_search"), {"q": "Chainson"}).status_code == 403


def test_the_search_leaves_out_people_who_have_left(client):
    client.force_login(AdminFactory())
    UserFactory(last_name="Gone", is_active=False)
    assert search(client, "Gone")["results"] == []


def test_the_search_pages_and_costs_the_same_queries_at_8000_people(client, django_assert_num_queries):
    admin = AdminFactory()
    many_people(8000)
    client.force_login(admin)
    # session, user, "is a manager?", one page of people (a 21st row says another page follows)
    with django_assert_num_queries(4):
        first = search(client, "member")
    assert len(first["results"]) == 20
    assert first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 20
    assert not {r["value"] for r in first["results"]} & {r["value"] for r in second["results"]}
    with django_assert_num_queries(4):
        assert search(client, "Staff7999 Member")["results"][0]["value"] == "staff7999@example.com"


def test_the_assign_page_lists_nobody_with_8000_people(client):
    admin = AdminFactory()
    client.force_login(admin)
    with CaptureQueriesContext(connection) as few:
        small = client.get(reverse("assignments:assign")).content.decode()
    many_people(8000)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("assignments:assign")).content.decode()
    assert "staff1234@example.com" not in html
    assert "Hold Ctrl" not in html
    assert 'data-person-picker="multiple"' in html
    assert "tom-select.complete.min.js" in html
    assert len(html) == len(small)
    assert len(many) == len(few)


def test_assigning_by_typed_emails_and_employee_ids_without_javascript(client):
    admin = AdminFactory()
    client.force_login(admin)
    course = CourseFactory()
    one = UserFactory(email="one@example.com")
    two = UserFactory(employee_id="E0042")
    response = client.post(
        reverse("assignments:assign"),
        {
            "course": course.pk,
            "target": "learners",
            "learners": "One@Example.com, E0042",
            "due_mode": "after_assignment",
            "due_days": 30,
        },
    )
    assert response.status_code in (200, 302)
    assert set(Assignment.objects.filter(course=course).values_list("learner_id", flat=True)) == {one.pk, two.pk}


def test_a_name_nobody_has_is_a_message_on_the_field(client):
    client.force_login(AdminFactory())
    course = CourseFactory()
    response = client.post(
        reverse("assignments:assign"),
        {"course": course.pk, "target": "learners", "learners": "nobody@example.com", "due_mode": "after_assignment"},
    )
    assert response.status_code == 200
    assert "nobody@example.com" in str(response.context["form"].errors["learners"])
    assert not Assignment.objects.exists()


def test_a_person_who_has_left_cannot_be_picked_by_email():
    gone = UserFactory(is_active=False)
    field = PersonField(queryset=User.objects.filter(is_active=True))
    with pytest.raises(Exception, match="No one you can choose"):
        field.clean(gone.email)


def test_several_picked_people_post_as_separate_values_and_as_one_text():
    a, b = UserFactory(), UserFactory()
    field = PeopleField(queryset=User.objects.all())
    assert set(field.clean([a.email, b.email])) == {a, b}  # from the combobox
    assert set(field.clean(f"{a.email}; {b.email}")) == {a, b}  # typed
    assert set(field.clean([str(a.pk)])) == {a}  # an id, as older clients post


def test_hostile_text_in_a_picker_is_a_field_message():
    field = PeopleField(queryset=User.objects.all())
    for value in ("a\x00b@example.com", "x" * 300, ",".join(f"p{n}@example.com" for n in range(301))):
        with pytest.raises(Exception) as error:
            field.clean(value)
        assert error.type.__name__ == "ValidationError"


def test_a_refused_form_redraws_hostile_text_in_a_picker_without_querying_it():
    """The hostile walk on PostgreSQL (issue 13): a NUL typed into a picker made the refused form's
    redraw ask the database for that text, and PostgreSQL refuses NUL in a query (a 500)."""
    from assignments.forms.lifecycle import AssignForm

    form = AssignForm({"learners": "a\x00b@example.com, x@example.com"})
    assert not form.is_valid()
    html = str(form["learners"])
    assert "data-person-picker" in html


def test_every_people_field_is_a_picker():
    person = UserFactory()
    forms_with_people = [
        (UserForm(instance=person), "manager"),
        (EscalationPolicyForm(), "compliance_officer"),
        (ReviewSessionForm(), "trainer"),
    ]
    from assignments.forms.lifecycle import AssignForm, ExemptionForm

    forms_with_people += [(AssignForm(), "learners"), (ExemptionForm(), "learner")]
    for form, name in forms_with_people:
        assert isinstance(form.fields[name].widget, PersonPicker), (type(form).__name__, name)


def test_the_person_form_shows_the_current_manager_and_saves_a_new_one_by_email(client):
    admin = AdminFactory()
    old, new = UserFactory(first_name="Olga", last_name="Old"), UserFactory(email="nina.new@example.com")
    person = UserFactory(manager=old)
    client.force_login(admin)
    html = client.get(reverse("person_edit", args=[person.pk])).content.decode()
    assert "Olga Old" in html and old.email in html
    form = UserForm(instance=person)
    data = {name: form[name].value() for name in form.fields}
    data.update(manager="nina.new@example.com", hire_date="2020-01-01", department=person.department_id or "")
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    client.post(reverse("person_edit", args=[person.pk]), data)
    person.refresh_from_db()
    assert person.manager == new


def test_assignment_search_by_full_name_finds_the_person(client):
    client.force_login(AdminFactory())
    lee = UserFactory(first_name="Lee", last_name="Learner")
    other = UserFactory(first_name="Lee", last_name="Other")
    AssignmentFactory(learner=lee)
    AssignmentFactory(learner=other)
    response = client.get(reverse("assignments:list"), {"q": "Lee Learner"})
    rows = list(response.context["page"].object_list)
    assert [row.learner_id for row in rows] == [lee.pk]


def test_people_search_by_full_name_finds_the_person(client):
    client.force_login(AdminFactory())
    lee = UserFactory(first_name="Lee", last_name="Learner")
    UserFactory(first_name="Lee", last_name="Other")
    response = client.get(reverse("people"), {"q": "Lee Learner"})
    assert [p.pk for p in response.context["page"].object_list] == [lee.pk]


def test_the_search_puts_the_exact_name_first_then_name_prefixes_then_contains(client):
    # given people whose names or emails merely contain the typed words, sorting before Lee by name
    client.force_login(AdminFactory())
    eileen = UserFactory(first_name="Eileen", last_name="Knight", email="learner.36@example.com")
    ashlee = UserFactory(first_name="Ashlee", last_name="Alder", email="learner.2@example.com")
    leeroy = UserFactory(first_name="Leeroy", last_name="Learnerson", email="l.l@example.com")
    lee = UserFactory(first_name="Lee", last_name="Learner", email="lee.l@example.com")
    # when "Lee Learner" is typed: the whole name, then both words beginning a name, then the rest
    assert [row["value"] for row in search(client, "Lee Learner")["results"]] == [
        lee.email,
        leeroy.email,
        ashlee.email,
        eileen.email,
    ]
    # the reversed name, an email address and an employee id typed whole also come first
    assert search(client, "learner  LEE")["results"][0]["value"] == lee.email
    assert search(client, "LEARNER.36@example.com")["results"][0]["value"] == eileen.email
    # a name beginning with the word beats one containing it (each group by last name)
    assert [row["value"] for row in search(client, "lee")["results"]] == [
        lee.email,
        leeroy.email,
        ashlee.email,
        eileen.email,
    ]
