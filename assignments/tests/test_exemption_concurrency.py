"""A double-submitted exemption grant records one exemption (PostgreSQL, threads)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from assignments.models import Exemption
from assignments.services.exemptions import exemption_grant
from lms.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_three_grants_at_once_for_the_same_period_record_one_exemption():
    """Outside eyes: three concurrent POSTs made three identical exemptions, and ending each moved
    the learner's deadline again."""
    assert connection.vendor == "postgresql"
    learner, admin = UserFactory(), AdminFactory()
    barrier = threading.Barrier(3)
    refused, errors = [], []

    def run() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            exemption_grant(
                learner=learner,
                reason=Exemption.Reason.SICK_LEAVE,
                approved_by=admin,
                starts_on=dt.date(2026, 11, 29),
                ends_on=dt.date(2026, 12, 31),
            )
        except ValidationError as error:
            refused.append(error)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Exemption.objects.filter(learner=learner).count() == 1
    assert len(refused) == 2
