"""The API's test client: every response any API test receives is checked against the published
OpenAPI document (``/api/schema/``, fetched once per session): the operation exists for the path
and method, the status code is documented for it, the content type is the documented one, and the
body validates against the documented JSON schema (OpenAPI 3.1 schemas are JSON Schema 2020-12,
checked with ``jsonschema``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.test import Client
from jsonschema import Draft202012Validator

from api.models import ApiToken
from api.services import api_token_create

ALL_SCOPES = tuple(ApiToken.Scope.values)


@dataclass
class SchemaChecked:
    """A test client for /api/v1/ whose every response must match the published schema."""

    document: dict
    token: str | None = None
    client: Client = field(default_factory=Client)
    checked: list[tuple[str, str, int]] = field(default_factory=list)

    def _operation(self, method: str, url: str) -> tuple[str, dict]:
        path = urlsplit(url).path
        for template, item in self.document["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and method in item:
                return template, item[method]
        raise AssertionError(f"{method.upper()} {url} is not in the published schema")

    def check(self, method: str, path: str, response) -> None:
        template, operation = self._operation(method, path)
        documented = operation["responses"]
        code = str(response.status_code)
        assert code in documented, f"{method.upper()} {template} answered {code}, documented: {sorted(documented)}"
        media = response["Content-Type"].split(";")[0].strip()
        content = documented[code].get("content", {})
        assert media in content, f"{method.upper()} {template} {code} is {media}, documented: {sorted(content)}"
        schema = {**content[media]["schema"], "components": self.document["components"]}
        errors = sorted(Draft202012Validator(schema).iter_errors(json.loads(response.content)), key=str)
        assert not errors, f"{method.upper()} {template} {code} does not match the schema: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
        )
        self.checked.append((method, template, response.status_code))

    def _headers(self, token: str | None, headers: dict) -> dict:
        token = self.token if token is None else token
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return {**extra, **headers}

    def get(self, path: str, params: dict | None = None, *, token: str | None = None, **headers):
        response = self.client.get(path, params or {}, **self._headers(token, headers))
        self.check("get", path, response)
        return response

    def post(self, path: str, body=None, *, token: str | None = None, content_type="application/json", **headers):
        data = body if isinstance(body, str | bytes) else json.dumps(body or {})
        response = self.client.post(path, data, content_type=content_type, **self._headers(token, headers))
        self.check("post", path, response)
        return response


@pytest.fixture(scope="session")
def published_schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def make_token(*scopes: str, name: str = "BI tool") -> tuple[ApiToken, str]:
    return api_token_create(name=name, scopes=scopes or ALL_SCOPES)


@pytest.fixture
def api(db, published_schema) -> SchemaChecked:
    """A schema-checked client holding a token with every scope (``api.token_row``)."""
    token, secret = make_token()
    client = SchemaChecked(document=published_schema, token=secret)
    client.token_row = token
    return client


@pytest.fixture
def api_for(db, published_schema):
    """A schema-checked client for a token with the given scopes."""

    def build(*scopes: str, name: str = "Integration") -> SchemaChecked:
        token, secret = make_token(*scopes, name=name)
        client = SchemaChecked(document=published_schema, token=secret)
        client.token_row = token
        return client

    return build
