"""Sessions and rate limits while the cache (Redis) cannot be reached (issue 18: lms.settings'
django-redis cache that ignores its connection errors, cached_db sessions): read from and written
to the database, nobody signed out, no 500 (with Django's own Redis backend every signed-in page and
sign-in answered 500 while Redis restarted)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lms.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Nothing listens on port 1: connections are refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}


@pytest.fixture
def redis_down(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = UNREACHABLE
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    return settings


def test_with_the_cache_down_a_person_signs_in_browses_and_signs_out(client, redis_down, caplog):
    person = UserFactory()

    signed_in = client.post(reverse("login"), {"username": person.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/assignments/history/").status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302  # signed out: to the login page
    assert any(record.name == "django_redis.cache" for record in caplog.records)


def test_with_the_cache_down_a_password_reset_is_still_answered(client, redis_down):
    person = UserFactory()
    response = client.post(reverse("password_reset"), {"email": person.email})
    assert response.status_code == 302


def test_a_session_made_while_the_cache_was_up_is_read_from_the_database_when_it_is_down(client, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    person = UserFactory()
    client.post(reverse("login"), {"username": person.email, "password": TEST_PASSWORD})
    assert client.get(reverse("home")).status_code == 200

    settings.CACHES = UNREACHABLE
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("home")).context["user"] == person
