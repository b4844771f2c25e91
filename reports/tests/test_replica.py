"""Reports read from the read replica (lms.replica), with a second PostgreSQL database standing in
for it: a copy of the primary taken after the organisation was made, on which the learners carry
another last name. A page that prints "Replicaonly" read its people from the replica; one that
prints their primary name read them from the primary.

Report pages and exports: their reads are on the replica, nothing is written there, and on the
primary they read only what the middleware reads (the session and the signed-in person). Other
pages, signing in and a write made inside the replica scope never touch the replica."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.models import User
from lms.replica import REPLICA
from lms.tests.factories import TEST_PASSWORD
from lms.tests.replica import copy_primary_to_replica, writes
from reports.tests.conftest import D, at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]

REPLICA_NAME = "Replicaonly"
# (who, url name, args, query, whether the page names the learners)
REPORTS = [
    ("lee", "reports_team_dashboard", (), {"state": "overdue"}, True),
    ("director", "reports_team_dashboard", (), {"scope": "all"}, True),
    ("lee", "reports_team_export", ("csv",), {}, True),
    ("lee", "reports_team_export", ("xlsx",), {}, False),
    ("lee", "reports_team_retention_export", ("csv",), {}, False),
    ("admin", "reports_organisation", (), {"state": "overdue"}, True),
    ("admin", "reports_organisation", (), {"as_of": "2026-05-01", "drill": "1"}, True),
    ("admin", "reports_organisation_export", ("csv",), {}, True),
    ("admin", "reports_organisation_export", ("pdf",), {}, False),
    ("admin", "reports_organisation_retention_export", ("csv",), {}, False),
    ("admin", "reports_forecast", (), {}, True),
    ("admin", "reports_forecast_export", ("csv",), {}, True),
    ("admin", "reports_item_analysis", (), {"course": "SAFE"}, False),
    ("admin", "reports_cpd_behind", (), {}, False),
    ("admin", "reports_cpd_behind_export", (), {}, False),
]


@pytest.fixture(autouse=True)
def _on_day_d():
    with time_machine.travel(at(D), tick=False):
        yield


@pytest.fixture
def replica(settings, org):
    """The replica: a copy of the primary once the organisation is made, the learners renamed there."""
    settings.REPLICA_READS = True
    copy_primary_to_replica()
    learners = [person.pk for person in [*org.p, *org.q, org.olly]]
    assert User.objects.using(REPLICA).filter(pk__in=learners).update(last_name=REPLICA_NAME) == len(learners)
    return org


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _fetch(client, url: str, params: dict) -> tuple[object, str, list[dict], list[dict]]:
    """The response, its body (a stream read to the end) and the queries on each database."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = client.get(url, params)
        body = _body(response)
    return response, body, primary.captured_queries, replica.captured_queries


def test_report_pages_and_exports_read_from_the_replica_and_write_nothing_there(client, replica):
    for who, name, args, params, names_learners in REPORTS:
        client.force_login(getattr(replica, who))
        response, body, primary, on_replica = _fetch(client, reverse(name, args=args), params)
        page = f"{name}{args}{params}"
        assert response.status_code == 200, page
        assert on_replica, f"{page} read nothing from the replica"
        assert writes(on_replica) == [], page
        # On the primary: only the session and the person signed in, read by the middleware
        # before the view's replica scope begins.
        tables = {q["sql"].split(" FROM ", 1)[1].split()[0] for q in primary}
        assert tables <= {'"django_session"', '"lms_user"'}, (page, [q["sql"] for q in primary])
        assert len(primary) == 2, (page, [q["sql"] for q in primary])
        if names_learners:
            assert REPLICA_NAME in body, page
            assert "Person3" not in body, page


def test_a_report_shows_the_replica_as_it_was_copied_not_a_later_write_to_the_primary(client, replica):
    """Replication lag, made visible: an overdue assignment archived on the primary after the copy
    still counts on the report (which reads the replica), and the person page (which reads the
    primary) shows the primary's own names."""
    from assignments.models import Assignment

    Assignment.objects.filter(pk=replica.a.olly_safe.pk).update(archived_at=at(D), archived_reason="left")
    client.force_login(replica.admin)
    response, body, _primary, on_replica = _fetch(client, reverse("reports_organisation"), {"live": "1"})
    assert response.context["summary"].total.required == 11  # 10 on the primary
    assert on_replica
    person = replica.p[2]
    response, body, _primary, on_replica = _fetch(client, reverse("person_detail", args=[person.pk]), {})
    assert response.status_code == 200
    assert on_replica == []
    assert "Person3" in body and REPLICA_NAME not in body


def test_signing_in_and_pages_other_than_reports_never_touch_the_replica(client, replica):
    """The login writes the session and last_login on the primary; home, the people list, a person
    page and the team page read only the primary."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
    ):
        signed_in = client.post(reverse("login"), {"username": replica.admin.email, "password": TEST_PASSWORD})
        assert signed_in.status_code == 302
        for name, args in [
            ("home", ()),
            ("people", ()),
            ("person_detail", (replica.p[2].pk,)),
            ("assignments:list", ()),
        ]:
            response = client.get(reverse(name, args=args))
            assert response.status_code == 200, name
            assert REPLICA_NAME not in response.content.decode(), name
    assert on_replica.captured_queries == []
    assert any(q["sql"].startswith('UPDATE "lms_user" SET "last_login"') for q in primary.captured_queries)
    assert any(q["sql"].startswith('INSERT INTO "django_session"') for q in primary.captured_queries)


def test_the_compliance_report_command_reads_the_replica(replica, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "report.csv"
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
    ):
        call_command("compliance_report", "--department", "sales", "--output", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert REPLICA_NAME in text and "Person3" not in text
    assert on_replica.captured_queries and writes(on_replica.captured_queries) == []
    assert primary.captured_queries == []
