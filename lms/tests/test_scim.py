"""SCIM 2.0 provisioning (issue 14), driven by the request bodies Microsoft Entra ID and Okta send
(``lms/tests/scim_bodies/``): create, replace, PATCH, deactivate and re-activate change the org
chart, archive and give back training, and leave audit rows that name the token, exactly as the
browser's services do."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from assignments.models import Assignment, AssignmentRule
from courses.tests.factories import make_course
from escalation.models import Notification
from lms.models import AuditEntry, Department, ScimToken, User
from lms.scim.tokens import scim_token_create, scim_token_revoke
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BODIES = Path(__file__).parent / "scim_bodies"
SCIM_JSON = "application/scim+json"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def body(name: str, **values) -> str:
    text = (BODIES / f"{name}.json").read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    assert "{{" not in text, name
    return text


@pytest.fixture
def token():
    token, secret = scim_token_create(name="Entra ID")
    token.secret = secret
    return token


@pytest.fixture
def scim(client, token):
    """Call the SCIM API as Entra ID and Okta do: bearer token, SCIM JSON."""

    def call(method: str, path: str, data: str | None = None, *, secret: str | None = None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret or token.secret}"}
        url = "/scim/v2/" + path
        if method == "get":
            return client.get(url, **headers)
        return getattr(client, method)(url, data=data or "", content_type=SCIM_JSON, **headers)

    return call


@pytest.fixture
def org():
    """A manager in Sales, and rules that give Sales and Warehouse people a course each."""
    sales = Department.objects.create(name="Sales")
    warehouse = Department.objects.create(name="Warehouse")
    manager = UserFactory(first_name="Morgan", last_name="Manager", department=sales, email="morgan@contoso.com")
    sales_course = make_course(questions=1, code="SALES-1")
    forklift = make_course(questions=1, code="FORK-1")
    AssignmentRule.objects.create(name="Sales", course=sales_course, department=sales, starts_on=dt.date(2026, 1, 1))
    AssignmentRule.objects.create(
        name="Warehouse", course=forklift, department=warehouse, starts_on=dt.date(2026, 1, 1)
    )
    return {"manager": manager, "sales": sales, "warehouse": warehouse}


def one_op(op: str, path: str, value=None) -> str:
    return json.dumps({"Operations": [{"op": op, "path": path, "value": value}]})


def active_codes(user: User) -> list[str]:
    return sorted(Assignment.objects.filter(learner=user, archived_at=None).values_list("course_code", flat=True))


def audit_for(user: User) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="lms.user", object_id=str(user.pk)).order_by("pk"))


# --- authentication ------------------------------------------------------------------------


def test_no_token_a_wrong_one_a_revoked_one_or_a_session_are_refused_with_a_scim_401(client, scim, token):
    admin = UserFactory(is_staff=True)
    client.force_login(admin)
    wrong = client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer scim_not-a-token")
    session_only = client.get("/scim/v2/Users")
    scim_token_revoke(token=token)
    revoked = scim("get", "Users")
    for response in (wrong, session_only, revoked):
        assert response.status_code == 401
        assert response["Content-Type"] == SCIM_JSON
        assert response["WWW-Authenticate"] == 'Bearer realm="scim"'
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert response.json()["status"] == "401"


def test_the_command_makes_a_token_shown_once_and_stores_only_its_digest(client):
    out = StringIO()
    call_command("create_scim_token", "Okta", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    token = ScimToken.objects.get(name="Okta")
    assert secret.startswith("scim_") and secret not in (token.key_digest, token.key_prefix)
    assert len(token.key_digest) == 64 and token.last_used_at is None
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    call_command("create_scim_token", "--revoke", str(token.pk), stdout=StringIO())
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


# --- Microsoft Entra ID --------------------------------------------------------------------


def test_entra_creates_a_person_in_the_org_chart_with_rule_training_an_invitation_and_an_audit_row(scim, org, token):
    response = scim("post", "Users", body("entra_create_user", manager_id=org["manager"].pk))
    assert response.status_code == 201, response.content
    data = response.json()
    person = User.objects.get(email="ana.ames@contoso.com")
    assert response["Location"] == f"{settings.SITE_URL}/scim/v2/Users/{person.pk}"
    assert data["id"] == str(person.pk) and data["userName"] == "ana.ames@contoso.com" and data["active"] is True
    assert data[ENTERPRISE] == {
        "employeeNumber": "E-1001",
        "department": "Sales",
        "manager": {
            "value": str(org["manager"].pk),
            "$ref": f"{settings.SITE_URL}/scim/v2/Users/{org['manager'].pk}",
            "displayName": "Morgan Manager",
        },
    }
    assert (person.manager, person.department, person.employee_id, person.job_title) == (
        org["manager"],
        org["sales"],
        "E-1001",
        "Sales Representative",
    )
    assert not person.has_usable_password()
    assert active_codes(person) == ["SALES-1"]
    [entry] = audit_for(person)
    # Eyes 14, F3: the "Created" row names the person, not only their manager.
    assert (entry.action, entry.actor_id, entry.changes) == (
        "create",
        None,
        {
            "first_name": [None, "Ana"],
            "last_name": [None, "Ames"],
            "email": [None, "ana.ames@contoso.com"],
            "employee_id": [None, "E-1001"],
            "department": [None, org["sales"].pk],
            "job_title": [None, "Sales Representative"],
            "manager": [None, org["manager"].pk],
            "is_active": [None, True],
            "is_staff": [None, False],
        },
    )
    assert entry.reason == f"Via SCIM token “Entra ID” (#{token.pk})"
    assert Notification.objects.filter(recipient=person, kind=Notification.Kind.INVITATION).count() == 1


def test_entra_sample_body_whose_username_is_not_an_address_signs_in_with_the_work_email(scim):
    response = scim("post", "Users", body("entra_create_user_sample"))
    assert response.status_code == 201, response.content
    assert response.json()["userName"] == "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"


def test_entra_matches_by_username_filter_case_insensitively(scim, org):
    scim("post", "Users", body("entra_create_user", manager_id=org["manager"].pk))
    found = scim("get", 'Users?filter=userName+eq+"ANA.AMES@contoso.com"')
    assert found.status_code == 200
    data = found.json()
    assert data["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (data["totalResults"], data["startIndex"], data["itemsPerPage"]) == (1, 1, 1)
    assert data["Resources"][0]["userName"] == "ana.ames@contoso.com"
    none = scim("get", 'Users?filter=userName eq "nobody@contoso.com"').json()
    assert (none["totalResults"], none["Resources"]) == (0, [])
    bad = scim("get", 'Users?filter=displayName co "Ana"')
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_entra_patch_moves_a_person_through_the_services(scim, org, token):
    person = User.objects.get(
        pk=scim("post", "Users", body("entra_create_user", manager_id=org["manager"].pk)).json()["id"]
    )
    new_manager = UserFactory(first_name="Nell", last_name="New", email="nell@contoso.com")
    response = scim("patch", f"Users/{person.pk}", body("entra_patch_attributes", manager_id=new_manager.pk))
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.email, person.last_name, person.job_title, person.department, person.employee_id) == (
        "ana.ames-smith@contoso.com",
        "Ames-Smith",
        "Warehouse Lead",
        org["warehouse"],
        "E-2002",
    )
    assert person.manager == new_manager
    # The department change applied the Warehouse rule as the person form would.
    assert "FORK-1" in active_codes(person)
    change = audit_for(person)[-1]
    # Eyes 14, F3: the department change is recorded with the rest, not only the manager.
    assert change.action == "change" and change.changes == {
        "last_name": ["Ames", "Ames-Smith"],
        "email": ["ana.ames@contoso.com", "ana.ames-smith@contoso.com"],
        "employee_id": ["E-1001", "E-2002"],
        "department": [org["sales"].pk, org["warehouse"].pk],
        "job_title": ["Sales Representative", "Warehouse Lead"],
        "manager": [org["manager"].pk, new_manager.pk],
    }
    assert f"SCIM token “Entra ID” (#{token.pk})" in change.reason
    assert response.json()["name"]["familyName"] == "Ames-Smith"
    removed = scim("patch", f"Users/{person.pk}", body("entra_remove_manager"))
    assert removed.status_code == 200 and "manager" not in removed.json()[ENTERPRISE]
    assert User.objects.get(pk=person.pk).manager is None


def test_entra_disable_archives_training_as_a_leaver_and_enable_gives_it_back(scim, org, token):
    person = User.objects.get(
        pk=scim("post", "Users", body("entra_create_user", manager_id=org["manager"].pk)).json()["id"]
    )
    [assignment] = Assignment.objects.filter(learner=person)
    disabled = scim("patch", f"Users/{person.pk}", body("entra_disable_user"))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    person.refresh_from_db()
    assignment.refresh_from_db()
    assert not person.is_active and person.deactivated_at is not None
    assert assignment.archived_at is not None and assignment.archived_reason == Assignment.ArchiveReason.LEFT
    deactivation = audit_for(person)[-1]
    assert deactivation.changes["is_active"] == [True, False]
    assert deactivation.reason == f"Deactivated (left) (via SCIM token “Entra ID” (#{token.pk}))"
    archived = AuditEntry.objects.get(
        object_type="assignments.assignment", object_id=str(assignment.pk), action="archive"
    )
    assert "SCIM token" in archived.reason
    # The same body again changes nothing more.
    scim("patch", f"Users/{person.pk}", body("entra_disable_user"))
    assert len([e for e in audit_for(person) if e.action == "change" and "is_active" in e.changes]) == 1

    enabled = scim("patch", f"Users/{person.pk}", body("entra_enable_user"))
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    person.refresh_from_db()
    assignment.refresh_from_db()
    assert person.is_active and assignment.archived_at is None
    assert audit_for(person)[-1].changes["is_active"] == [False, True]


# --- Okta ----------------------------------------------------------------------------------


def test_okta_creates_a_person_without_taking_its_password_and_invites_them(scim):
    response = scim("post", "Users", body("okta_create_user"))
    assert response.status_code == 201, response.content
    person = User.objects.get(email="test.user@okta.local")
    assert not person.has_usable_password() and not person.check_password("1mz050nq")
    assert Notification.objects.filter(recipient=person, kind=Notification.Kind.INVITATION).count() == 1
    again = scim("post", "Users", body("okta_create_user"))
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    assert Notification.objects.filter(kind=Notification.Kind.INVITATION).count() == 1


def test_okta_deactivates_reactivates_and_replaces_with_put(scim, org):
    person = User.objects.get(pk=scim("post", "Users", body("okta_create_user")).json()["id"])
    assert scim("patch", f"Users/{person.pk}", body("okta_deactivate_user")).json()["active"] is False
    assert not User.objects.get(pk=person.pk).is_active
    assert scim("patch", f"Users/{person.pk}", body("okta_reactivate_user")).json()["active"] is True
    replaced = scim(
        "put", f"Users/{person.pk}", body("okta_replace_user", user_id=person.pk, manager_id=org["manager"].pk)
    )
    assert replaced.status_code == 200, replaced.content
    person.refresh_from_db()
    assert (person.first_name, person.job_title, person.employee_id, person.department, person.manager) == (
        "Another",
        "Driver",
        "OK-77",
        org["warehouse"],
        org["manager"],
    )
    assert active_codes(person) == ["FORK-1"]
    # PUT is a whole replacement: what it leaves out is cleared.
    bare = json.loads(body("okta_replace_user", user_id=person.pk, manager_id=org["manager"].pk))
    del bare[ENTERPRISE], bare["title"]
    scim("put", f"Users/{person.pk}", json.dumps(bare))
    person.refresh_from_db()
    assert (person.job_title, person.employee_id, person.department, person.manager) == ("", None, None, None)


def test_okta_lists_with_paging(scim):
    for n in range(3):
        UserFactory(email=f"p{n}@okta.local")
    data = scim("get", "Users?startIndex=2&count=1").json()
    assert (data["totalResults"], data["startIndex"], data["itemsPerPage"]) == (3, 2, 1)
    assert data["Resources"][0]["userName"] == "p1@okta.local"


# --- errors ----------------------------------------------------------------------------------


def test_errors_are_scim_errors_with_the_right_status(scim, org):
    first = json.loads(body("entra_create_user", manager_id=org["manager"].pk))
    person_id = scim("post", "Users", json.dumps(first)).json()["id"]
    clash = {**first, "userName": "other@contoso.com", "emails": []}
    cases = [
        (scim("get", "Users/999999"), 404, None),
        (scim("get", "Users/not-a-number"), 404, None),
        (scim("post", "Users", "{not json"), 400, "invalidSyntax"),
        (scim("post", "Users", json.dumps(clash)), 409, "uniqueness"),  # the same employeeNumber
        (scim("post", "Users", json.dumps({"userName": "x@contoso.com"})), 400, "invalidValue"),
        (scim("post", "Users", json.dumps({**first, "userName": "nope", "emails": []})), 400, "invalidValue"),
        (scim("patch", f"Users/{person_id}", one_op("Replace", "active", "maybe")), 400, "invalidValue"),
        (scim("patch", f"Users/{person_id}", one_op("Replace", "shoeSize", "9")), 400, "invalidPath"),
        (scim("patch", f"Users/{person_id}", one_op("Frobnicate", "title")), 400, "invalidSyntax"),
        (scim("patch", f"Users/{person_id}", json.dumps({"Operations": []})), 400, "invalidSyntax"),
        # The manager's manager made their report: a reporting loop, refused as the form refuses it.
        (
            scim("patch", f"Users/{org['manager'].pk}", one_op("Add", f"{ENTERPRISE}:manager", person_id)),
            400,
            "invalidValue",
        ),
        (scim("patch", f"Users/{person_id}", one_op("Add", f"{ENTERPRISE}:manager", "424242")), 400, "invalidValue"),
        (scim("patch", f"Users/{person_id}", one_op("Replace", "userName", "morgan@contoso.com")), 409, "uniqueness"),
    ]
    for response, status, scim_type in cases:
        data = response.json()
        assert (response.status_code, data["status"], data.get("scimType")) == (status, str(status), scim_type), data
        assert response["Content-Type"] == SCIM_JSON and data["detail"]
        assert "user_" not in data["detail"]  # never a constraint name
    loop = cases[10][0].json()["detail"]
    assert "reporting loop" in loop
    assert User.objects.get(pk=org["manager"].pk).manager is None


def test_delete_is_a_leaver_never_a_deletion(scim, org):
    person_id = scim("post", "Users", body("entra_create_user", manager_id=org["manager"].pk)).json()["id"]
    assert scim("delete", f"Users/{person_id}").status_code == 204
    person = User.objects.get(pk=person_id)
    assert not person.is_active
    assert not Assignment.objects.filter(learner=person, archived_at=None).exists()


# --- discovery -------------------------------------------------------------------------------


def test_discovery_documents(scim):
    config = scim("get", "ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True} and config["filter"]["supported"] is True
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    schemas = scim("get", "Schemas").json()
    ids = [schema["id"] for schema in schemas["Resources"]]
    assert ids == ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]
    assert scim("get", f"Schemas/{ENTERPRISE}").json()["name"] == "EnterpriseUser"
    assert scim("get", "Schemas/urn:nothing").status_code == 404
    types = scim("get", "ResourceTypes").json()
    assert types["Resources"][0]["endpoint"] == "/Users"
    assert scim("get", "ResourceTypes/User").json()["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert scim("post", "ServiceProviderConfig", "{}").status_code == 405


def test_the_scim_urls_are_named(client):
    assert reverse("scim_users") == "/scim/v2/Users"


HOSTILE = ["9" * 40, "x" * 3000, "nul\x00byte", "ü😀\u202e<b>'\"", "-1", "", "%", "null", "[]", "{}"]


def test_hostile_values_in_every_scim_parameter_and_body_are_answered_without_a_500(scim, org):
    person_id = scim("post", "Users", body("entra_create_user", manager_id=org["manager"].pk)).json()["id"]
    statuses = set()
    for value in HOSTILE:
        for query in (
            f"Users?filter={value}",
            f'Users?filter=userName eq "{value}"',
            f"Users?startIndex={value}",
            f"Users?count={value}",
        ):
            statuses.add(scim("get", query).status_code)
        statuses.add(scim("get", f"Users/{value or '0'}").status_code)
        statuses.add(scim("post", "Users", value).status_code)
        for path, op in (
            ("active", "Replace"),
            ("userName", "Replace"),
            (f"{ENTERPRISE}:manager", "Add"),
            ("name", "Add"),
            ("emails", "Add"),
            (value, "Replace"),
        ):
            statuses.add(scim("patch", f"Users/{person_id}", one_op(op, path, value)).status_code)
        whole = json.loads(body("okta_replace_user", user_id=person_id, manager_id=org["manager"].pk))
        for key in ("userName", "name", "title", "emails", ENTERPRISE):
            statuses.add(scim("put", f"Users/{person_id}", json.dumps({**whole, key: value})).status_code)
    assert max(statuses) < 500, statuses
    assert 400 in statuses and 200 in statuses


@pytest.mark.parametrize("people", [3, 30])
def test_a_page_of_users_costs_the_same_queries_for_3_and_30_people(scim, org, django_assert_num_queries, people):
    for n in range(people):
        UserFactory(email=f"q{n}@contoso.com", manager=org["manager"], department=org["sales"])
    scim("get", "Users")  # the token's last-used time is written at most once a minute
    # token, count, page (people with manager and department joined)
    with django_assert_num_queries(3):
        data = scim("get", "Users?count=200").json()
    assert data["totalResults"] == people + 1
    assert all(r[ENTERPRISE].get("department") == "Sales" for r in data["Resources"])


def test_an_admin_makes_a_token_in_the_django_admin_sees_its_secret_once_and_revokes_it(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    response = client.post("/django-admin/lms/scimtoken/add/", {"name": "Workday"}, follow=True)
    text = response.content.decode()
    secret = re.search(r"(scim_[A-Za-z0-9_-]{20,})", text).group(1)
    token = ScimToken.objects.get(name="Workday")
    assert token.created_by == superuser and secret not in (token.key_digest, token.key_prefix)
    assert secret not in client.get(f"/django-admin/lms/scimtoken/{token.pk}/change/").content.decode()
    client.logout()
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    client.force_login(superuser)
    client.post("/django-admin/lms/scimtoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
