"""Tester findings (issue 17, fix17b): a nightly run for a given day stamps its awards with that
day, and the same run's digest lists them with a well-done link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from courses.tests.factories import make_course
from escalation.dispatch import run_dispatch
from escalation.recognition.models import Award, Badge
from escalation.recognition.openbadges import assertion_json
from escalation.recognition.tests.factories import badge, completed
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "http://lms.example.test"


def test_awards_of_a_nightly_run_carry_its_as_of_and_are_in_the_same_runs_digest(settings, mailoutbox):
    settings.SITE_URL = SITE
    lead = UserFactory(first_name="Lee", last_name="Lead", email="lead@example.com")
    ann = UserFactory(first_name="Ann", last_name="Able", manager=lead, email="ann@example.com")
    course = make_course(questions=1, title="Fire safety")
    with time_machine.travel(dt.datetime(2026, 11, 19, 9, 0, tzinfo=dt.UTC), tick=False):
        badge(Badge.Rule.COURSE_PASSED, name="Fire warden", course_code=course.code)
    completed(ann, course, on=dt.date(2026, 11, 20))  # not awarded at once: earned tonight
    # The real clock is two days before the day the run is for.
    with time_machine.travel(dt.datetime(2026, 11, 30, 3, 55, tzinfo=dt.UTC), tick=False):
        call_command("run_nightly", "--as-of", "2026-12-02", "--only", "recognition", "--only", "checkins_and_digests")
    as_of = timezone.make_aware(dt.datetime(2026, 12, 2, 2, 0))
    award = Award.objects.get(recipient=ann)
    assert award.awarded_at == as_of
    assert assertion_json(award)["issuedOn"].startswith("2026-12-02")
    with time_machine.travel(as_of + dt.timedelta(hours=6), tick=False):
        run_dispatch()
    [digest] = [m for m in mailoutbox if m.to == ["lead@example.com"]]
    assert "Ann Able: earned the badge Fire warden" in digest.body
    assert re.search(rf"Say well done: {re.escape(SITE)}/recognition/well-done/[^\s]+/", digest.body)
