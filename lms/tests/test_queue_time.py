"""Shedding requests that waited too long in front of the application (issue 18:
lms.middleware.QueueTimeMiddleware, X-Request-Start as reverse proxies set it)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.middleware import request_queued_seconds

NOW = 1_780_000_000.0


@pytest.mark.parametrize(
    ("header", "waited"),
    [
        ("t=1779999990.5", 9.5),  # nginx: t=${msec}, seconds
        ("t=1779999990500", 9.5),  # Heroku: milliseconds
        ("t=1779999990500000", 9.5),  # Apache: t=%t, microseconds
        (" 1779999999 ", 1.0),  # no "t=" prefix
        ("t=1780000100", None),  # in the future: another clock, not a wait
        ("t=soon", None),
        ("t=", None),
        ("t=nan", None),
        ("t=1", None),  # a day or more ago: not a time this request can have waited
    ],
)
def test_the_wait_is_read_in_seconds_milliseconds_or_microseconds(header, waited):
    got = request_queued_seconds(header, NOW)
    assert got == (pytest.approx(waited) if waited is not None else None)


@pytest.mark.django_db
def test_a_request_that_waited_too_long_gets_503_without_touching_the_database(client, settings):
    settings.REQUEST_QUEUE_TIMEOUT = 15
    stamp = f"t={time.time() - 20:.3f}"

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("login"), HTTP_X_REQUEST_START=stamp, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response["Cache-Control"] == "no-store"
    assert '<html lang="fr"' in response.content.decode()
    assert len(queries) == 0
    # The security middlewares did not run: the answer carries their headers itself.
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_shed_request_is_one_warning_with_its_wait_not_an_error_line(client, settings, caplog):
    settings.REQUEST_QUEUE_TIMEOUT = 15
    with caplog.at_level("WARNING"):
        client.get(reverse("login"), HTTP_X_REQUEST_START=f"t={time.time() - 42:.3f}")

    assert [(r.name, r.levelname) for r in caplog.records] == [("lms.middleware", "WARNING")]
    assert "shed GET /accounts/login/ after 42" in caplog.records[0].getMessage()


@pytest.mark.django_db
def test_a_request_that_waited_less_is_served_and_without_the_header_nothing_is_shed(client, settings):
    settings.REQUEST_QUEUE_TIMEOUT = 15

    assert client.get(reverse("login"), HTTP_X_REQUEST_START=f"t={time.time() - 2:.3f}").status_code == 200
    assert client.get(reverse("login")).status_code == 200
    settings.REQUEST_QUEUE_TIMEOUT = 0
    assert client.get(reverse("login"), HTTP_X_REQUEST_START=f"t={time.time() - 600:.3f}").status_code == 200
