"""Issue 17 (outside review): editing a returned entry with the hidden ``submission`` field
missing or stale says the form was out of date (not "it is not returned to you") and changes
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from assignments.cpd import services
from assignments.cpd.models import ExternalLearning
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EDIT = {"title": "Wound care 2026", "provider": "Royal College", "completed_on": "2026-06-01", "points": "4"}


@pytest.fixture
def returned(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = UserFactory(first_name="Morgan")
    learner = UserFactory(first_name="Nia", manager=manager)
    entry = services.external_learning_submit(
        learner=learner,
        title="Wound care",
        provider="Royal College",
        completed_on=dt.date(2026, 6, 1),
        points=Decimal("4"),
    )
    services.external_learning_return(entry=entry, actor=manager, submission=1, comment="Add the date.")
    entry.refresh_from_db()
    return entry


@pytest.mark.parametrize("submission", [None, "", "abc", "7"])
def test_an_edit_without_the_current_submission_number_says_the_form_was_out_of_date(returned, client, submission):
    client.force_login(returned.learner)
    data = dict(EDIT) if submission is None else {**EDIT, "submission": submission}
    response = client.post(reverse("cpd:entry_edit", args=[returned.pk]), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "The form was out of date, so nothing was changed: open the entry again." in page
    assert "it is not returned to you" not in page
    returned.refresh_from_db()
    assert (returned.status, returned.submission, returned.title) == (ExternalLearning.Status.RETURNED, 1, "Wound care")


def test_the_edit_with_the_current_submission_number_is_sent(returned, client):
    client.force_login(returned.learner)
    response = client.post(reverse("cpd:entry_edit", args=[returned.pk]), {**EDIT, "submission": "1"})
    assert response.status_code == 302
    returned.refresh_from_db()
    assert (returned.status, returned.submission, returned.title) == (
        ExternalLearning.Status.PENDING,
        2,
        "Wound care 2026",
    )
