"""run_nightly's figures count what they say, and a dry run predicts the real run (issue 12 item 26).

Replayed from the issue: recertification printed events=0 while writing case-file events;
dispatch's sent= counted outbox rows, not emails; a dry run predicted nothing to send for messages
the real run then sent, and counted ladder steps for due dates the real run first moved (a return
from leave).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from assignments.models import Assignment
from courses.tests.factories import CompletionFactory, ExemptionFactory, make_course
from escalation.models import EscalationEvent, Notification, WarningLetter, WorkflowRun
from escalation.nightly import WORKFLOWS, run_nightly
from escalation.tests.conftest import assign, at
from lms.models import AuditEntry
from lms.tests.factories import UserFactory
from reports.models import ComplianceSnapshot

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 20)


@pytest.fixture
def night(team, course, policy):
    """One night with work for every workflow: a late learner (ladder steps 1 and 7), one back
    from leave whose due date moves out of the ladder, one due in five days (a reminder), one who
    ran out of attempts yesterday (failure follow-up) and a certificate expiring within its
    window (recertification); the lead gets a digest, and several rows to one person go as one
    email."""
    director, lead, (late, back, soon) = team
    assign(late, course, due=DAY - dt.timedelta(days=10))
    moved = assign(back, course, due=DAY - dt.timedelta(days=10))
    ExemptionFactory(
        learner=back,
        starts_on=DAY - dt.timedelta(days=40),
        ends_on=DAY - dt.timedelta(days=2),
        reason="parental_leave",
    )
    assign(soon, course, due=DAY + dt.timedelta(days=5))
    failed = UserFactory(manager=lead, email="failed@example.com")
    assign(
        failed,
        course,
        due=DAY + dt.timedelta(days=10),
        status=Assignment.Status.FAILED,
        failed_at=at(DAY - dt.timedelta(days=1), 10),
    )
    renew = make_course(questions=1, title="Fire safety", recertification_months=12, recertification_window_days=30)
    holder = UserFactory(manager=lead, email="holder@example.com")
    done = assign(
        holder,
        renew,
        due=DAY - dt.timedelta(days=340),
        assigned_on=DAY - dt.timedelta(days=360),
        status=Assignment.Status.COMPLETED,
    )
    CompletionFactory(
        learner=holder,
        course=renew,
        assignment=done,
        completed_at=at(DAY - dt.timedelta(days=355)),
        expires_on=DAY + dt.timedelta(days=10),
    )
    return {"moved": moved, "lead": lead}


def state() -> dict:
    """Everything a nightly run can change."""
    return {
        "notifications": sorted(Notification.objects.values_list("dedupe_key", "status")),
        "events": EscalationEvent.objects.count(),
        "letters": WarningLetter.objects.count(),
        "assignments": sorted(
            Assignment.objects.values_list(
                "pk", "due_date", "retake_deadline", "reminded_days", "ladder_days", "archived_at", "status"
            )
        ),
        "audit": AuditEntry.objects.count(),
        "snapshots": ComplianceSnapshot.objects.count(),
        "runs": WorkflowRun.objects.count(),
    }


def figures(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in summary.items() if k != "dry_run"} for summary in results]


@time_machine.travel(at(DAY), tick=False)
def test_a_dry_run_reports_the_figures_of_the_real_run_and_changes_nothing(night):
    before = state()

    dry = run_nightly(as_of=at(DAY), dry_run=True)

    assert state() == before and mail.outbox == []
    assert all(summary["dry_run"] for summary in dry)
    real = run_nightly(as_of=at(DAY))
    assert figures(dry) == figures(real)
    by_name = {summary["workflow"]: summary for summary in real}
    # The return from leave moved one due date before the ladder ran: only the late learner's
    # two steps are taken (the dry run used to count the moved one's too).
    assert by_name["exemption_returns"]["assignments_moved"] == 1
    assert by_name["overdue_ladder"]["escalated"] == 2
    assert not Notification.objects.filter(assignment=night["moved"], kind__in=["overdue", "escalation"]).exists()
    # What the dry run said would be sent was sent.
    assert by_name["dispatch"]["emails_sent"] == len(mail.outbox) > 0


@time_machine.travel(at(DAY), tick=False)
def test_every_figure_counts_what_it_names(night):
    """Each workflow run alone: its figures against the rows it wrote and the emails that went."""
    for name, _ in WORKFLOWS:
        outbox, events, letters, emails = (
            Notification.objects.count(),
            EscalationEvent.objects.count(),
            WarningLetter.objects.count(),
            len(mail.outbox),
        )
        sent = Notification.objects.filter(status=Notification.Status.SENT).count()

        (summary,) = run_nightly(as_of=at(DAY), only=[name])

        if "notifications" in summary:
            assert summary["notifications"] == Notification.objects.count() - outbox, name
        if "events" in summary:
            assert summary["events"] == EscalationEvent.objects.count() - events, name
        if name == "overdue_ladder":
            assert summary["letters"] == WarningLetter.objects.count() - letters
        if name == "recertification":
            assert summary["reassigned"] == 1
            assert summary["events"] == 2  # the old assignment archived, the new one re-assigned
        if name == "dispatch":
            assert summary["emails_sent"] == len(mail.outbox) - emails
            assert summary["notifications_sent"] == (
                Notification.objects.filter(status=Notification.Status.SENT).count() - sent
            )
            # The lead's two ladder steps and the exhausted-attempts notice are rows of fewer emails.
            assert summary["notifications_sent"] > summary["emails_sent"]
            assert summary["emails_failed"] == summary["notifications_cancelled"] == 0


@time_machine.travel(at(DAY), tick=False)
def test_the_command_prints_the_same_figures_for_a_dry_run_and_the_run(night, capsys):
    call_command("run_nightly", "--as-of", DAY.isoformat(), "--dry-run")
    dry = capsys.readouterr().out
    call_command("run_nightly", "--as-of", DAY.isoformat())
    real = capsys.readouterr().out

    assert dry.replace("[dry run] ", "") == real
    assert "recertification: notifications=1, events=2" in real
    assert "dispatch: emails_sent=" in real and "would_send" not in dry


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dry_run_during_a_real_run_is_refused_and_changes_nothing(team, course, policy):
    """A dry run holds the rows it touches until it rolls back, and a real run claims with SKIP
    LOCKED: they take one lock, so a real run never skips rows a dry run holds."""
    import threading

    from django.db import connection

    from escalation.rehearsal import LOCK_KEY, NightlyRunInProgress

    _, _, (late, *_) = team
    assign(late, course, due=DAY - dt.timedelta(days=10))
    held, release = threading.Event(), threading.Event()

    def real_run_holding_the_lock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
                held.set()
                release.wait(10)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        finally:
            connection.close()

    worker = threading.Thread(target=real_run_holding_the_lock)
    worker.start()
    try:
        assert held.wait(10)
        with pytest.raises(NightlyRunInProgress):
            run_nightly(as_of=at(DAY), dry_run=True)
    finally:
        release.set()
        worker.join()
    assert run_nightly(as_of=at(DAY), dry_run=True)[0]["workflow"] == "exemption_returns"
    assert not Notification.objects.exists()
