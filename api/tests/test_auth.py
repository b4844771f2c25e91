"""Tokens, scopes and errors: who gets in, and how a refusal reads (RFC 9457 problem details)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from api.throttling import TokenRateThrottle
from lms.tests.factories import AdminFactory, UserFactory

PEOPLE_READ = ApiToken.Scope.PEOPLE_READ.value
TRAINING_READ = ApiToken.Scope.TRAINING_READ.value
ASSIGNMENTS_WRITE = ApiToken.Scope.ASSIGNMENTS_WRITE.value

# Every operation, with the scope it needs: (method, path, body).
OPERATIONS = [
    (PEOPLE_READ, "get", "/api/v1/people/", None),
    (PEOPLE_READ, "get", "/api/v1/people/{person}/", None),
    (TRAINING_READ, "get", "/api/v1/people/{person}/compliance/", None),
    (TRAINING_READ, "get", "/api/v1/courses/", None),
    (TRAINING_READ, "get", "/api/v1/assignments/", None),
    (TRAINING_READ, "get", "/api/v1/assignments/1/", None),
    (TRAINING_READ, "get", "/api/v1/completions/", None),
    (TRAINING_READ, "get", "/api/v1/reports/organisation/", None),
    (ASSIGNMENTS_WRITE, "post", "/api/v1/assignments/", {"learner": 1, "course_code": "X"}),
    (ASSIGNMENTS_WRITE, "post", "/api/v1/assignments/1/archive/", {"reason": "other"}),
    (ASSIGNMENTS_WRITE, "post", "/api/v1/assignments/1/reassign/", {}),
]


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].endswith(f"/api/docs/#problem-{slug}")
    assert body["title"] and body["detail"]
    return body


def test_every_operation_is_in_this_table(published_schema):
    listed = {
        (method, path.replace("{person}", "{id}").replace("/1/", "/{id}/")) for _s, method, path, _b in OPERATIONS
    }
    published = {(method, path) for path, item in published_schema["paths"].items() for method in item}
    assert listed == published


@pytest.mark.parametrize("scope,method,path,body", OPERATIONS)
def test_each_scope_refuses_what_it_does_not_grant(api_for, scope, method, path, body):
    person = UserFactory()
    others = [s for s in ApiToken.Scope.values if s != scope]
    client = api_for(*others)
    url = path.format(person=person.pk)

    response = client.get(url) if method == "get" else client.post(url, body)

    problem = _problem(response, 403, "insufficient-scope")
    assert problem["scope"] == scope
    assert scope in problem["detail"]


@pytest.mark.parametrize("scope,method,path,body", OPERATIONS)
def test_a_token_with_the_scope_gets_past_the_scope_check(api_for, scope, method, path, body):
    person = UserFactory()
    client = api_for(scope)
    url = path.format(person=person.pk)

    response = client.get(url) if method == "get" else client.post(url, body)

    assert response.status_code not in {401, 403}


def test_an_unknown_token_is_refused_with_401(api):
    response = api.get("/api/v1/people/", token="lms_not-a-token-anyone-was-given")

    _problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_refused_with_401(api):
    assert api.get("/api/v1/people/").status_code == 200
    api_token_revoke(token=api.token_row)

    response = api.get("/api/v1/people/")

    _problem(response, 401, "not-authenticated")


def test_no_token_or_another_scheme_is_401(api):
    _problem(api.get("/api/v1/courses/", token=""), 401, "not-authenticated")
    response = api.get("/api/v1/courses/", token="", HTTP_AUTHORIZATION="Basic YWRtaW46cGFzcw==")
    _problem(response, 401, "not-authenticated")


def test_a_signed_in_admin_without_a_token_is_401(api):
    api.client.force_login(AdminFactory())

    response = api.get("/api/v1/people/", token="")

    _problem(response, 401, "not-authenticated")


def test_only_a_digest_of_the_secret_is_stored_and_last_use_is_recorded(api):
    token = ApiToken.objects.get(pk=api.token_row.pk)
    assert token.last_used_at is None
    assert api.token not in {token.key_digest, token.key_prefix}
    assert token.key_digest != api.token and len(token.key_digest) == 64

    api.get("/api/v1/courses/")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_needs_a_name_and_a_known_scope(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        api_token_create(name=" ", scopes=["people:write"])
    assert set(error.value.message_dict) == {"name", "scopes"}


def test_each_token_has_its_own_rate_limit(api_for, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    busy, other = api_for(TRAINING_READ, name="Busy"), api_for(TRAINING_READ, name="Other")
    for _ in range(3):
        assert busy.get("/api/v1/courses/").status_code == 200

    response = busy.get("/api/v1/courses/")

    _problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) > 0
    assert other.get("/api/v1/courses/").status_code == 200


def test_a_body_that_is_not_json_is_a_problem(api):
    response = api.post("/api/v1/assignments/", "{not json", content_type="application/json")
    _problem(response, 400, "malformed-request")

    response = api.post("/api/v1/assignments/", "learner=1", content_type="application/x-www-form-urlencoded")
    _problem(response, 415, "unsupported-media-type")


def test_field_errors_point_at_their_fields(api):
    response = api.post("/api/v1/assignments/", {"learner": "x", "due_days": -1})

    problem = _problem(response, 400, "validation-error")
    pointers = {error["pointer"] for error in problem["errors"]}
    assert pointers == {"#/learner", "#/course_code", "#/due_days"}


def test_a_bad_query_parameter_is_a_field_error(api):
    problem = _problem(api.get("/api/v1/people/", {"updated_since": "yesterday"}), 400, "validation-error")
    assert problem["errors"][0]["pointer"] == "#/updated_since"


def test_the_schema_is_a_valid_openapi_3_1_document(published_schema):
    from drf_spectacular.validation import validate_schema

    validate_schema(published_schema)
    assert published_schema["openapi"].startswith("3.1")
    assert published_schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_page_lists_every_operation_and_problem_type(client, published_schema):
    response = client.get(reverse("api:docs"))

    assert response.status_code == 200
    page = response.content.decode()
    for path in published_schema["paths"]:
        assert f"<code>{path}</code>" in page
    assert 'id="problem-insufficient-scope"' in page
    assert "<script" not in page.split("</main>")[0].split("<main")[-1]
