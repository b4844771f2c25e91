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


def _failed_row(learner, **context):
    enqueue([Outgoing(learner.pk, Notification.Kind.ATTEMPT_FAILED, "attempt_failed:values", context)])


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en-gb", "Salud y seguridad — Attempt 1 failed (12.5%)"),
        ("fr", "Salud y seguridad — Tentative 1 échouée (12,5\u00a0%)"),
        ("de", "Salud y seguridad — Versuch 1 nicht bestanden (12,5\u00a0%)"),
    ],
)
def test_the_detail_line_is_written_in_the_readers_language_from_the_rows_values(client, locale, line):
    learner = UserFactory(locale=locale)
    _failed_row(learner, course="Salud y seguridad", attempt=1, score="12.50", reason="attempt 1 failed (12.5%)")
    client.force_login(learner)

    page = client.get(reverse("escalation:notifications")).content.decode()

    assert f'<div data-testid="notification-detail">{line}</div>' in page


def test_each_kinds_detail_line_reads_its_values_and_an_old_row_has_none():
    from django.utils import translation

    from escalation.details import notification_detail

    Kind = Notification.Kind
    with translation.override("en-gb"):
        assert notification_detail(Kind.REMINDER, {"days_left": 1}) == "due in 1 day"
        assert notification_detail(Kind.ASSIGNED, {"due_date": "2026-03-09"}) == "assigned, due 9 Mar 2026"
        assert notification_detail(Kind.OVERDUE, {"days_overdue": 15, "level": 2, "step_day": 7}) == (
            "15 days overdue (second escalation step, the one for day 7)"
        )
        assert notification_detail(Kind.ESCALATION, {"days_overdue": 1, "level": 11, "step_day": 90}) == (
            "1 day overdue (escalation step 11, the one for day 90)"
        )
        assert notification_detail(Kind.ESCALATION, {"days_overdue": 7, "level": 2}) is None
        assert notification_detail(Kind.WITHDRAWN, {"withdrawn_code": "assigned_in_error"}) == (
            "withdrawn: assigned in error"
        )
        assert notification_detail(Kind.COURSE_PASSED, {"score": "80.00"}) == "passed with 80%; certificate issued"
        # Rows written before a value was recorded: no line (the page falls back to the record).
        assert notification_detail(Kind.REMINDER, {"reason": "due in 3 days"}) is None
        assert notification_detail(Kind.ATTEMPT_FAILED, {"attempt": 1}) is None
        assert notification_detail(Kind.INVITATION, {}) is None
    with translation.override("fr"):
        assert notification_detail(Kind.REMINDER, {"days_left": 3}) == "échéance dans 3\u00a0jours"
        assert notification_detail(Kind.ESCALATION, {"days_overdue": 15, "level": 3, "step_day": 14}) == (
            "15\u00a0jours de retard (troisième étape d’escalade, celle du jour 14)"
        )
