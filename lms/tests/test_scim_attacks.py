"""Findings of a security test against the SCIM endpoint, each replayed: admin takeover and
switch-off through a provisioning token, concurrent creates, inputs that gave a 500, a
``meta.location`` taken from the Host header, and a filter in a PATCH path read as no filter."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from lms import services
from lms.models import Department, User
from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.test_scim import ENTERPRISE, SCIM_JSON, body, one_op, org, scim, token  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def assert_scim_error(reply, status: int, scim_type: str | None = None) -> dict:
    assert reply.status_code == status, reply.content
    assert reply["Content-Type"].startswith(SCIM_JSON)
    data = reply.json()
    assert data["status"] == str(status)
    if scim_type is not None:
        assert data["scimType"] == scim_type
    return data


# --- 1. admins are not SCIM's to change or switch off --------------------------------------------


@pytest.mark.parametrize("kind", ["staff", "superuser"])
def test_scim_cannot_take_over_an_admin_by_changing_their_username(scim, kind):  # noqa: F811
    admin = AdminFactory(email="boss@contoso.com") if kind == "staff" else UserFactory(is_superuser=True)
    email = admin.email
    reply = scim("patch", f"Users/{admin.pk}", one_op("Replace", "userName", "attacker@evil.example"))
    data = assert_scim_error(reply, 403, "mutability")
    assert "managed in the product" in data["detail"]
    admin.refresh_from_db()
    assert admin.email == email
    # A whole replacement is refused the same way.
    reply = scim("put", f"Users/{admin.pk}", body("okta_create_user"))
    assert_scim_error(reply, 403, "mutability")
    admin.refresh_from_db()
    assert admin.email == email


def test_scim_cannot_deactivate_an_admin_even_when_others_remain(scim):  # noqa: F811
    admin, _other = AdminFactory(), AdminFactory()
    assert_scim_error(scim("delete", f"Users/{admin.pk}"), 403, "mutability")
    assert_scim_error(scim("patch", f"Users/{admin.pk}", one_op("Replace", "active", "False")), 403, "mutability")
    admin.refresh_from_db()
    assert admin.is_active
    # Reading an admin stays allowed (an identity provider matches people before it writes).
    assert scim("get", f"Users/{admin.pk}").status_code == 200


def test_the_last_active_admin_is_never_deactivated_or_demoted_by_the_services():
    admin = AdminFactory()
    UserFactory()  # a learner is no admin
    AdminFactory(is_active=False)  # nor is a leaver who once was
    with pytest.raises(ValidationError, match="last active admin"):
        services.user_deactivate(user=admin)
    with pytest.raises(ValidationError, match="last active admin"):
        services.user_update(user=admin, data={"is_staff": False})
    admin.refresh_from_db()
    assert admin.is_active and admin.is_staff
    # With a second admin, either may go.
    AdminFactory()
    services.user_deactivate(user=admin)
    admin.refresh_from_db()
    assert not admin.is_active


def test_the_last_admin_unticking_their_own_admin_box_gets_a_message_not_an_error_page(client):
    admin = AdminFactory(first_name="Ada", last_name="Admin", email="ada@contoso.com")
    client.force_login(admin)
    reply = client.post(
        reverse("person_edit", args=[admin.pk]),
        {"email": admin.email, "first_name": "Ada", "last_name": "Admin", "timezone": "Europe/London"},
    )
    assert reply.status_code == 200
    assert "last active admin" in reply.content.decode()
    admin.refresh_from_db()
    assert admin.is_staff


def test_the_django_admin_refuses_to_deactivate_the_last_admin(client):
    admin = AdminFactory(is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:lms_user_change", args=[admin.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(is_active="", is_staff="on", is_superuser="on", groups=[], user_permissions=[])
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "00:00:00"
    data.pop("date_joined", None)
    reply = client.post(url, data)
    assert reply.status_code == 200
    assert "last active admin" in reply.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


# --- 3. inputs that gave a 500 ------------------------------------------------------------------


def test_a_deeply_nested_body_is_invalid_syntax_not_a_recursion_error(scim):  # noqa: F811
    for nested in ("[" * 200000 + "]" * 200000, '{"a":' * 5000 + "1" + "}" * 5000):
        assert_scim_error(scim("post", "Users", nested), 400, "invalidSyntax")
    person = UserFactory()
    assert_scim_error(scim("patch", f"Users/{person.pk}", "[" * 200000 + "]" * 200000), 400, "invalidSyntax")


def test_a_body_over_the_limit_is_a_scim_413(scim):  # noqa: F811
    reply = scim("post", "Users", json.dumps({"userName": "a@b.example", "displayName": "x" * (3 * 1024 * 1024)}))
    assert_scim_error(reply, 413)


def test_ids_are_ascii_digits_only(scim):  # noqa: F811
    person = UserFactory()
    arabic_indic = "".join(chr(0x660 + int(d)) for d in str(person.pk))
    assert scim("get", f"Users/{person.pk}").status_code == 200
    for pk in ("%C2%B2", "²", arabic_indic, "1" * 25, "0", "-1"):
        assert_scim_error(scim("get", f"Users/{pk}"), 404)
    # A manager given as a non-ASCII digit is no id either.
    for manager in ("²", arabic_indic, {"value": "²"}):
        reply = scim("patch", f"Users/{person.pk}", one_op("Replace", f"{ENTERPRISE}:manager", manager))
        assert_scim_error(reply, 400, "invalidValue")
    person.refresh_from_db()
    assert person.manager is None
    assert_scim_error(scim("get", f"Users?startIndex={arabic_indic}"), 400, "invalidValue")


# --- 4. locations from the site's address -------------------------------------------------------


@override_settings(ALLOWED_HOSTS=["*"], SITE_URL="https://lms.contoso.com")
def test_locations_come_from_site_url_never_the_host_header(client, token):  # noqa: F811
    person = UserFactory()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.secret}", "HTTP_HOST": "evil.example"}
    reply = client.get(f"/scim/v2/Users/{person.pk}", **headers)
    assert reply.json()["meta"]["location"] == f"https://lms.contoso.com/scim/v2/Users/{person.pk}"
    created = client.post(
        "/scim/v2/Users",
        body("okta_create_user"),
        content_type=SCIM_JSON,
        **headers,
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    assert created.status_code == 201, created.content
    assert created["Location"].startswith("https://lms.contoso.com/scim/v2/Users/")
    assert "evil.example" not in created.content.decode()
    config = client.get("/scim/v2/ServiceProviderConfig", **headers).json()
    assert config["meta"]["location"] == "https://lms.contoso.com/scim/v2/ServiceProviderConfig"


# --- 5. filters in PATCH paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        'emails[type eq "work" or 1 eq 1].value',
        'emails[type eq "work" and primary eq true].value',
        'emails[value co "@"].value',
        "emails[type pr].value",
        'emails[not (type eq "home")].value',
        'emails[type eq "work"]',
        'emails[primary eq "True"].value',
        'addresses[type eq "work" or 1 eq 1].postalCode',
        'phoneNumbers[type eq "mobile"].value.extra',
        f'{ENTERPRISE}:manager[value eq "1"]',
    ],
)
def test_a_patch_path_with_an_unsupported_filter_is_invalid_path(scim, path):  # noqa: F811
    person = UserFactory(email="kept@contoso.com")
    reply = scim("patch", f"Users/{person.pk}", one_op("Replace", path, "attacker@evil.example"))
    assert_scim_error(reply, 400, "invalidPath")
    person.refresh_from_db()
    assert person.email == "kept@contoso.com"


def test_the_filtered_paths_entra_and_okta_send_are_accepted(scim):  # noqa: F811
    person = UserFactory(email="old@contoso.com")
    operations = [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@contoso.com"},
        {"op": "Add", "path": 'addresses[type eq "work"].postalCode', "value": "98052"},
        {"op": "Add", "path": 'addresses[type eq "work"].formatted', "value": "1 Way"},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555"},
        {"op": "Add", "path": 'phoneNumbers[type eq "fax"].value', "value": "+1 556"},
        {"op": "Add", "path": 'roles[primary eq "True"].value', "value": "Learner"},
        {"op": "Replace", "path": "externalId", "value": "x-1"},
    ]
    reply = scim("patch", f"Users/{person.pk}", json.dumps({"Operations": operations}))
    assert reply.status_code == 200, reply.content
    person.refresh_from_db()
    assert person.email == "new@contoso.com"


# --- 2. concurrent creates (PostgreSQL: real threads, each with its own connection) ---------------


def _post_together(bodies: list[str], secret: str) -> list:
    from assignments.tests.test_attempts_concurrency import run_together

    queue = list(bodies)

    def post():
        reply = Client().post(
            "/scim/v2/Users", queue.pop(), content_type=SCIM_JSON, HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        return reply.status_code, reply["Content-Type"], reply.json()

    return run_together(post, count=len(bodies))


def _person_body(email: str, employee: str, department: str) -> str:
    return json.dumps(
        {
            "userName": email,
            "name": {"givenName": "Ana", "familyName": "Ames"},
            ENTERPRISE: {"employeeNumber": employee, "department": department},
        }
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_person_created_twice_at_once_is_one_person_and_a_scim_409(token):  # noqa: F811
    Department.objects.create(name="Sales")  # the race is over the person alone
    results = _post_together([_person_body("ana@contoso.com", "E-1", "Sales")] * 4, token.secret)
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(status for status, _type, _data in results)
    assert statuses == [201, 409, 409, 409], results
    for status, content_type, data in results:
        assert content_type.startswith(SCIM_JSON)
        if status == 409:
            assert data["scimType"] == "uniqueness" and "unique" not in data["detail"].lower()
    assert User.objects.filter(email="ana@contoso.com").count() == 1
    assert Department.objects.filter(name="Sales").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_people_naming_one_new_department_at_once_all_land_in_that_department(token):  # noqa: F811
    bodies = [_person_body(f"p{n}@contoso.com", f"E-{n}", "Warehouse" if n % 2 else "warehouse") for n in range(4)]
    results = _post_together(bodies, token.secret)
    assert [r[0] for r in results] == [201] * 4, results
    assert Department.objects.filter(name__iexact="warehouse").count() == 1
    department = Department.objects.get(name__iexact="warehouse")
    assert User.objects.filter(email__startswith="p", department=department).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_given_one_employee_number_at_once_is_a_scim_409(token):  # noqa: F811
    Department.objects.create(name="Sales")
    bodies = [_person_body(f"q{n}@contoso.com", "E-SAME", "Sales") for n in range(3)]
    results = _post_together(bodies, token.secret)
    assert sorted(r[0] for r in results) == [201, 409, 409], results
    assert User.objects.filter(employee_id="E-SAME").count() == 1
