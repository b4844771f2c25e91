"""Finding a person by email, however spelt, reads an index (issue 18): sign-in, password reset,
SCIM and imports use email__iexact, which PostgreSQL runs as UPPER(email) = UPPER(%s)."""

from __future__ import annotations

import pytest
from django.db import connection

from lms.models import User
from lms.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_case_insensitive_email_lookup_can_use_an_index():
    UserFactory.create_batch(3)
    queryset = User.objects.filter(email__iexact="Someone@Example.com")
    with connection.cursor() as cursor:
        # A three-row table is read whole whatever indexes exist: forbid that to see what is possible.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()

    assert "user_email_upper_idx" in plan, plan
