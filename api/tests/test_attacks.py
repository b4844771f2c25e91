"""What a security test of the REST API tried, each answered as the documentation says: HEAD and
OPTIONS need scopes, forged cursors and unreadable bodies are 400 problems, updated_since sees
the manager's and department's changes, due dates stay in the project's range, errors under
/api/ are problem details, the report's department list is bounded, simultaneous archives and
re-assigns have one winner and 409 for the rest, and the token page makes one token per form."""

from __future__ import annotations

import base64
import datetime as dt
import threading

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from api import pages
from api.models import ApiToken
from assignments.models import Assignment
from courses.tests.factories import AssignmentFactory, CourseFactory
from lms.models import Department, User
from lms.services import department_update
from lms.tests.factories import AdminFactory, UserFactory

PEOPLE_READ = ApiToken.Scope.PEOPLE_READ.value
TRAINING_READ = ApiToken.Scope.TRAINING_READ.value
ASSIGNMENTS_WRITE = ApiToken.Scope.ASSIGNMENTS_WRITE.value


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].endswith(f"/api/docs/#problem-{slug}")
    assert body["title"] and body["detail"]
    return body


def _bearer(client) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {client.token}"}


# --- 1. HEAD and OPTIONS ------------------------------------------------------------------------


@pytest.mark.django_db
def test_head_needs_the_scope_get_needs(api_for):
    UserFactory()
    writer = api_for(ASSIGNMENTS_WRITE)
    reader = api_for(PEOPLE_READ)

    refused = Client().head("/api/v1/people/", **_bearer(writer))
    allowed = Client().head("/api/v1/people/", **_bearer(reader))

    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    assert allowed.status_code == 200


@pytest.mark.django_db
def test_options_needs_a_scope_of_the_view(api_for):
    writer = api_for(ASSIGNMENTS_WRITE)
    reader = api_for(PEOPLE_READ)

    refused = Client().options("/api/v1/people/", **_bearer(writer))
    allowed = Client().options("/api/v1/people/", **_bearer(reader))

    assert refused.status_code == 403 and refused.json()["scope"] == PEOPLE_READ
    assert allowed.status_code == 200


# --- 2. forged list cursors -----------------------------------------------------------------------


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("p=abc"),
        _cursor("p="),
        _cursor("p=1.5"),
        _cursor("p=%00"),
        _cursor("p=-1"),
        _cursor("p=99999999999999999999999999"),
        _cursor("o=x"),
        "not base64!",
        "é",
    ],
)
def test_a_forged_cursor_is_a_400_naming_the_cursor(api, cursor):
    UserFactory.create_batch(2)

    response = api.get("/api/v1/people/", {"cursor": cursor})

    body = _problem(response, 400, "validation-error")
    assert body["errors"][0]["pointer"] == "#/cursor"


@pytest.mark.django_db
def test_the_cursor_the_api_gives_out_still_works(api):
    people = UserFactory.create_batch(3)

    first = api.get("/api/v1/people/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    listed = [row["id"] for row in first["results"] + second["results"]]
    assert set(listed) >= {person.pk for person in people}


# --- 3. bodies that cannot be read ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_deeply_nested_body_is_a_400(api):
    response = api.post("/api/v1/assignments/", "[" * 100000)

    _problem(response, 400, "malformed-request")


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_a_400(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"learner": 1, "course_code": "X", "note": "' + "a" * 2000 + '"}'

    response = api.post("/api/v1/assignments/", body)

    assert "1000" in _problem(response, 400, "malformed-request")["detail"]


# --- 4. updated_since -----------------------------------------------------------------------------


def _age_everyone(since: dt.datetime) -> None:
    User.objects.update(updated_at=since - dt.timedelta(hours=1))
    Department.objects.update(updated_at=since - dt.timedelta(hours=1))


@pytest.mark.django_db
def test_updated_since_finds_people_whose_manager_changed_email(api):
    manager = UserFactory()
    report, other = UserFactory(manager=manager), UserFactory()
    since = timezone.now()
    _age_everyone(since)

    manager.email = "new.manager@example.com"
    manager.save()
    response = api.get("/api/v1/people/", {"updated_since": since.isoformat()})

    listed = {row["id"]: row for row in response.json()["results"]}
    assert set(listed) == {manager.pk, report.pk} and other.pk not in listed
    assert listed[report.pk]["manager_email"] == "new.manager@example.com"


@pytest.mark.django_db
def test_updated_since_finds_people_whose_department_was_renamed(api):
    department = Department.objects.create(name="Warehouse")
    inside, outside = UserFactory(department=department), UserFactory()
    since = timezone.now()
    _age_everyone(since)

    department_update(department=department, name="Logistics", parent=None)
    response = api.get("/api/v1/people/", {"updated_since": since.isoformat()})

    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [inside.pk] and outside.pk not in {row["id"] for row in rows}
    assert rows[0]["department_name"] == "Logistics"


# --- 5. due dates in the project's range ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("due_date", ["9999-12-31", "2101-01-01"])
def test_a_due_date_outside_the_projects_range_is_refused(api, due_date):
    learner = UserFactory()
    CourseFactory(code="FIRE-1")
    assignment = AssignmentFactory(course=CourseFactory(code="GDPR-1"))

    assigned = api.post("/api/v1/assignments/", {"learner": learner.pk, "course_code": "FIRE-1", "due_date": due_date})
    reassigned = api.post(f"/api/v1/assignments/{assignment.pk}/reassign/", {"due_date": due_date})

    for response in (assigned, reassigned):
        body = _problem(response, 400, "validation-error")
        assert body["errors"] == [
            {"pointer": "#/due_date", "detail": "Enter a date between 1900-01-01 and 2100-12-31."}
        ]
    assert not Assignment.objects.filter(learner=learner).exists()
    assert Assignment.objects.filter(course_code="GDPR-1").count() == 1


# --- 6. errors under /api/ are problem details -------------------------------------------------------


@pytest.mark.django_db
def test_a_nul_in_the_query_string_is_a_problem(api):
    response = api.get("/api/v1/people/", {"email": "a\x00@example.com"})

    _problem(response, 400, "malformed-request")


@pytest.mark.django_db
def test_too_many_query_parameters_is_a_problem(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10

    response = api.get("/api/v1/people/", {f"p{n}": "1" for n in range(20)})

    _problem(response, 400, "malformed-request")


@pytest.mark.django_db
def test_a_nul_outside_the_api_is_still_the_html_page(client):
    response = client.get("/people/", {"q": "\x00"})

    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/people/1/nothing/", "/api/v1/"])
def test_an_unknown_api_path_is_a_404_problem(api, path):
    got = Client().get(path, **_bearer(api))
    posted = Client().post(path, "{}", content_type="application/json", **_bearer(api))

    anonymous = Client().get(path)

    _problem(got, 404, "not-found")
    _problem(posted, 404, "not-found")
    _problem(anonymous, 401, "not-authenticated")


@pytest.mark.django_db
def test_asking_for_html_is_a_documented_406(api):
    response = api.get("/api/v1/people/", HTTP_ACCEPT="text/html")

    _problem(response, 406, "not-acceptable")


@pytest.mark.django_db
def test_the_exception_handler_turns_djangos_request_errors_into_problems():
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

    from api.problems import exception_handler

    request = RequestFactory().get("/api/v1/people/")
    for error in (RequestDataTooBig("big"), TooManyFieldsSent("many")):
        response = exception_handler(error, {"request": request})
        assert response.status_code == 400 and response.data["type"].endswith("#problem-malformed-request")


# --- 7. the organisation report's department list ------------------------------------------------


@pytest.mark.django_db
def test_repeated_department_ids_count_once(api, django_assert_max_num_queries):
    department = Department.objects.create(name="Warehouse")
    UserFactory(department=department)

    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/reports/organisation/", {"department": [department.pk] * 990})

    assert response.status_code == 200


@pytest.mark.django_db
def test_more_than_100_departments_is_a_400(api):
    departments = Department.objects.bulk_create(Department(name=f"D{n}") for n in range(101))

    response = api.get("/api/v1/reports/organisation/", {"department": [d.pk for d in departments]})

    body = _problem(response, 400, "validation-error")
    assert body["errors"][0]["pointer"] == "#/department"


# --- 8. simultaneous archives and re-assigns (PostgreSQL) --------------------------------------------


def _at_once(api, path: str, body: dict, n: int) -> list:
    barrier = threading.Barrier(n)
    responses: list = []

    def post():
        try:
            client = Client()
            barrier.wait(30)
            responses.append(client.post(path, body, content_type="application/json", **_bearer(api)))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for response in responses:
        api.check("post", path, response)
    return responses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_simultaneous_archives_one_wins_and_the_rest_are_409(api):
    assignment = AssignmentFactory()

    responses = _at_once(api, f"/api/v1/assignments/{assignment.pk}/archive/", {"reason": "other"}, 6)

    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409, 409]
    assignment.refresh_from_db()
    assert assignment.archived_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_simultaneous_reassigns_one_wins_and_the_rest_are_409(api):
    assignment = AssignmentFactory(course=CourseFactory(code="FIRE-1"))

    responses = _at_once(api, f"/api/v1/assignments/{assignment.pk}/reassign/", {}, 4)

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert Assignment.objects.filter(course_code="FIRE-1", archived_at=None).count() == 1


# --- 9. the token page: one token per form, the secret shown once ------------------------------------


@pytest.mark.django_db
def test_reloading_the_token_page_makes_no_second_token_and_hides_the_secret(client):
    client.force_login(AdminFactory())

    made = client.post(reverse("api:tokens"), {"name": "Power BI", "scopes": [PEOPLE_READ]})
    shown = client.get(made["Location"])
    reloaded = client.get(made["Location"])

    assert made.status_code == 302 and ApiToken.objects.count() == 1
    secret = shown.context["secret"]
    assert secret in shown.content.decode() and "no-store" in shown["Cache-Control"]
    assert reloaded.status_code == 200 and "secret" not in reloaded.context
    assert secret not in reloaded.content.decode()


@pytest.mark.django_db
def test_two_loads_at_once_show_the_secret_once(client):
    admin = AdminFactory()
    client.force_login(admin)
    client.post(reverse("api:tokens"), {"name": "Power BI", "scopes": [PEOPLE_READ]})
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    # Both requests read the session before either has saved it.
    requests = []
    for _ in range(2):
        request = RequestFactory().get(reverse("api:tokens"))
        request.user = admin
        request.session = SessionStore(session_key=key)
        assert pages.SECRET_KEY in request.session
        requests.append(request)

    bodies = [pages.tokens(request).content.decode() for request in requests]

    assert sum("api-token-secret" in body for body in bodies) == 1
