"""Whose language a document is in (issue 16).

- A certificate and a CPD transcript belong to the learner: their language and time zone, whoever
  downloads them (an English-speaking admin in London here).
- A report or a case file is for the person who asks for it: the language of their page.

PDFs are read back with pdftotext; Arabic documents are laid out from the right (the start edge).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from courses.tests.factories import AssignmentFactory, CompletionFactory, make_course
from lms.tests.factories import AdminFactory, UserFactory
from lms.tests.recipient_language import (
    LANGUAGES,
    ZONES,
    assert_from_start_edge,
    assert_in_pdf,
    local_day,
    pdf_text,
    translated,
)

pytestmark = pytest.mark.django_db

# 22:30 in London on 13 Nov: already 14 Nov in Dubai, still 13 Nov in Paris, Berlin and Madrid
# (23:30 there).
PASSED = dt.datetime(2026, 11, 13, 22, 30, tzinfo=dt.UTC)


@pytest.fixture
def english_admin(client):
    admin = AdminFactory(locale="en-gb", timezone="Europe/London")
    client.force_login(admin)
    return admin


def pdf_of(response) -> bytes:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_certificate_is_in_the_learners_language_and_zone_whoever_downloads_it(
    language, client, english_admin, settings
):
    settings.ORGANISATION_NAME = "Zephyrwood Trust"
    learner = UserFactory(locale=language, timezone=ZONES[language], first_name="Amal", last_name="Haddad")
    course = make_course(title="Data protection", recertification_months=12)
    assignment = AssignmentFactory(course=course, learner=learner, assigned_at=PASSED - dt.timedelta(days=5))
    completion = CompletionFactory(
        assignment=assignment,
        learner=learner,
        course=course,
        completed_at=PASSED,
        attested_at=PASSED,
        expires_on=dt.date(2027, 11, 13),
    )

    pdf = pdf_of(client.get(reverse("certificate_download", args=[completion.pk])))

    text = pdf_text(pdf)
    assert_in_pdf(translated(language, "Certificate of completion"), text, language)
    assert_in_pdf(translated(language, "Date of completion"), text, language)
    completed_on = timezone.localdate(PASSED, timezone=zoneinfo.ZoneInfo(ZONES[language]))
    assert completed_on == (dt.date(2026, 11, 14) if language == "ar" else dt.date(2026, 11, 13))
    assert_in_pdf(local_day(language, completed_on), text, language)
    assert_in_pdf(local_day(language, completion.expires_on), text, language)
    assert "Date of completion" not in text and local_day("en-gb", completion.expires_on) not in text
    # The attestation's time in the learner's zone (23:30 in Paris, 02:30 in Dubai), not London's.
    with translation.override(language):
        attested = formats.date_format(timezone.localtime(PASSED, zoneinfo.ZoneInfo(ZONES[language])), "TIME_FORMAT")
    assert_in_pdf(attested, text, language)
    assert "22:30" not in text
    assert_from_start_edge(pdf, "Zephyrwood", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_cpd_transcript_is_in_the_learners_language_whoever_downloads_it(language, client, english_admin):
    learner = UserFactory(locale=language, timezone=ZONES[language], first_name="Amal", last_name="Haddad")
    course = make_course(title="Infection control")
    CompletionFactory(learner=learner, course=course, completed_at=dt.datetime(2026, 5, 2, 10, tzinfo=dt.UTC))

    pdf = pdf_of(client.get(reverse("reports_cpd_transcript", args=[learner.pk, 2026])))

    text = pdf_text(pdf)
    assert_in_pdf(translated(language, "Department"), text, language)
    assert_in_pdf(translated(language, "Job title"), text, language)
    assert "Job title" not in text
    assert_in_pdf(local_day(language, dt.date(2026, 5, 2)), text, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_report_pdf_is_in_the_language_of_the_admin_who_asks_for_it(language, client, settings):
    settings.ORGANISATION_NAME = "Zephyrwood Trust"
    admin = AdminFactory(locale=language, timezone=ZONES[language])
    client.force_login(admin)
    # People of other languages in the report change nothing: it is the reader's document.
    AssignmentFactory(learner=UserFactory(locale="en-gb"), course=make_course(title="Fire safety"))

    pdf = pdf_of(client.get(reverse("reports_organisation_export", args=["pdf"])))

    text = pdf_text(pdf)
    assert_in_pdf(translated(language, "Organisation compliance report"), text, language)
    assert_in_pdf(translated(language, "Filters"), text, language)
    assert "Organisation compliance report" not in text
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(ZONES[language]))
    assert_in_pdf(local_day(language, today), text, language)
    assert_from_start_edge(pdf, "Zephyrwood", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_case_file_pdf_is_in_the_language_of_the_person_who_asks_for_it(language, client):
    manager = UserFactory(locale=language, timezone=ZONES[language])
    learner = UserFactory(locale="fr" if language != "fr" else "de", manager=manager)
    assignment = AssignmentFactory(learner=learner, course=make_course(title="Fire safety"))
    client.force_login(manager)

    pdf = pdf_of(client.get(reverse("escalation:case_file_pdf", args=[assignment.pk])))

    text = pdf_text(pdf)
    assert_in_pdf(translated(language, "Why"), text, language)
    assert_in_pdf(local_day(language, assignment.due_date), text, language)
    assert "Why" not in text


def test_the_pdf_font_has_arabic_glyphs():
    # The PDFs name DejaVu Sans (Debian's fonts-dejavu-core, in the Makefile's DEB_PACKAGES): without
    # a font that covers Arabic, an Arabic certificate or letter would print empty boxes.
    families = subprocess.run(["fc-list", ":lang=ar", "family"], capture_output=True, text=True, check=True).stdout
    assert any("DejaVu Sans" in line.split(",") for line in families.splitlines()), families
