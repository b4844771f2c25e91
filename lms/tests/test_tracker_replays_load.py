"""Bugs other systems' trackers report in what issue 18 built (a read replica, sign-in under load,
certificates under load), replayed on ours.

- goauthentik/authentik#19086: with read replicas, a read inside a transaction went to the replica
  and could not see the transaction's own uncommitted row ("Invalid pk - object does not exist").
- dmm-com/pagoda#238, CodeForAfrica/sensors.AFRICA-api#115 and netbox-community/netbox#3118: with a
  replica, signing in failed or the session was lost on the next page (the session, or
  ``last_login``, read from or written to the replica).
- ohmage/server#197, openfun/ralph#320, learningequality/ka-lite#84: sign-in under load spent most
  of a request hashing; here a sign-in hashes once, with Argon2id at OWASP's parameters, whether the
  person exists or not.
- Selleo/mentingo#1323, pulibrary/figgy#1418: certificates rendered on every download
  (reports/tests/test_certificates.py::test_a_certificate_is_rendered_once_and_again_only_when_what_it_says_changes).
"""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.models import Department
from lms.replica import REPLICA, reading_from_replica
from lms.tests.factories import TEST_PASSWORD, AdminFactory, DepartmentFactory, UserFactory
from lms.tests.replica import copy_primary_to_replica, writes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_authentik_19086_a_form_in_a_transaction_sees_the_row_the_transaction_just_made(settings):
    settings.REPLICA_READS = True
    DepartmentFactory(name="Existing")
    copy_primary_to_replica()
    with reading_from_replica(), transaction.atomic():
        # Made without the ORM, so the scope has not noted a write: only the open transaction
        # sends the form's check to the primary, where the uncommitted row is.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO lms_department (name, created_at, updated_at) VALUES ('New', now(), now()) RETURNING id"
            )
            new_id = cursor.fetchone()[0]
        field = forms.ModelChoiceField(queryset=Department.objects.all())
        assert field.clean(str(new_id)).name == "New"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_pagoda_238_signing_in_with_a_replica_keeps_the_session_on_the_next_report_page(client, settings):
    settings.REPLICA_READS = True
    admin = AdminFactory()
    copy_primary_to_replica()  # a replica from before the sign-in: no session, old last_login

    with CaptureQueriesContext(connections[REPLICA]) as replica:
        signed_in = client.post(reverse("login"), {"username": admin.email, "password": TEST_PASSWORD})
        report = client.get(reverse("reports_organisation"))

    assert signed_in.status_code == 302 and signed_in["Location"] != reverse("login")
    assert report.status_code == 200  # not sent back to the login page: the session was found
    assert writes(replica.captured_queries) == []
    assert not any("django_session" in q["sql"] or "last_login" in q["sql"] for q in replica.captured_queries)
    admin.refresh_from_db()
    assert admin.last_login is not None


@pytest.mark.django_db
@pytest.mark.parametrize("known", [True, False])
def test_ralph_320_a_sign_in_hashes_once_with_argon2id_whether_the_person_exists_or_not(
    client, settings, monkeypatch, known
):
    from lms import settings as product_settings
    from lms.hashers import Argon2idPasswordHasher

    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS
    person = UserFactory()
    calls = []
    for name in ("verify", "encode"):
        real = getattr(Argon2idPasswordHasher, name)

        def counting(self, *args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Argon2idPasswordHasher, name, counting)

    email = person.email if known else "nobody@example.com"
    response = client.post(reverse("login"), {"username": email, "password": TEST_PASSWORD})

    assert response.status_code == (302 if known else 200)
    assert calls == (["verify"] if known else ["encode"])
