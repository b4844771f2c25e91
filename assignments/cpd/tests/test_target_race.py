"""A double click on "Save" of a new CPD target (two requests with the same job title at once):
the second is told the job title already has a target, in the form, and nothing half-written is
left (one target, one audit row)."""

from __future__ import annotations

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from assignments.cpd import services
from assignments.cpd.models import CpdTarget
from lms.models import AuditEntry
from lms.tests.factories import AdminFactory


@pytest.mark.django_db
def test_a_target_inserted_between_the_check_and_the_save_is_refused_by_name():
    admin = AdminFactory()
    services.cpd_target_save(actor=admin, job_title="Double Click Nurse", points=Decimal("12"))
    # The race: the other request's row was not there when this one checked.
    with mock.patch.object(services, "_clean_target"):
        with pytest.raises(ValidationError) as caught:
            services.cpd_target_save(actor=admin, job_title="double click nurse", points=Decimal("12"))
    assert caught.value.message_dict == {"job_title": ["This job title already has a target."]}
    assert CpdTarget.objects.filter(job_title__iexact="double click nurse").count() == 1
    assert AuditEntry.objects.filter(object_type="cpd.cpdtarget").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_of_the_same_new_target_at_once_make_one_and_tell_the_other():
    assert connection.vendor == "postgresql"
    admin = AdminFactory()
    barrier = threading.Barrier(2)
    real_clean = services._clean_target

    def clean_then_wait(target):
        real_clean(target)
        barrier.wait(timeout=10)  # both requests have passed the check before either inserts

    responses = []

    def post():
        try:
            client = Client()
            client.force_login(admin)
            responses.append(client.post(reverse("cpd:targets"), {"job_title": "Double Click Nurse", "points": "12"}))
        except Exception as error:  # the test inspects what each thread got
            responses.append(error)
        finally:
            connections.close_all()

    with mock.patch.object(services, "_clean_target", clean_then_wait):
        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert sorted(r.status_code for r in responses) == [200, 302]
    [refused] = [r for r in responses if r.status_code == 200]
    assert refused.context["form"].errors["job_title"] == ["This job title already has a target."]
    assert "This job title already has a target." in refused.content.decode()
    assert CpdTarget.objects.filter(job_title="Double Click Nurse").count() == 1
    assert AuditEntry.objects.filter(object_type="cpd.cpdtarget").count() == 1
