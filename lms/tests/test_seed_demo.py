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

    # seeding again adds no night
    runs, events = WorkflowRun.objects.count(), EscalationEvent.objects.count()
    seed_demo(learners=25, seed=7)
    assert (WorkflowRun.objects.count(), EscalationEvent.objects.count()) == (runs, events)
