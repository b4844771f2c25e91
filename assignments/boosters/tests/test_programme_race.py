"""A double click on "Save" of a course's first booster settings (several POSTs at once, no
programme yet): one programme is made and every request succeeds, the others as a save of it;
none is a 500 on booster_programme_one_per_course."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from assignments.boosters.models import BoosterProgramme
from courses.tests.factories import make_course
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REQUESTS = 4


def test_four_first_saves_at_once_make_one_programme_and_no_error():
    assert connection.vendor == "postgresql"
    admin = AdminFactory()
    course = make_course(questions=1, title="Fire safety")
    url = reverse("boosters:manage", args=[course.pk])
    data = {"action": "settings", "schedule": "2, 7, 21, 60", "retention_threshold": "60"}
    barrier = threading.Barrier(REQUESTS)
    manager = BoosterProgramme.objects
    real_create = manager.create

    def create_after_all_looked(**kwargs):
        barrier.wait(timeout=10)  # every request found no programme before any inserts one
        return real_create(**kwargs)

    def post(index):
        try:
            client = Client()
            client.force_login(admin)
            return client.post(url, data)
        except Exception as error:  # the test inspects what each request got
            return error
        finally:
            connections.close_all()

    with mock.patch.object(manager, "create", create_after_all_looked):
        with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
            responses = list(pool.map(post, range(REQUESTS)))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert [r.status_code for r in responses] == [302] * REQUESTS
    programme = BoosterProgramme.objects.get(course_code=course.code)
    assert (programme.schedule_days, programme.retention_threshold, programme.is_active) == ([2, 7, 21, 60], 60, False)
    assert AuditEntry.objects.filter(object_type="boosters.boosterprogramme").count() == 1
