"""The report figures on the hand-worked organisation in conftest.py."""

from __future__ import annotations

import pytest

from assignments.models import Assignment
from assignments.selectors.learner import with_learner_state
from escalation.selectors import excused_on
from reports.selectors import Scope, dashboard, forecast, organisation, scoped_assignments, summarise
from reports.tests.conftest import D, days

pytestmark = pytest.mark.django_db


def states_by_email(scope: Scope, *, day=D, history=False) -> dict[tuple[str, str], str]:
    qs = scoped_assignments(scope, day=day, history=history)
    return {
        (r["learner__email"], r["course_code"]): r["state"] for r in qs.values("learner__email", "course_code", "state")
    }


def test_each_state_is_derived_as_worked_out_by_hand(org):
    # given the organisation; when the whole organisation's states are read for day D
    states = states_by_email(Scope())
    # then every assignment has the state in the table of conftest.py (the archived one is not there)
    assert states == {
        ("p1@example.com", "SAFE"): "compliant",
        ("p2@example.com", "SAFE"): "expiring",
        ("p3@example.com", "SAFE"): "overdue",
        ("p4@example.com", "SAFE"): "failed",
        ("p5@example.com", "SAFE"): "exempt",
        ("p1@example.com", "CODE"): "due",
        ("p2@example.com", "CODE"): "expired",
        ("p3@example.com", "CODE"): "exempt",
        ("q1@example.com", "SAFE"): "compliant",
        ("q2@example.com", "SAFE"): "overdue",
        ("olly@example.com", "SAFE"): "overdue",
    }


def test_the_report_state_agrees_with_the_learner_state(org):
    # given the learner-facing annotation of the assignments app
    learner_states = dict(
        with_learner_state(Assignment.objects.filter(archived_at=None), today=D).values_list("pk", "state")
    )
    report_states = dict(scoped_assignments(Scope(), day=D).values_list("pk", "state"))
    renamed = {"completed": "compliant"}
    # then they agree everywhere, including p3's failed-but-exempt CODE assignment (exempt wins in both)
    differences = {
        pk: (learner_states[pk], state)
        for pk, state in report_states.items()
        if renamed.get(learner_states[pk], learner_states[pk]) != state
    }
    assert differences == {}
    assert learner_states[org.a.p3_code.pk] == "exempt"


def test_team_lead_sees_percentages_per_course_and_overall_with_exempt_excused(org):
    # when Lee's direct reports are summarised
    summary = summarise(scoped_assignments(Scope(manager_id=org.lee.pk), day=D))
    by_course = {g.key: g for g in summary.by_course}
    # then SAFE: 2 compliant (one expiring) of 5 required less 1 exempt = 50%
    assert by_course["SAFE"].counts == {
        "compliant": 1,
        "expiring": 1,
        "expired": 0,
        "failed": 1,
        "overdue": 1,
        "due": 0,
        "exempt": 1,
    }
    assert by_course["SAFE"].percent == 50.0
    # CODE: nobody compliant of 3 less 1 exempt = 0%
    assert by_course["CODE"].percent == 0.0
    assert by_course["CODE"].excused == 1
    # overall: 2 / (8 - 2) = 33.3%
    assert summary.total.required == 8
    assert summary.total.percent == 33.3
    # non-compliant: overdue, failed, expired; the CODE assignment due at D+10 is neither
    assert summary.total.non_compliant == 4
    assert summary.total.counts["due"] == 1


def test_director_sees_direct_reports_by_default_and_the_sub_tree_on_request(org):
    direct = summarise(scoped_assignments(Scope(manager_id=org.director.pk), day=D))
    subtree = summarise(scoped_assignments(Scope(manager_id=org.director.pk, subtree=True), day=D))
    assert direct.total.required == 0  # the two leads have no training assigned
    assert subtree.total.required == 10
    assert subtree.total.percent == 37.5  # 3 / (10 - 2)
    assert {g.key: g.percent for g in subtree.by_course} == {"CODE": 0.0, "SAFE": 50.0}


def test_organisation_report_by_department(org):
    summary = organisation(scope=Scope(), day=D)
    by_department = {g.label: g for g in summary.by_department}
    assert by_department["Sales"].required == 10
    assert by_department["Operations"].counts["overdue"] == 1
    assert by_department["Operations"].percent == 0.0
    assert summary.total.percent == 33.3  # 3 / (11 - 2)
    assert summary.total.percent_of("overdue") == 27.3  # 3 of 11


def test_department_filter_narrows_the_report(org):
    summary = organisation(scope=Scope(department_ids=(org.ops.pk,)), day=D)
    assert summary.total.required == 1
    assert summary.total.counts["overdue"] == 1


def test_dashboard_lists_overdue_failed_expiring_and_exempt_people(org):
    data = dashboard(scope=Scope(manager_id=org.lee.pk), day=D)
    lists = data["lists"]
    assert [(r["learner__email"], r["days_overdue"]) for r in lists["overdue"]] == [("p3@example.com", 10)]
    assert [r["learner__email"] for r in lists["failed"]] == ["p4@example.com"]
    assert [(r["learner__email"], r["days_left"], r["window"]) for r in lists["expiring"]] == [
        ("p2@example.com", 20, 30)
    ]
    assert sorted((r["learner__email"], r["course_code"]) for r in lists["exempt"]) == [
        ("p3@example.com", "CODE"),
        ("p5@example.com", "SAFE"),
    ]
    assert data["expiring_counts"] == {30: 1, 60: 1, 90: 1}
    # nobody outside Lee's team is listed
    everyone = {r["learner_id"] for rows in lists.values() for r in rows}
    assert everyone <= {person.pk for person in org.p}


def test_state_filter_lists_only_that_state(org):
    data = dashboard(scope=Scope(manager_id=org.director.pk, subtree=True), day=D, state="overdue")
    assert sorted(r["learner__email"] for r in data["state_rows"]) == ["p3@example.com", "q2@example.com"]


def test_course_filter(org):
    data = dashboard(scope=Scope(manager_id=org.lee.pk, course_code="CODE"), day=D)
    assert data["summary"].total.required == 3
    assert data["lists"]["overdue"] == []


def test_as_of_rebuilds_who_was_compliant_from_the_history(org):
    # 105 days before D: p1 was late (due D-110) and completed only at D-100
    before = states_by_email(Scope(), day=days(-105), history=True)
    assert before[("p1@example.com", "SAFE")] == "overdue"  # due D-110, completed only at D-100
    # p4's earlier certificate was still valid and its assignment still active; the retake did not exist
    assert before[("p4@example.com", "SAFE")] == "compliant"
    assert org.a.p4_safe.pk not in dict(
        scoped_assignments(Scope(), day=days(-105), history=True).values_list("pk", "state")
    )
    # p2's CODE certificate was valid then
    assert before[("p2@example.com", "CODE")] == "compliant"
    # p5 was assigned at D-60; the exemption began at D-20: on D-30 p5 was simply due
    assert ("p5@example.com", "SAFE") not in before
    assert states_by_email(Scope(), day=days(-30), history=True)[("p5@example.com", "SAFE")] == "due"
    # on D-10 p4 was overdue on the retake (failed only on D-5), and p1 compliant
    later = states_by_email(Scope(), day=days(-10), history=True)
    assert later[("p4@example.com", "SAFE")] == "overdue"
    assert later[("p1@example.com", "SAFE")] == "compliant"
    # p3 failed CODE at D-9 and was excused from D-2: due on D-10, failed on D-8, exempt on D-2
    assert later[("p3@example.com", "CODE")] == "due"
    assert states_by_email(Scope(), day=days(-8), history=True)[("p3@example.com", "CODE")] == "failed"
    assert states_by_email(Scope(), day=days(-2), history=True)[("p3@example.com", "CODE")] == "exempt"


def test_as_of_today_from_the_history_matches_the_live_report(org):
    assert states_by_email(Scope(), day=D, history=True) == states_by_email(Scope(), day=D)


def test_forecast_counts_lapses_within_30_60_90_days_by_department(org):
    # p2's SAFE certificate expires at D+20, p1's CODE falls due at D+10, q1's SAFE expires at D+75
    data = forecast(scope=Scope(), day=D)
    assert data["totals"]["d30"] == 2
    assert data["totals"]["d60"] == 2
    assert data["totals"]["d90"] == 3
    assert data["totals"]["expiring"] == 2
    assert data["totals"]["falling_due"] == 1
    assert [(p["learner__email"], p["course_code"], p["days_left"], p["reason"]) for p in data["people"]] == [
        ("p1@example.com", "CODE", 10, "due_date"),
        ("p2@example.com", "SAFE", 20, "expiry"),
        ("q1@example.com", "SAFE", 75, "expiry"),
    ]
    assert [d["label"] for d in data["departments"]] == ["Sales"]


def test_forecast_of_a_managers_chain_leaves_others_out(org):
    data = forecast(scope=Scope(manager_id=org.kim.pk), day=D)
    assert [p["learner__email"] for p in data["people"]] == ["q1@example.com"]


def test_excused_people_are_read_once_as_the_escalation_jobs_do(org):
    assert set(excused_on(D)) == {org.p[2].pk, org.p[4].pk}


def test_the_due_list_puts_the_soonest_deadline_first(org):
    """Who is due soonest is who to chase first (an outside tester found the list sorted by surname)."""
    from courses.tests.factories import make_course
    from reports.tests.conftest import assign

    fire = make_course(code="FIRE", title="Fire safety")
    assign(org.p[2], fire, due=days(3))
    assign(org.p[1], fire, due=days(20))

    data = dashboard(scope=Scope(manager_id=org.lee.pk), day=D, state="due")

    assert [r["learner__email"] for r in data["state_rows"]] == ["p3@example.com", "p1@example.com", "p2@example.com"]
