from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from lms.demo import seed_demo
from lms.models import User
from lms.selectors import managers_above

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_teams_under_leaders_and_is_idempotent(capsys):
    call_command("seed_demo", learners=25, seed=7)
    first = User.objects.count()
    output = capsys.readouterr().out
    for email in ["admin@example.com", "director@example.com", "teamlead@example.com", "learner@example.com"]:
        assert email in output

    call_command("seed_demo", learners=25, seed=7, url="http://127.0.0.1:8123/")
    assert User.objects.count() == first
    assert "Log in at http://127.0.0.1:8123/ " in capsys.readouterr().out

    lead = User.objects.get(email="teamlead@example.com")
    assert 6 <= lead.reports.count() <= 12
    learner = User.objects.get(email="learner@example.com")
    assert [m.email for m in managers_above(learner)][:1] == ["teamlead@example.com"]
    assert managers_above(learner)[-1].email == "director@example.com"
    assert User.objects.get(email="admin@example.com").is_staff


def test_seed_demo_without_url_names_the_sites_own_address(capsys, monkeypatch):
    """Outside eyes (issue 13): with SITE_URL=http://127.0.0.1:8613 the command said "Log in at
    http://127.0.0.1:8000/"; the hint follows SITE_URL when no --url is given."""
    monkeypatch.setenv("SITE_URL", "http://127.0.0.1:8613")
    call_command("seed_demo", learners=3, seed=7)
    assert "Log in at http://127.0.0.1:8613/ " in capsys.readouterr().out


def test_the_demo_is_lived_in_seeded_in_seconds_and_once():
    """Issue 13 item 25: the trend chart was an empty grid, item analysis showed 0 answers and a
    person 3 days overdue had "Case file: Nothing recorded", because no night had ever run."""
    from assignments.models import Assignment, Attempt
    from escalation.models import EscalationEvent, Notification, WorkflowRun
    from escalation.selectors import case_file
    from reports.selectors import item_analysis, weekly_trend

    started = time.monotonic()
    seed_demo(learners=25, seed=7)
    seconds = time.monotonic() - started
    assert seconds < 20  # about 3 s alone on a laptop (README); generous for a shared CI machine

    # the trend has months of weekly points, and they move
    points = [p for p in weekly_trend(day=timezone.localdate()) if p["percent"] is not None]
    assert len(points) >= 10
    assert points[0]["day"] <= timezone.localdate() - dt.timedelta(weeks=10)
    assert len({p["percent"] for p in points}) > 1

    # a simulated night's stored counts are the report's as of that day (outside eyes, issue 19:
    # the nights counted assignments seeded after them)
    from reports.models import ComplianceSnapshot
    from reports.selectors import STATES, Scope, organisation

    last_week = timezone.localdate() - dt.timedelta(days=8)
    stored = {state: 0 for state in STATES}
    for snapshot in ComplianceSnapshot.objects.filter(day=last_week):
        for state in STATES:
            stored[state] += getattr(snapshot, state)
    rebuilt = organisation(scope=Scope(), day=last_week, history=True).total.counts
    assert stored == {state: rebuilt.get(state, 0) for state in STATES} and sum(stored.values()) > 0

    # item analysis reads first attempts at the final: every question answered, some wrongly
    finals = [i for i in item_analysis(course_code="ABC-201") if i.question.quiz.kind == "final"]
    assert finals and all(item.responses > 0 for item in finals)
    assert any(item.wrong_share for item in finals)
    # passes, fails, retakes
    assert Attempt.objects.filter(passed=False).exists()
    assert Attempt.objects.filter(number=2, passed=True).exists()

    # the person 3 days overdue has a case file: reminders before the due date, then the ladder
    overdue = Assignment.objects.filter(
        course_code="HS-101", due_date=timezone.localdate() - dt.timedelta(days=3), archived_at=None
    ).first()
    assert overdue is not None
    kinds = [event.kind for event in case_file(overdue)]
    assert "reminded" in kinds and "escalated" in kinds

    # notifications exist for the learner and their team leader (digests, escalations)
    assert Notification.objects.filter(recipient__email="learner@example.com").exists()
    assert Notification.objects.filter(recipient__email="teamlead@example.com").count() >= 5
    # the simulated past was delivered to nobody and nothing is left waiting to be sent
    assert not Notification.objects.exclude(status=Notification.Status.SENT).exists()

    # issues 15 and 17 have their demo data, and their pages show it to the demo users
    shown = _issue_15_and_17_content()
    _issue_15_and_17_pages()

    # seeding again adds no night, and none of issue 15's and 17's rows
    runs, events = WorkflowRun.objects.count(), EscalationEvent.objects.count()
    seed_demo(learners=25, seed=7)
    assert (WorkflowRun.objects.count(), EscalationEvent.objects.count()) == (runs, events)
    assert _issue_15_and_17_content() == shown


def _issue_15_and_17_content() -> dict:
    """The counts of the demo's SCORM course, PDF, boosters, CPD, badges and reviews (asserted)."""
    from assignments.boosters.models import BoosterDelivery, BoosterProgramme
    from assignments.course_reviews.models import CourseReview
    from assignments.cpd.models import CpdTarget, ExternalLearning
    from assignments.models import Assignment, Attempt
    from assignments.scorm_runtime.models import ScormInteraction, ScormState
    from courses.models import Course, Module
    from escalation.recognition.models import Award, Badge, WellDone

    # a published SCORM course, assigned to the demo learner's team, played for real
    scorm = Course.objects.get(code="MH-SCORM-101")
    assert scorm.status == Course.Status.PUBLISHED and scorm.scorm_packages.count() == 1
    assigned = Assignment.objects.filter(course=scorm)
    assert assigned.filter(learner__email="learner@example.com", status=Assignment.Status.IN_PROGRESS).exists()
    assert assigned.filter(status=Assignment.Status.COMPLETED).count() == 3
    scorm_attempts = Attempt.objects.filter(assignment__course=scorm)
    assert scorm_attempts.filter(passed=True).count() == 3 and scorm_attempts.filter(passed=False).count() == 2
    assert ScormState.objects.filter(assignment__course=scorm).count() == 6
    assert ScormInteraction.objects.filter(state__assignment__course=scorm).count() == 5 * 4
    # an uploaded PDF in a native course
    pdf = Module.objects.exclude(attachment="").get(course__code="HS-101")
    assert pdf.attachment_type == "application/pdf" and pdf.attachment.read(5) == b"%PDF-"
    # boosters sent and answered at every step of the schedule, right less often later on
    assert BoosterProgramme.objects.filter(course_code="ABC-201", is_active=True).count() == 1
    answered = BoosterDelivery.objects.filter(answered_at__isnull=False)
    steps = {step: answered.filter(step=step) for step in (1, 2, 3, 4)}
    assert all(rows.exists() for rows in steps.values())
    assert answered.filter(correct=False).exists()
    assert BoosterDelivery.objects.filter(
        learner__email="learner@example.com", status="queued", answered_at__isnull=True
    ).exists()
    # CPD: two targets; the demo learner's entries approved, returned and pending; teammates' too
    assert CpdTarget.objects.count() == 2
    lee = ExternalLearning.objects.filter(learner__email="learner@example.com")
    assert sorted(lee.values_list("status", flat=True)) == ["approved", "pending", "returned"]
    assert ExternalLearning.objects.exclude(learner__email="learner@example.com").count() == 2
    # three badges, all awarded by the nights; a well-done note from the team leader
    assert Badge.objects.count() == 3
    assert set(Award.objects.values_list("badge__criteria", flat=True)) == {
        "course_passed",
        "all_mandatory",
        "booster_streak",
    }
    assert (
        WellDone.objects.filter(sender__email="teamlead@example.com", learner__email="learner@example.com").count() == 1
    )
    # a dozen reviews of two courses, most approved, some waiting for moderation
    reviews = CourseReview.objects.all()
    assert reviews.count() >= 10 and set(reviews.values_list("course_code", flat=True)) == {"ABC-201", "INFOSEC-101"}
    assert reviews.filter(status="approved").exists() and reviews.filter(status="pending").count() >= 2
    return {
        "deliveries": BoosterDelivery.objects.count(),
        "entries": ExternalLearning.objects.count(),
        "awards": Award.objects.count(),
        "reviews": reviews.count(),
        "scorm": ScormState.objects.count(),
        "courses": Course.objects.count(),
    }


def _issue_15_and_17_pages() -> None:
    from django.test import Client
    from django.urls import reverse

    def page(email: str, name: str) -> str:
        client = Client()
        client.force_login(User.objects.get(email=email))
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        return response.content.decode()

    team = page("teamlead@example.com", "reports_team_dashboard")
    assert 'data-testid="retention-chart"' in team and "Anti-bribery and corruption" in team
    home = page("learner@example.com", "home")
    assert 'data-testid="booster-card"' in home
    assert "Anti-bribery: passed" in home and "Great work on this, Lee." in home
    organisation = page("admin@example.com", "reports_organisation")
    assert 'data-testid="retention-chart"' in organisation
    courses = page("admin@example.com", "authoring_course_list")
    assert "MH-SCORM-101" in courses and "Manual handling: lifting safely" in courses
