from __future__ import annotations

import pytest
from django.urls import reverse

from lms.models import User
from lms.tests.factories import TEST_PASSWORD, AdminFactory, UserFactory, make_chain

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["people", "person_create", "departments", "department_create"]


@pytest.fixture
def learner():
    return UserFactory()


@pytest.fixture
def team():
    lead = UserFactory(job_title="Team leader")
    members = [UserFactory(manager=lead) for _ in range(3)]
    return lead, members


@pytest.mark.parametrize("name", ADMIN_PAGES + ["team"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ADMIN_PAGES + ["team"])
def test_learner_gets_403_on_admin_and_manager_pages(client, learner, name):
    client.force_login(learner)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_manager_gets_403_on_admin_pages(client, team, name):
    client.force_login(team[0])
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ADMIN_PAGES + ["team", "home"])
def test_admin_reaches_every_page(client, name):
    client.force_login(AdminFactory())
    assert client.get(reverse(name)).status_code == 200


def test_one_navigation_item_is_marked_current_the_most_specific(client):
    client.force_login(AdminFactory())

    def current(url: str) -> list[str]:
        return [str(item["label"]) for item in client.get(url).context["nav_items"] if item["active"]]

    assert current(reverse("cpd:approvals")) == ["CPD approvals"]  # not "My CPD" (/cpd/) as well
    assert current(reverse("cpd:targets")) == ["CPD targets"]
    assert current(reverse("cpd:my_record")) == ["My CPD"]
    assert current(reverse("home")) == ["My training"]


def test_navigation_fits_each_role(client, learner, team):
    client.force_login(learner)
    roles = {item["role"] for item in client.get(reverse("home")).context["nav_items"]}
    assert roles == {"learner"}

    client.force_login(team[0])
    roles = {item["role"] for item in client.get(reverse("home")).context["nav_items"]}
    assert roles == {"learner", "manager"}

    client.force_login(AdminFactory())
    roles = {item["role"] for item in client.get(reverse("home")).context["nav_items"]}
    assert roles == {"learner", "manager", "admin"}


def test_home_sections_fit_each_role(client, learner, team):
    client.force_login(learner)
    content = client.get(reverse("home")).content.decode()
    assert "About you" in content and "My team" not in content and "Administration" not in content

    client.force_login(team[0])
    content = client.get(reverse("home")).content.decode()
    assert "My team" in content and "Administration" not in content
    assert "3 people report to you directly" in content


def test_team_page_lists_direct_reports_and_whole_chain_on_request(client):
    top, middle, bottom = make_chain(3)
    client.force_login(top)
    direct = client.get(reverse("team"))
    assert [m.pk for m in direct.context["members"]] == [middle.pk]
    chain = client.get(reverse("team") + "?scope=all")
    assert {m.pk for m in chain.context["members"]} == {middle.pk, bottom.pk}


def test_person_detail_is_404_outside_the_viewers_scope(client, team):
    lead, members = team
    outsider = UserFactory()
    client.force_login(lead)
    assert client.get(reverse("person_detail", args=[members[0].pk])).status_code == 200
    assert client.get(reverse("person_detail", args=[outsider.pk])).status_code == 404
    client.force_login(members[0])
    assert client.get(reverse("person_detail", args=[lead.pk])).status_code == 404
    assert client.get(reverse("person_detail", args=[members[1].pk])).status_code == 404
    assert client.get(reverse("person_detail", args=[members[0].pk])).status_code == 200


def test_admin_form_refuses_a_manager_loop_naming_the_field(client):
    top, middle, bottom = make_chain(3)
    client.force_login(AdminFactory())
    data = {
        "email": top.email,
        "first_name": top.first_name,
        "last_name": top.last_name,
        "manager": bottom.pk,
        "timezone": "Europe/London",
        "job_title": "Boss",
    }
    response = client.post(reverse("person_edit", args=[top.pk]), data)
    assert response.status_code == 200
    assert "reporting loop" in str(response.context["form"].errors["manager"])
    top.refresh_from_db()
    assert top.manager_id is None and top.job_title != "Boss"


def test_admin_form_reports_duplicate_email_and_unknown_timezone(client):
    existing = UserFactory(email="taken@example.com")
    client.force_login(AdminFactory())
    before = User.objects.count()
    response = client.post(
        reverse("person_create"),
        {"email": "TAKEN@example.com", "first_name": "A", "last_name": "B", "timezone": "Nowhere/Land"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already exists" in str(errors)
    assert "Nowhere/Land" in str(errors["timezone"])
    assert User.objects.count() == before
    assert existing.first_name != "A"


def test_admin_creates_a_person(client):
    manager = UserFactory()
    client.force_login(AdminFactory())
    response = client.post(
        reverse("person_create"),
        {
            "email": "New.Person@example.com",
            "first_name": "New",
            "last_name": "Person",
            "manager": manager.pk,
            "timezone": "America/New_York",
        },
    )
    person = User.objects.get(email="new.person@example.com")
    assert response.status_code == 302 and response.url == reverse("person_detail", args=[person.pk])
    assert person.manager == manager and person.timezone == "America/New_York"


def test_deactivate_requires_post_and_logs_the_person_out(client):
    person = UserFactory()
    admin = AdminFactory()
    client.force_login(admin)
    assert client.get(reverse("person_deactivate", args=[person.pk])).status_code == 405
    assert client.post(reverse("person_deactivate", args=[person.pk])).status_code == 302
    person.refresh_from_db()
    assert not person.is_active

    other = UserFactory()
    client.force_login(other)
    other.is_active = False
    other.save()
    # The next request of a deactivated user is anonymous.
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_login_by_email_case_insensitive_and_same_message_for_unknown_user(client):
    UserFactory(email="kim@example.com")
    response = client.post(reverse("login"), {"username": "KIM@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 302

    client.logout()
    wrong = client.post(reverse("login"), {"username": "kim@example.com", "password": "nope-nope-nope"})
    unknown = client.post(reverse("login"), {"username": "nobody@example.com", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_login_rotates_the_session_key(client):
    UserFactory(email="rot@example.com")
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "rot@example.com", "password": TEST_PASSWORD})
    assert client.session.session_key != before


def test_password_reset_sends_a_link_by_email(client, mailoutbox):
    from escalation.dispatch import run_dispatch

    UserFactory(email="reset@example.com")
    response = client.post(reverse("password_reset"), {"email": "reset@example.com"})
    assert response.status_code == 302
    run_dispatch()  # queued by the form, sent by the dispatcher
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/" in mailoutbox[0].body
    assert mailoutbox[0].to == ["reset@example.com"]


def test_logout_is_post_only(client, learner):
    client.force_login(learner)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302


def test_the_person_form_offers_time_zones_as_a_list_to_choose_from(client):
    import zoneinfo

    client.force_login(AdminFactory())

    page = client.get(reverse("person_create"))

    html = page.content.decode()
    field = page.context["form"]["timezone"]
    assert '<select name="timezone"' in html
    assert [value for value, _label in field.field.choices] == sorted(zoneinfo.available_timezones())
    assert '<option value="Europe/London" selected>' in html
    assert "An IANA name" not in html
