"""The notifications page in the reader's language (outside eyes, issue 16: a Spanish learner's page
read "Salud y seguridad en el trabajo — Attempt 1 failed (12,5%)")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("locale", "shown"), [("es", False), ("ar", False), ("en-gb", True), ("en", True)])
def test_the_english_record_line_shows_on_english_pages_only(client, locale, shown):
    learner = UserFactory(locale=locale)
    enqueue(
        [
            Outgoing(
                learner.pk,
                Notification.Kind.ATTEMPT_FAILED,
                "attempt_failed:test",
                {"course": "Salud y seguridad", "reason": "attempt 1 failed (12.5%)"},
            )
        ]
    )
    client.force_login(learner)
    page = client.get(reverse("escalation:notifications")).content.decode()
    assert "Salud y seguridad" in page
    assert ("Attempt 1 failed (12.5%)" in page) is shown
