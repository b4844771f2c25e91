"""lms.lookups.AnyOf: the same rows as ``__in``, with the values as one array parameter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from lms.lookups import AnyOf, AnyOfUncounted
from lms.models import User
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_any_of_matches_what_in_matches_with_one_parameter():
    people = UserFactory.create_batch(4)
    wanted = [people[0].pk, people[2].pk, 10**12]
    with CaptureQueriesContext(connection) as queries:
        found = sorted(User.objects.filter(AnyOf(F("pk"), wanted)).values_list("pk", flat=True))
    assert found == sorted(User.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == sorted([people[0].pk, people[2].pk])
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"]
        assert queries[0]["sql"].count(str(people[2].pk)) == 1


def test_any_of_an_empty_list_matches_nothing_and_works_in_updates_and_on_other_columns():
    person = UserFactory(first_name="Ana")
    assert not User.objects.filter(AnyOf(F("pk"), [])).exists()
    assert User.objects.filter(AnyOf(F("first_name"), ["Ana", "Bo"])).get() == person
    assert User.objects.filter(AnyOf(F("pk"), [person.pk])).update(last_name="Lima") == 1
    person.refresh_from_db()
    assert person.last_name == "Lima"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's planner")
def test_any_of_uncounted_matches_the_same_rows_and_is_read_by_primary_key_however_many():
    people = UserFactory.create_batch(3)
    many = [people[0].pk, people[1].pk, *range(10**9, 10**9 + 20_000)]
    found = sorted(User.objects.filter(AnyOfUncounted(F("pk"), many)).values_list("pk", flat=True))
    assert found == sorted([people[0].pk, people[1].pk])
    with connection.cursor() as cursor:
        sql, params = User.objects.filter(AnyOfUncounted(F("pk"), many)).query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        uncounted = "\n".join(row[0] for row in cursor.fetchall())
        sql, params = User.objects.filter(AnyOf(F("pk"), many)).query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        counted = "\n".join(row[0] for row in cursor.fetchall())
    # the values reach the planner as the result of an InitPlan, not as a constant it can count
    assert "InitPlan" in uncounted and "= ANY ($0)" in uncounted and "InitPlan" not in counted
    assert User.objects.filter(AnyOfUncounted(F("pk"), [])).update(last_name="x") == 0


def test_an_empty_list_sends_no_query_as_with_in(django_assert_num_queries):
    UserFactory()
    with django_assert_num_queries(0):
        assert list(User.objects.filter(AnyOf(F("pk"), []))) == []
        assert User.objects.filter(AnyOfUncounted(F("pk"), [])).update(last_name="x") == 0
    # negated, nothing is excluded
    assert User.objects.exclude(AnyOf(F("pk"), [])).count() == User.objects.count()
