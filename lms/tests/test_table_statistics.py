"""lms.table_statistics: a big write is followed by ANALYZE of the tables written (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from lms.models import User
from lms.table_statistics import analyze_threshold, fresh_statistics
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def analyzed(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]


def test_rows_written_are_counted_per_table_from_each_statements_row_count():
    people = UserFactory.create_batch(3)

    with fresh_statistics(enabled=False) as log:
        User.objects.filter(pk__in=[p.pk for p in people]).update(job_title="Auditor")
        User.objects.filter(pk=people[0].pk).delete()
        User.objects.filter(pk=-1).update(job_title="Nobody")  # no row: nothing counted

    assert log.rows == {"lms_user": 4}
    assert log.analyzed == []


@pytest.mark.postgres
@override_settings(LMS_ANALYZE_AFTER_ROWS=2)
def test_more_rows_than_the_threshold_analyse_the_table_once_the_block_ends():
    people = UserFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries, fresh_statistics() as log:
        User.objects.filter(pk__in=[p.pk for p in people]).update(job_title="Auditor")
        assert analyzed(queries) == []  # not while the block still writes

    assert analyzed(queries) == ['ANALYZE "lms_user"']
    assert log.analyzed == ["lms_user"]


@pytest.mark.postgres
@override_settings(LMS_ANALYZE_AFTER_ROWS=3)
def test_as_many_rows_as_the_threshold_or_a_disabled_watch_analyse_nothing():
    people = UserFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        with fresh_statistics():
            User.objects.filter(pk__in=[p.pk for p in people]).update(job_title="Auditor")
        with override_settings(LMS_ANALYZE_AFTER_ROWS=2), fresh_statistics(enabled=False):
            User.objects.filter(pk__in=[p.pk for p in people]).update(job_title="Clerk")

    assert analyzed(queries) == []


def test_the_threshold_grows_with_the_table_beyond_the_minimum():
    assert analyze_threshold(-1) == 10_000  # never analysed
    assert analyze_threshold(100_000) == 10_000
    assert analyze_threshold(1_500_000) == 75_000  # more than a steady night's 31,000 outbox rows
    with override_settings(LMS_ANALYZE_AFTER_ROWS=500, LMS_ANALYZE_SCALE_FACTOR=0.5):
        assert analyze_threshold(2_000) == 1_000


def test_nothing_is_analysed_on_sqlite(settings):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite case")
    settings.LMS_ANALYZE_AFTER_ROWS = 0
    UserFactory.create_batch(2)
    with CaptureQueriesContext(connection) as queries, fresh_statistics() as log:
        User.objects.update(job_title="Auditor")
    assert log.rows == {"lms_user": 2} and analyzed(queries) == []
