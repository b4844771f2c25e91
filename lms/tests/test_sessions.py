"""Sessions while the cache (Redis) cannot be reached (lms.sessions, issue 18): read from and
written to the database, nobody signed out, no 500 (Django's cached_db answered 500 on every
signed-in page and sign-in while Redis restarted)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: connections are refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def redis_down(settings):
    settings.SESSION_ENGINE = "lms.sessions"
    settings.CACHES = UNREACHABLE
    # The password-reset and API limits count in the cache too; these tests are about sessions.
    return settings


def test_with_the_cache_down_a_person_signs_in_browses_and_signs_out(client, redis_down, caplog):
    person = UserFactory()

    signed_in = client.post(reverse("login"), {"username": person.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/assignments/history/").status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302  # signed out: to the login page
    assert any("Session cache unavailable" in record.getMessage() for record in caplog.records)


def test_a_session_made_while_the_cache_was_up_is_read_from_the_database_when_it_is_down(client, settings):
    settings.SESSION_ENGINE = "lms.sessions"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    person = UserFactory()
    client.post(reverse("login"), {"username": person.email, "password": TEST_PASSWORD})
    assert client.get(reverse("home")).status_code == 200

    settings.CACHES = UNREACHABLE
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("home")).context["user"] == person
