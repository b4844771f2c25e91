"""The daily snapshot (once per day, set-based) and the weekly trend read from it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from escalation.nightly import WORKFLOWS, run_nightly
from reports.models import ComplianceSnapshot
from reports.selectors import Scope, organisation, weekly_trend
from reports.services import run_compliance_snapshot
from reports.tests.conftest import D, at, days

pytestmark = pytest.mark.django_db


def test_snapshot_stores_the_counts_of_the_day_once(org, django_assert_max_num_queries):
    with time_machine.travel(at(D), tick=False):
        with django_assert_max_num_queries(8):
            summary = run_compliance_snapshot(as_of=at(D))
        again = run_compliance_snapshot(as_of=at(D))
    rows = ComplianceSnapshot.objects.filter(day=D)
    # Sales x {SAFE, CODE} and Operations x SAFE
    assert summary["snapshots"] == 3 and rows.count() == 3
    assert again["snapshots"] == 0 and again["already_taken"]
    sales_safe = rows.get(department=org.sales, course_code="SAFE")
    assert (sales_safe.required, sales_safe.compliant, sales_safe.expiring, sales_safe.overdue) == (7, 2, 1, 2)
    assert (sales_safe.failed, sales_safe.exempt) == (1, 1)
    totals = {f: sum(getattr(r, f) for r in rows) for f in ("required", "compliant", "expiring", "exempt")}
    live = organisation(scope=Scope(), day=D).total
    assert totals["required"] == live.required
    assert totals["compliant"] + totals["expiring"] == live.compliant


def test_dry_run_writes_nothing(org):
    with time_machine.travel(at(D), tick=False):
        summary = run_compliance_snapshot(as_of=at(D), dry_run=True)
    assert summary["snapshots"] == 3
    assert not ComplianceSnapshot.objects.exists()


def test_a_past_day_is_rebuilt_from_the_history(org):
    with time_machine.travel(at(D), tick=False):
        run_compliance_snapshot(as_of=at(days(-105)))
    past = organisation(scope=Scope(), day=days(-105), history=True).total
    stored = ComplianceSnapshot.objects.filter(day=days(-105))
    assert sum(r.required for r in stored) == past.required
    assert sum(r.overdue for r in stored) == past.counts["overdue"]


def test_weekly_trend_takes_the_last_snapshot_of_each_week(org):
    monday = dt.date(2026, 6, 8)
    for day, required, compliant in [(monday, 10, 5), (monday + dt.timedelta(days=6), 10, 8), (D, 20, 5)]:
        ComplianceSnapshot.objects.create(
            day=day, department=org.sales, course_code="SAFE", required=required, compliant=compliant, exempt=0
        )
    ComplianceSnapshot.objects.create(day=D, department=org.ops, course_code="SAFE", required=4, compliant=1, exempt=4)
    trend = weekly_trend(day=D)
    assert [(p["week"], p["percent"]) for p in trend] == [("2026-W24", 80.0), ("2026-W25", 30.0)]
    assert weekly_trend(day=D, department_ids=(org.ops.pk,))[0]["percent"] is None


def test_the_nightly_run_takes_the_snapshot_before_dispatch(org):
    names = [name for name, _ in WORKFLOWS]
    assert names.index("compliance_snapshot") == names.index("dispatch") - 1
    with time_machine.travel(at(D), tick=False):
        run_nightly(as_of=at(D), only=["compliance_snapshot"])
    assert ComplianceSnapshot.objects.filter(day=D).count() == 3


def test_the_celery_task_runs_the_service(org):
    from reports.tasks import compliance_snapshot

    with time_machine.travel(at(D), tick=False):
        result = compliance_snapshot.delay().get()
    assert result["snapshots"] == 3
