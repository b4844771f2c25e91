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
