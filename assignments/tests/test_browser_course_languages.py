"""Issue 16's browser scenario: a Spanish learner takes a course that has a complete Spanish
translation (the shipped HS-101 package), reads it in Spanish, fails the final assessment, sees
the Spanish feedback, gets the failure email in Spanish, and their manager, whose language is
English (UK), gets the manager's notice in English.

The course texts come from the course's translation; the interface strings come from the
catalogues (locale/es), which other work is completing: the email's interface text is checked
against the Spanish catalogue (its msgstr once translated, the English text while it is not).
"""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from courses.models import Choice, Question
from courses.services.authoring import course_import_package
from courses.tests.factories import AssignmentFactory
from escalation.dispatch import run_dispatch
from lms.tests.factories import UserFactory
from lms.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PACKAGE = Path(django_settings.BASE_DIR) / "courses" / "packages" / "HS-101.json"


def catalogue_text(language: str, msgid: str) -> str:
    """What the interface shows for ``msgid`` in ``language``: its translation, or the English
    text while the catalogue has none (Django falls back the same way)."""
    entry = polib.pofile(str(Path(django_settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po")).find(
        msgid
    )
    if entry is None or not entry.msgstr or "fuzzy" in entry.flags:
        return msgid
    return entry.msgstr


def test_a_spanish_learner_fails_in_spanish_and_the_english_manager_is_told_in_english(
    page: Page, live_server, settings
):
    settings.SITE_URL = live_server.url
    course = course_import_package(package=json.loads(PACKAGE.read_text(encoding="utf-8")), publish=True)
    manager = UserFactory(email="morgan@example.com", first_name="Morgan", locale="en-gb")
    learner = UserFactory(
        email="sofia@example.com", first_name="Sofía", last_name="García", locale="es", manager=manager
    )
    assignment = AssignmentFactory(learner=learner, course=course)
    final = course.final_quiz

    log_in(page, live_server, "sofia@example.com")
    page.goto(f"{live_server.url}{reverse('player_course', args=[assignment.pk])}")
    content = page.get_by_test_id("course-content")
    expect(content).to_have_attribute("lang", "es")
    expect(page.locator("h1")).to_have_text("Salud y seguridad en el trabajo")
    expect(content).to_contain_text("Responsabilidades y evaluación de riesgos")
    expect(page.locator("#course-language")).to_have_value("es")
    expect(page.locator("html")).to_have_attribute("lang", "es")  # the interface follows her locale

    page.locator(f"form[action='{reverse('player_quiz_start', args=[assignment.pk, final.pk])}'] button").click()
    expect(page.get_by_test_id("attempt-form")).to_be_visible()
    expect(page.get_by_test_id("course-content")).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("attempt-form")).to_contain_text("¿Qué es un cuasiaccidente?")
    # Every question answered with a wrong choice.
    for question in Question.objects.filter(quiz=final):
        wrong = Choice.objects.filter(question=question, is_correct=False).order_by("order").first()
        page.locator(f"input[name='q_{question.pk}'][value='{wrong.pk}']").check()
    page.locator("[data-testid='attempt-form'] button[type='submit']").click()

    page.wait_for_url("**/result/")
    result = page.get_by_test_id("course-content")
    expect(result).to_have_attribute("lang", "es")
    expect(result).to_contain_text(
        "Un peligro es algo que puede causar daño; el riesgo es la probabilidad de que alguien sufra daño por él"
    )
    expect(result).to_contain_text("Esa es la definición de peligro, no de riesgo.")  # the wrong choice's feedback
    expect(result).to_contain_text("Responsabilidades y evaluación de riesgos")  # where to review it
    attempt = assignment.attempts.get()
    assert (attempt.language, attempt.passed, str(attempt.score)) == ("es", False, "0.00")

    run_dispatch(as_of=timezone.now())
    [to_learner] = [m for m in mail.outbox if m.to == ["sofia@example.com"]]
    [to_manager] = [m for m in mail.outbox if m.to == ["morgan@example.com"]]

    # The learner's email: the course's texts in Spanish, the interface from the Spanish catalogue.
    assert to_learner.subject == catalogue_text("es", "%(course)s: not passed this time") % {
        "course": "Salud y seguridad en el trabajo"
    }
    assert "¿Qué es un cuasiaccidente?" in to_learner.body
    assert "Incendios, emergencias y notificación de incidentes" in to_learner.body
    assert catalogue_text("es", "Your results:") in to_learner.body
    assert "What is a near miss?" not in to_learner.body

    # The manager's notice: English throughout.
    assert to_manager.subject == "Sofía García did not pass Health and safety at work"
    assert "Health and safety at work" in to_manager.body
    assert "Salud y seguridad" not in to_manager.body
