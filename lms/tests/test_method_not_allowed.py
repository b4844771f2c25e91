"""A form's address opened with GET (sent back there by ``?next=`` after signing in again, when the
session had ended before the form was posted: outside eyes, issue 17) gets the site's page, not the
browser's bare "HTTP ERROR 405"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_post_only_address_opened_after_signing_in_again_explains_itself():
    user = UserFactory(locale="fr")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("set_language"))  # the language switcher takes POST only
    assert response.status_code == 405 and response["Allow"] == "POST"
    html = response.content.decode()
    assert 'data-testid="method-not-allowed"' in html and '<html lang="fr"' in html


def test_the_api_keeps_its_own_answer():
    client = Client()
    response = client.delete("/api/v1/")
    assert 'data-testid="method-not-allowed"' not in response.content.decode()
