"""One page per person, in tabs (issue 13 item 13): profile, manage training, compliance record,
exemptions and case file; the old pages send their bookmarks to the right tab; access unchanged."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.tests.factories import AssignmentFactory, CourseFactory, ExemptionFactory
from lms.tests.factories import AdminFactory, UserFactory, make_chain

pytestmark = pytest.mark.django_db

TABS = ["profile", "training", "record", "cpd", "exemptions", "recognition", "case-file"]


@pytest.fixture
def org():
    director, lead, person = make_chain(3)
    person.first_name, person.last_name = "Pat", "Person"
    person.save()
    outsider_manager = UserFactory()
    UserFactory(manager=outsider_manager)
    course = CourseFactory(code="HS-101", title="Health and safety")
    assignment = AssignmentFactory(learner=person, course=course)
    ExemptionFactory(learner=person, course_code="GDPR-1")
    return {
        "director": director,
        "lead": lead,
        "person": person,
        "outsider_manager": outsider_manager,
        "admin": AdminFactory(),
        "assignment": assignment,
    }


def page(client, viewer, person, tab=None, **params):
    client.force_login(viewer)
    query = {"tab": tab, **params} if tab else params
    return client.get(reverse("person_detail", args=[person.pk]), query)


def tab_keys(response) -> list[str]:
    return [tab["key"] for tab in response.context["tabs"]]


def test_an_admin_sees_every_section_of_a_person_in_tabs_on_one_page(client, org):
    person = org["person"]

    profile = page(client, org["admin"], person)
    training = page(client, org["admin"], person, "training")
    record = page(client, org["admin"], person, "record")
    exemptions = page(client, org["admin"], person, "exemptions")
    case_file = page(client, org["admin"], person, "case-file")

    assert tab_keys(profile) == TABS
    html = profile.content.decode()
    for key in TABS[1:]:
        assert f'href="{reverse("person_detail", args=[person.pk])}?tab={key}"' in html
    assert 'aria-current="page">Profile</a>' in html
    assert training.context["active_tab"] == "training"
    assert reverse("assignments:archive", args=[org["assignment"].pk]) in training.content.decode()
    assert 'data-testid="record-assignments"' in record.content.decode()
    assert "Health and safety" in record.content.decode()
    assert 'data-testid="record-exemptions"' in exemptions.content.decode()
    assert "GDPR-1" in exemptions.content.decode()
    assert 'data-testid="record-events"' in case_file.content.decode()
    assert 'data-testid="record-assignments"' not in case_file.content.decode()  # one tab at a time


def test_a_manager_sees_their_chain_s_people_without_the_admin_tab(client, org):
    person = org["person"]
    for viewer in (org["lead"], org["director"]):
        response = page(client, viewer, person)
        assert response.status_code == 200
        assert tab_keys(response) == ["profile", "record", "cpd", "exemptions", "recognition", "case-file"]
        # asking for the admin tab shows the profile, never the admin's actions
        training = page(client, viewer, person, "training")
        assert training.context["active_tab"] == "profile"
        assert reverse("assignments:archive", args=[org["assignment"].pk]) not in training.content.decode()
        assert page(client, viewer, person, "record").status_code == 200


def test_nobody_else_sees_any_tab_of_a_person(client, org):
    person = org["person"]
    for viewer in (org["outsider_manager"], UserFactory()):
        for tab in TABS:
            assert page(client, viewer, person, tab).status_code == 404, (viewer, tab)
    # a person sees their own page, without the admin's tab
    assert tab_keys(page(client, person, person)) == [
        "profile",
        "record",
        "cpd",
        "exemptions",
        "recognition",
        "case-file",
    ]
    # and not their manager's
    assert page(client, person, org["lead"], "record").status_code == 404


def test_the_old_manage_training_address_sends_an_admin_to_the_training_tab(client, org):
    person = org["person"]
    client.force_login(org["admin"])

    response = client.get(reverse("assignments:learner", args=[person.pk]))

    assert response.status_code == 302
    assert response.url == reverse("person_detail", args=[person.pk]) + "?tab=training"
    client.force_login(org["lead"])
    assert client.get(reverse("assignments:learner", args=[person.pk])).status_code == 403


def test_the_old_record_address_sends_its_viewers_to_the_record_tab_with_their_date(client, org):
    person = org["person"]
    url = reverse("reports_learner_record", args=[person.pk])
    for viewer in (person, org["lead"], org["director"], org["admin"]):
        client.force_login(viewer)
        response = client.get(url, {"as_of": "2026-03-01"})
        assert response.status_code == 302, viewer
        assert response.url == reverse("person_detail", args=[person.pk]) + "?tab=record&as_of=2026-03-01"
    for viewer in (org["outsider_manager"], UserFactory()):
        client.force_login(viewer)
        assert client.get(url).status_code == 404


def test_pages_that_list_people_link_to_the_person_page(client, org):
    person = org["person"]
    client.force_login(org["admin"])
    assignments = client.get(reverse("assignments:list")).content.decode()
    client.force_login(org["lead"])
    team = client.get(reverse("team")).content.decode()

    assert f"{reverse('person_detail', args=[person.pk])}?tab=training" in assignments
    assert f"{reverse('person_detail', args=[person.pk])}?tab=record" in team
    for html in (assignments, team):
        assert reverse("assignments:learner", args=[person.pk]) not in html
        assert reverse("reports_learner_record", args=[person.pk]) not in html


def test_the_record_tab_keeps_its_tab_when_a_date_is_chosen(client, org):
    response = page(client, org["admin"], org["person"], "record")

    assert '<input type="hidden" name="tab" value="record">' in response.content.decode()


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_costs_the_same_queries_as_the_person_s_history_grows(client, org, tab):
    person = org["person"]

    def count() -> int:
        client.force_login(org["admin"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("person_detail", args=[person.pk]), {"tab": tab})
        assert response.status_code == 200
        return len(queries)

    small = count()
    for n in range(8):
        AssignmentFactory(learner=person, course=CourseFactory(code=f"EXTRA-{n}"))
        ExemptionFactory(learner=person, course_code=f"EXTRA-{n}")
    assert count() == small


def test_the_record_names_each_course_in_the_readers_language_where_it_is_translated(client, org):
    """A French-speaking manager reads the French title of a course translated into French, and the
    main title of one that is not (issue 16's leftover: managers' person pages used the main title)."""
    from courses.translations.tests.factories import translate_all

    lead, person = org["lead"], org["person"]
    lead.locale = "fr"
    lead.save(update_fields=["locale"])
    translated = CourseFactory(code="FIRE-1", title="Fire safety")
    translate_all(translated, "fr", prefix="FR ")
    AssignmentFactory(learner=person, course=translated)

    french = page(client, lead, person, "record").content.decode()
    english = page(client, org["director"], person, "record").content.decode()

    assert "FR Fire safety" in french and "Health and safety" in french
    assert "FR Fire safety" not in english and "Fire safety" in english
