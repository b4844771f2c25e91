"""The CPD transcript PDF (reports.cpd): the person, the year, every item, the totals and a footer
that says how to check it without giving a verification code away; read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from assignments.cpd import selectors, services
from assignments.cpd.models import CpdTarget
from assignments.cpd.years import CpdYear
from courses.tests.factories import CompletionFactory, make_course
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


@pytest.fixture
def record(settings):
    settings.SITE_URL = "https://training.example.org"
    settings.ORGANISATION_NAME = "St Elsewhere Trust"
    settings.CPD_YEAR_START_MONTH = 4
    manager = UserFactory(first_name="Morgan", last_name="Lead")
    nia = UserFactory(first_name="Nia", last_name="Nurse", job_title="Staff nurse", manager=manager)
    CpdTarget.objects.create(job_title="staff nurse", points=Decimal("12"))
    course = make_course(questions=1, modules=2, title="Infection control", cpd_points=Decimal("2.50"))
    course.modules.update(estimated_minutes=45)
    completion = CompletionFactory(
        learner=nia, course=course, completed_at=dt.datetime(2026, 5, 2, 10, tzinfo=dt.UTC), cpd_points=Decimal("2.50")
    )
    # Before the CPD year (1 April 2026 - 31 March 2027): not on the transcript.
    CompletionFactory(
        learner=nia,
        course=make_course(questions=1, title="Old course", cpd_points=Decimal("9")),
        completed_at=dt.datetime(2026, 3, 31, 10, tzinfo=dt.UTC),
        cpd_points=Decimal("9"),
    )
    with time_machine.travel(NOW, tick=False):
        approved = services.external_learning_submit(
            learner=nia,
            title="Wound care conference",
            provider="Royal College of Nursing",
            completed_on=dt.date(2026, 4, 20),
            hours=Decimal("6"),
            points=Decimal("4"),
        )
        services.external_learning_approve(entry=approved, actor=manager, submission=1)
        services.external_learning_submit(
            learner=nia, title="Pending webinar", provider="NHS", completed_on=dt.date(2026, 5, 1), points=Decimal("1")
        )
    return {"nia": nia, "manager": manager, "completion": completion}


def test_the_transcript_lists_the_person_year_items_and_totals_with_a_safe_footer(record, client):
    nia, completion = record["nia"], record["completion"]
    client.force_login(record["manager"])
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("reports_cpd_transcript", args=[nia.pk, 2026]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"cpd-transcript-{nia.pk}-2026.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content)
    assert "St Elsewhere Trust" in text
    assert "CPD transcript 2026/27" in text
    assert "Nia Nurse" in text and "Staff nurse" in text
    assert "1 Apr 2026 – 31 Mar 2027" in text
    assert "Target 12.00 points" in text
    # The provider's name and the approval line wrap in their narrow columns where the fonts make
    # them (pdftotext then interleaves the pieces of the row): the pieces are read in order.
    assert in_order(
        text,
        "20 Apr 2026 Wound care conference",
        "4.00 6.00",
        # Each external line names who approved it and when (the footer had said "the person named
        # in the learner's record", which the transcript did not name: an outside tester's finding).
        "External learning, approved by Morgan Lead, 15 Jun 2026,",
        "10:00 BST",
        "2 May 2026 Infection control",
    ), text
    assert all(word in text for word in ("Royal", "College", "Nursing"))
    assert "Each line of external learning names who approved it and when." in " ".join(text.split())
    assert "the person named in the learner's record" not in text
    assert f"2 May 2026 Infection control Earned here 2.50 1.50 Certificate {completion.certificate_number}" in text
    assert "Total 6.50 7.50" in text
    assert "Old course" not in text and "Pending webinar" not in text
    assert "Issued by St Elsewhere Trust on 15 Jun 2026." in text
    assert "https://training.example.org/reports/verify/" in text
    # Nothing that opens a record: no verification code, no address of a certificate or a page.
    assert completion.verification_code not in text
    assert "/reports/verify/" + completion.verification_code not in text
    assert "/cpd/" not in text and "/people/" not in text


def in_order(text: str, *parts: str) -> bool:
    """Whether each of ``parts`` occurs in ``text`` after the one before it."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


@pytest.mark.parametrize(("who", "status"), [("nia", 200), ("manager", 200), ("stranger", 404)])
def test_the_transcript_is_for_the_person_their_chain_and_admins(record, client, who, status):
    user = record.get(who) or UserFactory()
    client.force_login(user)
    assert client.get(reverse("reports_cpd_transcript", args=[record["nia"].pk, 2026])).status_code == status


def test_a_year_outside_the_sites_range_is_not_found(record, client):
    client.force_login(record["nia"])
    assert client.get(reverse("reports_cpd_transcript", args=[record["nia"].pk, 1066])).status_code == 404


def test_each_external_line_names_who_approved_it_and_when(record, client):
    nia = record["nia"]
    cpd_record = selectors.cpd_record(person=nia, year=CpdYear(2026))
    [external] = [item for item in cpd_record.items if item.kind == "external"]
    assert (external.approved_by, external.approved_at) == ("Morgan Lead", NOW)
    assert all(item.approved_by == "" for item in cpd_record.items if item.kind == "course")
    client.force_login(nia)
    page = client.get(reverse("cpd:my_record"), {"year": 2026}).content.decode()
    assert 'data-testid="cpd-approved-by">Approved by <bdi>Morgan Lead</bdi>, 15 Jun 2026, 10:00 BST</span>' in page
