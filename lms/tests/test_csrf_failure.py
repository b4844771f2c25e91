"""A form refused by the CSRF check (issue 17's outside eyes: Django's bare yellow page, in English,
naming "CSRF verification" and a setting) gets the site's own page saying what to do."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_stale_login_form_gets_the_site_page_not_djangos():
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))  # the cookie is set, but the form's token is missing
    response = client.post(reverse("login"), {"username": "a@example.com", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="csrf-failure"' in html and "This page is out of date" in html
    assert "CSRF" not in html and "CSRF_TRUSTED_ORIGINS" not in html
    assert "allow cookies" not in html.lower()


def test_no_cookie_says_to_allow_cookies():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a@example.com", "password": "x"})
    assert response.status_code == 403
    assert "Allow cookies for this site" in response.content.decode()


def test_a_signed_in_person_gets_it_in_their_own_layout():
    user = UserFactory(first_name="Rita")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("home"))
    response = client.post(reverse("home"), {})
    assert response.status_code == 403
    assert "This page is out of date" in response.content.decode()
