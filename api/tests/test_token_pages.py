"""Admins make and revoke API tokens in the browser; the secret is shown once."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from api.models import ApiToken
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_admin_makes_a_token_and_sees_its_secret_once(client):
    admin = AdminFactory()
    client.force_login(admin)

    made = client.post(reverse("api:tokens"), {"name": "Power BI", "scopes": ["training:read", "people:read"]})
    assert made.status_code == 302 and made["Location"] == reverse("api:tokens")
    response = client.get(reverse("api:tokens"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert secret.startswith("lms_") and secret in response.content.decode()
    assert token.key_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.scopes == ["people:read", "training:read"] and token.created_by == admin
    listing = client.get(reverse("api:tokens")).content.decode()
    assert "Power BI" in listing and secret not in listing
    entry = AuditEntry.objects.get(object_type="api.apitoken", object_id=str(token.pk))
    assert (entry.action, entry.actor) == ("create", admin)


def test_a_token_without_a_name_or_scope_is_refused_on_its_fields(client):
    client.force_login(AdminFactory())

    response = client.post(reverse("api:tokens"), {"name": "", "scopes": []})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "scopes"}
    assert not ApiToken.objects.exists()


def test_a_revoked_token_stops_working(client):
    admin = AdminFactory()
    client.force_login(admin)
    client.post(reverse("api:tokens"), {"name": "HR tool", "scopes": ["people:read"]})
    token = ApiToken.objects.get()
    secret = client.post(reverse("api:tokens"), {"name": "Other", "scopes": ["people:read"]}, follow=True).context[
        "secret"
    ]
    other = ApiToken.objects.get(name="Other")

    response = client.post(reverse("api:token_revoke", args=[other.pk]), follow=True)

    assert "no longer works" in response.content.decode()
    other.refresh_from_db()
    token.refresh_from_db()
    assert other.revoked_at is not None and other.revoked_by == admin and token.revoked_at is None
    assert client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert AuditEntry.objects.filter(object_type="api.apitoken", object_id=str(other.pk), action="change").count() == 1


def test_only_admins_reach_the_token_pages(client):
    client.force_login(UserFactory())

    assert client.get(reverse("api:tokens")).status_code == 403
    assert client.post(reverse("api:tokens"), {"name": "x", "scopes": ["people:read"]}).status_code == 403
    assert not ApiToken.objects.exists()
