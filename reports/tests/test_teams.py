"""The stored counts of large reporting chains (TeamSnapshot) and the dashboard that reads them,
the exemption match in SQL, and the sub-tree's people read once per page."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments.models import Assignment
from courses.tests.factories import AssignmentFactory, ExemptionFactory
from escalation.selectors import excused_on, is_excused
from lms.tests.factories import UserFactory
from reports.models import ComplianceSnapshot, TeamSnapshot
from reports.selectors import Scope, dashboard, scoped_assignments
from reports.selectors import teams as team_selectors
from reports.selectors.state import excused_for
from reports.services import run_compliance_snapshot
from reports.tests.conftest import D, at, complete, days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_day_d():
    with time_machine.travel(at(D), tick=False):
        yield


@pytest.fixture
def chains_of_three(monkeypatch):
    """Store the counts of every chain of at least 3 people (Dana: 9 below, Lee: 5; not Kim: 2)."""
    monkeypatch.setattr(team_selectors, "TEAM_SNAPSHOT_MIN_PEOPLE", 3)


def get(client, user, **params):
    client.force_login(user)
    return client.get(reverse("reports_team_dashboard"), params)


def counts(summary) -> dict:
    return {
        "total": summary.total.counts,
        "by_course": {g.key: g.counts for g in summary.by_course},
        "labels": [g.label for g in summary.by_course],
        "expiring": summary.expiring_counts,
    }


def test_the_night_stores_the_counts_of_large_chains_as_the_live_dashboard_counts_them(org, chains_of_three):
    # when the nightly snapshot runs
    summary = run_compliance_snapshot(as_of=at(D))
    # then Dana's and Lee's chains are stored per course code, Kim's (2 people) is not
    assert set(TeamSnapshot.objects.values_list("manager_id", flat=True)) == {org.director.pk, org.lee.pk}
    assert summary["team_snapshots"] == TeamSnapshot.objects.count() == 4  # 2 managers x {SAFE, CODE}
    # and each stored summary is exactly what the live dashboard counts, expiring windows included
    for manager in (org.director, org.lee):
        scope = Scope(manager_id=manager.pk, subtree=True)
        stored = dashboard(scope=scope, day=D)
        live = dashboard(scope=scope, day=D, live=True)
        assert stored["snapshot_at"] is not None and live["snapshot_at"] is None
        assert counts(stored["summary"]) == counts(live["summary"])
    dana = TeamSnapshot.objects.get(manager=org.director, course_code="SAFE")
    # Dana's SAFE, by hand: p1 and q1 compliant, p2 expiring, p3 and q2 overdue, p4 failed, p5 exempt
    assert (dana.required, dana.compliant, dana.expiring, dana.overdue, dana.failed, dana.exempt) == (7, 2, 1, 2, 1, 1)
    # certificates expiring: p2 at D+20 (30 days), q1 at D+75 (90 days); p1's D+200 is later
    assert (dana.expiring_30, dana.expiring_60, dana.expiring_90) == (1, 1, 2)


def test_the_team_snapshot_is_taken_once_a_day_within_the_query_budget(org, chains_of_three):
    with CaptureQueriesContext(connection) as queries:
        first = run_compliance_snapshot(as_of=at(D))
    again = run_compliance_snapshot(as_of=at(D))
    assert len(queries) <= 8
    assert first["team_snapshots"] == 4 and again["already_taken"]
    assert TeamSnapshot.objects.count() == 4


def test_a_dry_run_or_a_past_day_stores_no_team_counts(org, chains_of_three):
    dry = run_compliance_snapshot(as_of=at(D), dry_run=True)
    assert dry["team_snapshots"] == 4 and not TeamSnapshot.objects.exists()
    past = run_compliance_snapshot(as_of=at(days(-30)))
    # the past day's organisation counts are rebuilt; the chain as it is now says nothing about then
    assert past["team_snapshots"] == 0 and ComplianceSnapshot.objects.filter(day=days(-30)).exists()
    assert not TeamSnapshot.objects.exists()


def test_a_large_chain_reads_tonights_counts_says_so_and_can_count_again(client, org, chains_of_three):
    run_compliance_snapshot(as_of=at(D))
    # given a change after the snapshot: Q2 completes her overdue SAFE
    complete(org.a.q2_safe, on=D, expires=days(365))
    # when Dana opens everyone below her
    stored = get(client, org.director, scope="all")
    body = stored.content.decode()
    # then she sees tonight's counts (Q2 still overdue), is told so, and is offered a live count
    assert stored.context["snapshot_at"] is not None
    assert "from the nightly snapshot taken at" in body and "scope=all&amp;live=1" in body
    assert stored.context["summary"].total.counts["overdue"] == 2
    # the lists of people are not drawn from the snapshot: links read each state's list live
    assert stored.context["lists"] is None
    assert 'href="?scope=all&amp;state=overdue"' in body
    overdue = get(client, org.director, scope="all", state="overdue")
    assert [r["learner__email"] for r in overdue.context["state_rows"]] == ["p3@example.com"]
    # "Count again now": counted live, lists included
    live = get(client, org.director, scope="all", live="1")
    assert live.context["snapshot_at"] is None
    assert live.context["summary"].total.counts["overdue"] == 1
    assert [r["learner__email"] for r in live.context["lists"]["overdue"]] == ["p3@example.com"]


def test_the_snapshot_is_not_used_for_direct_reports_small_chains_or_a_department(client, org, chains_of_three):
    run_compliance_snapshot(as_of=at(D))
    complete(org.a.q2_safe, on=D, expires=days(365))
    # Lee's direct reports, Kim's small chain and Dana's chain narrowed to a department: all live
    assert get(client, org.lee).context["snapshot_at"] is None
    kim = get(client, org.kim, scope="all")
    assert kim.context["snapshot_at"] is None and kim.context["summary"].total.counts["overdue"] == 0
    sales = get(client, org.director, scope="all", department=str(org.sales.pk))
    assert sales.context["snapshot_at"] is None and sales.context["summary"].total.counts["overdue"] == 1
    # a course filter narrows the stored counts
    code = get(client, org.director, scope="all", course="CODE")
    assert code.context["snapshot_at"] is not None
    assert [g.key for g in code.context["summary"].by_course] == ["CODE"]
    assert code.context["summary"].total.required == 3


def _grow(lead, course, n):
    for _ in range(n):
        AssignmentFactory(
            learner=UserFactory(manager=lead), course=course, due_date=D, assigned_on=D, assigned_at=at(D)
        )


def _count(client, user, **params) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports_team_dashboard"), params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{"scope": "all"}, {"scope": "all", "state": "overdue"}])
def test_the_stored_view_has_a_flat_query_count(client, org, chains_of_three, params):
    run_compliance_snapshot(as_of=at(D))
    small = _count(client, org.director, **params)
    _grow(org.lee, org.safe, 30)
    _grow(org.kim, org.code, 30)
    TeamSnapshot.objects.all().delete()
    ComplianceSnapshot.objects.all().delete()
    run_compliance_snapshot(as_of=at(D))
    large = _count(client, org.director, **params)
    assert large == small
    # 12: the page also counts the people it covers (lms.selectors.team_size, one query) and the
    # navigation the reader's unread notifications (one query). Issue 17 adds the panels beside
    # compliance (lms.team_panels): retention reads the booster programmes (one query; with boosters
    # reports/tests/test_retention.py counts it), recognition the team's completions and awards
    # (two); and the navigation counts the CPD entries waiting for the reader's approval (one).
    assert small <= 12 + 1 + 2 + 1


def test_the_sub_tree_read_once_gives_the_same_rows_as_the_walk_in_each_query(org):
    scope = Scope(manager_id=org.director.pk, subtree=True)
    with CaptureQueriesContext(connection) as queries:
        resolved = scope.with_people()
    assert len(queries) == 1
    assert set(resolved.people_ids) == {org.lee.pk, org.kim.pk, *(p.pk for p in org.p), *(q.pk for q in org.q)}
    walked = set(scoped_assignments(scope, day=D).values_list("pk", "state"))
    listed = set(scoped_assignments(resolved, day=D).values_list("pk", "state"))
    assert listed == walked and len(listed) == 10


def test_exemptions_match_in_sql_as_the_escalation_jobs_read_them(org):
    # given more kinds of exemption: revoked, ended, not started, and a second course-specific one
    ExemptionFactory(learner=org.q[0], course_code="SAFE", starts_on=days(-5), approved_by=org.admin)
    ExemptionFactory(learner=org.q[1], course_code="", starts_on=days(-5), revoked_at=at(days(-1)))
    ExemptionFactory(learner=org.olly, course_code="", starts_on=days(-50), ends_on=days(-1))
    ExemptionFactory(learner=org.p[0], course_code="CODE", starts_on=days(1))
    excused = excused_for(D)
    assert excused.codes == {"", "CODE", "SAFE"}
    matched = set(Assignment.objects.filter(excused.q()).values_list("pk", flat=True))
    by_hand = excused_on(D)
    expected = {a.pk for a in Assignment.objects.all() if is_excused(by_hand, a.learner_id, a.course_code)}
    assert matched == expected
    assert matched == {org.a.p3_code.pk, org.a.p5_safe.pk, org.a.q1_safe.pk}


def test_nobody_excused_matches_nothing(org):
    from assignments.models import Exemption

    Exemption.objects.all().delete()
    excused = excused_for(D)
    assert excused.codes == frozenset()
    assert not Assignment.objects.filter(excused.q()).exists()
    assert set(scoped_assignments(Scope(), day=D).values_list("state", flat=True)) >= {"overdue", "failed"}
