"""A completion's date is the learner's local date, the same everywhere (issue 12 item 21).

Replayed from the issue: a New York learner passing at 19:53 local time on 13 Nov got a
certificate dated 13 Nov, but the public verification page and the learner record said 14 Nov (the
UTC date); a completion imported as ``2026-11-13`` for a Los Angeles learner got a certificate
dated 12 Nov (stored at midnight UTC). Reported against another LMS as freeCodeCamp#39186 (a
certificate claimed on 3 July local time said "Issued July 4").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from assignments.models import Completion
from assignments.services.attempts import attempt_start, attempt_submit
from assignments.services.imports import import_run
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from lms.tests.factories import AdminFactory, UserFactory
from reports.certificates import certificate_pdf

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
PASSED = dt.datetime(2026, 11, 13, 19, 53, tzinfo=NEW_YORK)  # 00:53 UTC on 14 Nov


def pdf_text(data: bytes) -> str:
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True).stdout.decode().split())


@pytest.fixture
def evening_pass(db):
    learner = UserFactory(first_name="Nia", timezone="America/New_York")
    course = make_course(title="Data protection", recertification_months=12)
    assignment = AssignmentFactory(course=course, learner=learner, assigned_at=PASSED - dt.timedelta(days=5))
    with time_machine.travel(PASSED, tick=False):
        attempt = attempt_start(assignment=assignment, quiz=course.final_quiz)
        completion = attempt_submit(attempt=attempt, answers=answers_for(attempt)).completion
    return Completion.objects.select_related("learner").get(pk=completion.pk)


@time_machine.travel(PASSED + dt.timedelta(hours=1), tick=False)
def test_an_evening_pass_in_new_york_is_dated_13_november_everywhere(client, evening_pass, settings):
    completion = evening_pass
    assert completion.completed_at.astimezone(dt.UTC).date() == dt.date(2026, 11, 14)
    assert completion.completed_on == dt.date(2026, 11, 13)
    assert "-20261113-" in completion.certificate_number
    assert completion.expires_on == dt.date(2027, 11, 13)

    assert "Date of completion 13 Nov 2026" in pdf_text(certificate_pdf(completion))
    verify = client.get(reverse("certificate_verify", args=[completion.verification_code])).content.decode()
    assert "13 Nov 2026" in verify and "14 Nov 2026" not in verify

    client.force_login(AdminFactory(timezone="Europe/London"))
    record = client.get(reverse("person_detail", args=[completion.learner_id]), {"tab": "record"}).content.decode()
    assert "<td>13 Nov 2026</td>" in record and "14 Nov 2026" not in record
    history = client.get(reverse("person_detail", args=[completion.learner_id]), {"tab": "training"}).content.decode()
    assert "<td>13 Nov 2026</td>" in history and "14 Nov 2026" not in history
    export = b"".join(client.get(reverse("reports_organisation_export", args=["csv"])).streaming_content)
    (row,) = [r for r in csv.DictReader(io.StringIO(export.decode("utf-8-sig"))) if r["First name"] == "Nia"]
    assert row["Completed on"] == "2026-11-13"


@time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland", "Europe/London"])
def test_a_date_only_import_is_that_date_where_the_learner_is(zone):
    learner = UserFactory(email="lee@example.com", timezone=zone)
    course = make_course(questions=1, code="PRIV", recertification_months=12)
    data = f"email,course_code,completed_at,score,certificate_number\n{learner.email},{course.code},2026-11-13,90,\n"

    outcome = import_run(kind="completions", data=data.encode(), dry_run=False, actor=AdminFactory())

    assert not outcome.errors
    completion = Completion.objects.select_related("learner").get(learner=learner)
    assert completion.completed_on == dt.date(2026, 11, 13)
    assert completion.expires_on == dt.date(2027, 11, 13)
    assert "-20261113-" in completion.certificate_number
    assert "Date of completion 13 Nov 2026" in pdf_text(certificate_pdf(completion))


@time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False)
def test_a_second_import_of_the_same_local_date_is_refused():
    learner = UserFactory(email="lee@example.com", timezone="America/Los_Angeles")
    course = make_course(questions=1, code="PRIV")
    header = "email,course_code,completed_at,score,certificate_number\n"
    import_run(kind="completions", data=f"{header}{learner.email},PRIV,2026-11-13,90,\n".encode(), dry_run=False)

    again = import_run(
        kind="completions", data=f"{header}{learner.email},PRIV,2026-11-13T20:00-08:00,90,\n".encode(), dry_run=True
    )

    assert [(e.line, e.column) for e in again.errors] == [(2, "completed_at")]
    assert "2026-11-13" in again.errors[0].message
    assert course.completions.count() == 1
