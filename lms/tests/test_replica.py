"""The replica router (lms.replica): inside ``reading_from_replica`` reads go to the replica until
the scope writes or opens a transaction on the primary; every write goes to the primary; outside
the scope, and with no replica configured, everything is the primary's. The replica is a second
PostgreSQL database, a copy of the primary (lms.tests.replica); reports/tests/test_replica.py
tests the report pages."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test.utils import CaptureQueriesContext

from lms.models import Department
from lms.replica import REPLICA, ReplicaRouter, reading_from_replica
from lms.tests.factories import DepartmentFactory, UserFactory
from lms.tests.replica import copy_primary_to_replica, writes


def test_without_a_replica_the_scope_changes_nothing(settings):
    settings.REPLICA_READS = False  # as with no DATABASE_REPLICA_URL: no replica to read from
    with reading_from_replica():
        assert Department.objects.all().db == DEFAULT_DB_ALIAS
        assert ReplicaRouter().db_for_read(Department) is None  # Django's default: the primary
    assert ReplicaRouter().db_for_write(Department) == DEFAULT_DB_ALIAS


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "lms", model_name="department") is True
    assert ReplicaRouter().allow_migrate(REPLICA, "lms", model_name="department") is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_reads_in_the_scope_go_to_the_replica_until_it_writes_and_writes_go_to_the_primary(settings):
    settings.REPLICA_READS = True
    sales = DepartmentFactory(name="Sales")
    copy_primary_to_replica()
    Department.objects.using(REPLICA).filter(pk=sales.pk).update(name="Sales (replica)")
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        assert Department.objects.get(pk=sales.pk).name == "Sales"  # outside the scope: the primary
        with reading_from_replica():
            found = Department.objects.get(pk=sales.pk)
            assert found.name == "Sales (replica)"
            assert found._state.db == REPLICA
            # a transaction on the primary reads the primary (its own rows are not on the replica)
            with transaction.atomic():
                assert Department.objects.get(pk=sales.pk).name == "Sales"
            assert Department.objects.get(pk=sales.pk).name == "Sales (replica)"
            # a row read from the replica is saved to the primary, and may be pointed to by one there
            found.name = "Sales and marketing"
            found.save()
            person = UserFactory(department=found)
            # after a write the scope reads what it wrote
            assert Department.objects.get(pk=sales.pk).name == "Sales and marketing"
            assert Department.objects.filter(members=person).exists()
        assert Department.objects.using(REPLICA).get(pk=sales.pk).name == "Sales (replica)"
    assert writes(replica.captured_queries) == []
    assert len(replica.captured_queries) == 3  # the first read, the read after the transaction, the check
    assert any(q["sql"].startswith('UPDATE "lms_department"') for q in primary.captured_queries)
    assert any(q["sql"].startswith('INSERT INTO "lms_user"') for q in primary.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_a_replica_that_does_not_answer_is_left_alone_and_reports_read_the_primary(settings, monkeypatch):
    """Outside eyes: with the replica down every report waited for its connection timeout holding a
    web thread, and a few managers at once stalled every page."""
    import time

    from lms import replica as replica_module

    settings.REPLICA_READS = True
    sales = DepartmentFactory(name="Sales")
    connection = connections[REPLICA]
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")  # nothing listens there
    monkeypatch.setattr(replica_module, "_down_until", 0.0)
    attempts = []
    real = type(connection).ensure_connection
    monkeypatch.setattr(
        type(connection),
        "ensure_connection",
        lambda self: (attempts.append(1) if self.alias == REPLICA else None, real(self))[1],
    )

    started = time.monotonic()
    with reading_from_replica():
        assert Department.objects.get(pk=sales.pk).name == "Sales"  # from the primary
    assert attempts, "the replica was tried"
    tried = len(attempts)
    for _ in range(3):
        with reading_from_replica():
            assert Department.objects.get(pk=sales.pk).name == "Sales"
    assert len(attempts) == tried  # not tried again within REPLICA_RETRY_SECONDS
    assert time.monotonic() - started < 5
    monkeypatch.setattr(replica_module, "_down_until", 0.0)
    connection.close()
