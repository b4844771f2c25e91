"""lms.bulk.bulk_insert: the same rows as bulk_create, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation.models import Notification
from lms.bulk import bulk_insert
from lms.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def message(recipient, key: str, **context) -> Notification:
    return Notification(
        recipient=recipient,
        kind=Notification.Kind.DIGEST,
        dedupe_key=key,
        context=context,
        send_after=timezone.make_aware(dt.datetime(2026, 3, 1, 2, 30)),
    )


def test_rows_arrive_with_their_types_defaults_and_json_intact():
    person = UserFactory()
    context = {"quote": 'He said "no" \\ twice', "items": [{"due": "2026-03-01", "n": 3}], "ok": True}

    bulk_insert([message(person, "k1", **context), message(person, "k2", empty=None)])

    first, second = Notification.objects.order_by("pk")
    assert (first.recipient, first.dedupe_key, first.context) == (person, "k1", context)
    assert second.context == {"empty": None}
    assert first.send_after == timezone.make_aware(dt.datetime(2026, 3, 1, 2, 30))
    assert first.status == Notification.Status.PENDING and first.tries == 0 and first.claim_token == ""
    assert first.created_at is not None and first.updated_at is not None and first.pk < second.pk


def test_conflicts_are_skipped_only_when_asked():
    person = UserFactory()
    bulk_insert([message(person, "same", n=1)])

    bulk_insert([message(person, "same", n=2), message(person, "other", n=3)], ignore_conflicts=True)
    assert dict(Notification.objects.values_list("dedupe_key", "context")) == {"same": {"n": 1}, "other": {"n": 3}}

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert([message(person, "same", n=4)])
    assert Notification.objects.count() == 2


def test_nothing_to_insert_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk_insert([])


def test_a_batch_of_thousands_of_rows_is_one_statement(django_assert_num_queries):
    # Django's bulk_create on SQLite splits at 999 parameters: some 100 INSERTs for these rows,
    # each compiled placeholder by placeholder (and, with DEBUG on, re-quoted to be logged).
    person = UserFactory()
    rows = [message(person, f"k{i}", n=i) for i in range(3000)]

    with django_assert_num_queries(1):
        bulk_insert(rows)

    assert Notification.objects.count() == 3000
    assert Notification.objects.get(dedupe_key="k2999").context == {"n": 2999}


def test_bulk_update_writes_the_named_fields_of_every_row_in_one_statement(django_assert_num_queries):
    from lms.bulk import bulk_update
    from lms.models import User

    boss = UserFactory()
    people = UserFactory.create_batch(300, job_title="Analyst", first_name="Kept")
    for i, person in enumerate(people):
        person.manager_id = boss.pk if i % 2 else None
        person.job_title = f"Title {i}"
        person.first_name = "Not written"  # not named: stays as stored

    with django_assert_num_queries(1):
        bulk_update(people, ["manager_id", "job_title"])

    stored = {p.pk: p for p in User.objects.filter(pk__in=[p.pk for p in people])}
    for i, person in enumerate(people):
        row = stored[person.pk]
        assert (row.manager_id, row.job_title, row.first_name) == (boss.pk if i % 2 else None, f"Title {i}", "Kept")


def test_bulk_update_of_nothing_runs_no_query(django_assert_num_queries):
    from lms.bulk import bulk_update

    with django_assert_num_queries(0):
        bulk_update([], ["job_title"])
