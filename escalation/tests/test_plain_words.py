"""Text people read in case files, notifications and the compliance record is in words, not
role codes or doubled full stops (eyes 13, C3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.models import EscalationEvent, EscalationPolicy, Notification
from escalation.tests.conftest import assign, at
from escalation.workflows.overdue import run_overdue_ladder
from lms.tests.factories import AdminFactory, UserFactory
from reports.selectors.people import learner_record

pytestmark = pytest.mark.django_db
DUE = dt.date(2026, 3, 20)


def test_the_case_file_and_notifications_say_whom_each_step_told_in_words(client, team, course, policy):
    director, lead, (learner, *_) = team
    officer = UserFactory(first_name="Olu", email="officer@example.com")
    EscalationPolicy.objects.filter(pk=policy.pk).update(compliance_officer=officer)
    policy.steps.filter(days_overdue=14).update(notify_compliance_officer=True)
    assignment = assign(learner, course, due=DUE)
    for days in (1, 7, 14):
        run_overdue_ladder(as_of=at(DUE + dt.timedelta(days=days)))

    reasons = list(
        EscalationEvent.objects.filter(assignment=assignment, kind="escalated")
        .order_by("level")
        .values_list("reason", flat=True)
    )
    assert reasons == [
        "1 day past the deadline of 20 Mar 2026: the first escalation step told the manager",
        "7 days past the deadline of 20 Mar 2026: the second escalation step told the manager and the "
        "manager's manager",
        "14 days past the deadline of 20 Mar 2026: the third escalation step told the manager, the manager's "
        "manager and the compliance officer",
    ]
    told_director = Notification.objects.get(recipient=director, dedupe_key__endswith=":7:managers_manager")
    assert told_director.context["reason"] == "7 days overdue (second escalation step, the one for day 7)"

    client.force_login(AdminFactory())
    case_file = client.get(reverse("escalation:case_file", args=[assignment.pk])).content.decode()
    assert "managers_manager" not in case_file and "compliance_officer" not in case_file
    assert "told the manager and the manager&#x27;s manager" in case_file
    client.force_login(director)
    page = client.get(reverse("escalation:notifications")).content.decode()
    assert "(step " not in page and "day 14)" in page
    assert "14 days overdue (third escalation step, the one for day 14)" in page


def test_the_compliance_record_ends_a_case_file_reason_with_one_full_stop(team, course, policy):
    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE, status="failed", retake_deadline=dt.date(2026, 12, 18))
    EscalationEvent.objects.create(
        assignment=assignment,
        kind=EscalationEvent.Kind.ATTEMPTS_EXHAUSTED,
        reason="All allowed attempts used without passing. Retake deadline 18 Dec 2026.",
        occurred_at=timezone.now(),
    )

    record = learner_record(person=learner, day=timezone.localdate())

    [row] = record["assignments"]
    [line] = [line for line in row.why if line.startswith("Case file:")]
    assert line.endswith("Retake deadline 18 Dec 2026.") and ".." not in line


def test_a_french_reader_gets_the_case_file_line_in_french_without_the_english_record(team, course, policy):
    """Outside eyes: "Dossier : Escaladé (level 1) le ...: 1 day past the deadline ..." on a French page."""
    from django.utils import translation

    _, _, (learner, *_) = team
    assignment = assign(learner, course, due=DUE)
    EscalationEvent.objects.create(
        assignment=assignment,
        kind=EscalationEvent.Kind.ESCALATED,
        level=1,
        reason="1 day past the deadline: the first escalation step told the manager.",
        occurred_at=timezone.now(),
    )

    with translation.override("fr"):
        [row] = learner_record(person=learner, day=timezone.localdate())["assignments"]
        [french] = [line for line in row.why if line.startswith("Dossier")]
    [row] = learner_record(person=learner, day=timezone.localdate())["assignments"]
    [english] = [line for line in row.why if line.startswith("Case file:")]

    assert "(niveau 1)" in french and "level" not in french and "deadline" not in french
    assert "(level 1)" in english and english.endswith("told the manager.")
