"""Evidence that survives faults.

- A worker killed in the middle of the nightly workflows, re-run, produces every message exactly
  once (the kill in the middle of a send is in escalation/tests/test_dispatch.py).
- A message queued inside a transaction that rolls back is never sent.
- No Celery countdown, ETA or retry delay reaches the broker's visibility timeout.
- The nightly job fires once per local day across both daylight-saving changes.
"""

from __future__ import annotations

import ast
import datetime as dt
import zoneinfo
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from assignments.models import Assignment, Attempt
from assignments.services.assign import DueMode, DueSpec, assignments_create
from assignments.services.attempts import attempt_start, attempt_submit
from courses.tests.factories import AssignmentFactory, answers_for, make_course
from escalation import dispatch
from escalation.models import EscalationEvent, Notification, WarningLetter
from escalation.nightly import run_nightly
from lms.celery import app as celery_app
from lms.tests.factories import UserFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")
ROOT = Path(settings.BASE_DIR)
VISIBILITY_TIMEOUT = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the code under test catches it, like SIGKILL."""


# --- a worker killed mid-workflow ------------------------------------------------------------


NIGHT = dt.datetime(2026, 3, 10, 2, 0, tzinfo=LONDON)


@pytest.fixture
def late_team(db):
    director = UserFactory(email="director@example.com")
    lead = UserFactory(email="lead@example.com", manager=director)
    people = [UserFactory(email=f"p{i}@example.com", manager=lead) for i in range(4)]
    course = make_course(questions=2, code="FIRE-1", title="Fire safety")
    start = dt.date(2026, 1, 5)
    dues = [
        dt.date(2026, 2, 20),  # 18 days late: top of the ladder, warning letter
        dt.date(2026, 3, 3),  # 7 days late
        dt.date(2026, 3, 10),  # due today
        dt.date(2026, 3, 17),  # reminder band (7 days)
    ]
    for person, due in zip(people, dues, strict=True):
        AssignmentFactory(
            learner=person,
            course=course,
            assigned_on=start,
            assigned_at=dt.datetime.combine(start, dt.time(9), tzinfo=LONDON),
            due_date=due,
        )
    return people


def outcome() -> dict:
    return {
        "rows": sorted(Notification.objects.values_list("dedupe_key", "status", "recipient__email")),
        "mail": sorted((m.to[0], m.subject) for m in mail.outbox),
        "letters": sorted(WarningLetter.objects.values_list("assignment_id", "step_days_overdue")),
        "events": sorted(EscalationEvent.objects.values_list("assignment_id", "kind", "level")),
    }


def test_a_nightly_run_killed_mid_workflow_and_re_run_sends_every_message_exactly_once(late_team, monkeypatch):
    # What one uninterrupted run does (measured, then rolled back).
    with transaction.atomic():
        run_nightly(as_of=NIGHT)
        expected = outcome()
        transaction.set_rollback(True)
    mail.outbox.clear()
    assert expected["rows"] and expected["mail"] and expected["letters"]
    assert Notification.objects.count() == 0

    # The worker dies inside the overdue ladder, after it has written its first batch to the outbox.
    from escalation.workflows import overdue

    real_enqueue = overdue.enqueue

    def enqueue_then_die(messages, **kwargs):
        real_enqueue(messages, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(overdue, "enqueue", enqueue_then_die)
    with pytest.raises(WorkerKilled):
        run_nightly(as_of=NIGHT)
    assert mail.outbox == []  # killed before the dispatch step
    assert Notification.objects.exists()  # the reminders before it were written
    monkeypatch.setattr(overdue, "enqueue", real_enqueue)

    # Redelivered: the whole run again.
    run_nightly(as_of=NIGHT)
    assert outcome() == expected
    assert set(Notification.objects.values_list("tries", flat=True)) == {1}

    # And once more for good measure: nothing new.
    run_nightly(as_of=NIGHT)
    assert outcome() == expected


def test_a_worker_killed_between_workflows_and_re_run_sends_every_message_exactly_once(late_team, monkeypatch):
    with transaction.atomic():
        run_nightly(as_of=NIGHT)
        expected = outcome()
        transaction.set_rollback(True)
    mail.outbox.clear()

    from escalation import nightly

    workflows = list(nightly.WORKFLOWS)
    names = [name for name, _func in workflows]
    cut = names.index("recertification")

    def die(**kwargs):
        raise WorkerKilled

    monkeypatch.setattr(nightly, "WORKFLOWS", [*workflows[:cut], ("killed", die)])
    with pytest.raises(WorkerKilled):
        run_nightly(as_of=NIGHT)
    monkeypatch.setattr(nightly, "WORKFLOWS", workflows)

    run_nightly(as_of=NIGHT)
    assert outcome() == expected


# --- nothing queued in a rolled-back transaction is sent -------------------------------------


class RolledBack(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_an_assignment_notice_queued_in_a_rolled_back_transaction_is_never_sent(monkeypatch):
    queued = []
    monkeypatch.setattr(
        "escalation.tasks.dispatch_notifications.delay", lambda *a, **k: queued.append("dispatch") or None
    )
    course = make_course(questions=1)
    learner = UserFactory()
    due = DueSpec(mode=DueMode.AFTER_ASSIGNMENT, days=10)

    with pytest.raises(RolledBack), transaction.atomic():
        assignments_create(course=course, learners=[learner], due=due)
        assert Notification.objects.filter(kind=Notification.Kind.ASSIGNED).count() == 1  # in the outbox...
        raise RolledBack

    assert Notification.objects.count() == 0 and Assignment.objects.count() == 0  # ...and gone with it
    assert queued == [] and mail.outbox == []

    # The same call committed is queued and dispatched once.
    assignments_create(course=course, learners=[learner], due=due)
    assert Notification.objects.filter(kind=Notification.Kind.ASSIGNED).count() == 1
    assert queued == ["dispatch"]


@pytest.mark.django_db(transaction=True)
def test_a_failure_notice_raised_in_a_rolled_back_transaction_is_never_sent():
    lead = UserFactory(email="lead@example.com")
    learner = UserFactory(manager=lead)
    course = make_course(questions=2)
    assignment = AssignmentFactory(learner=learner, course=course)
    attempt = attempt_start(assignment=assignment, quiz=course.final_quiz)
    wrong = {entry["q"] for entry in attempt.layout}

    with pytest.raises(RolledBack), transaction.atomic():
        result = attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong=wrong))
        assert result.attempt.passed is False
        raise RolledBack

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert Notification.objects.count() == 0 and mail.outbox == []

    # Committed, the failure reaches the learner and the manager at once (tasks run in-process).
    attempt_submit(attempt=attempt, answers=answers_for(attempt, wrong=wrong))
    assert Notification.objects.filter(kind=Notification.Kind.ATTEMPT_FAILED).exists()
    assert {m.to[0] for m in mail.outbox} >= {learner.email, lead.email}


# --- countdowns stay under the visibility timeout --------------------------------------------

TIMING_KEYWORDS = {"countdown", "eta", "expires", "default_retry_delay", "retry_backoff_max", "max_retry_delay"}


def _project_sources():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "node_modules", "staticfiles"} or "migrations" in parts or "tests" in parts:
            continue
        yield path


def test_every_celery_countdown_eta_and_retry_delay_is_below_the_visibility_timeout():
    found = []
    for path in _project_sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in TIMING_KEYWORDS:
                value = node.value
                where = f"{path.relative_to(ROOT)}:{value.lineno}"
                if not (isinstance(value, ast.Constant) and isinstance(value.value, int | float)):
                    found.append(f"{where}: {node.arg} is not a literal number of seconds; bound it here")
                elif value.value >= VISIBILITY_TIMEOUT:
                    found.append(f"{where}: {node.arg}={value.value} >= visibility timeout {VISIBILITY_TIMEOUT}")
    assert found == []
    # Task-level defaults in the Celery app (none set by us; Celery's default retry delay is 180 s).
    for task in celery_app.tasks.values():
        assert (task.default_retry_delay or 0) < VISIBILITY_TIMEOUT, task.name


def test_the_broker_uses_late_acks_and_the_visibility_timeout_of_the_settings():
    assert celery_app.conf.broker_transport_options["visibility_timeout"] == VISIBILITY_TIMEOUT
    assert celery_app.conf.task_acks_late is True and celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_outbox_retries_and_the_dispatch_lease_stay_under_the_visibility_timeout():
    # The dispatcher's back-off (5 min x 2^tries) and its claim lease are its own delays, in the
    # database; they are bounded all the same, so a message is never older than a redelivery.
    longest = max(dt.timedelta(minutes=5 * 2**tries) for tries in range(dispatch.MAX_TRIES + 1))
    assert longest.total_seconds() < VISIBILITY_TIMEOUT
    assert dispatch.LEASE.total_seconds() < VISIBILITY_TIMEOUT


# --- once per local day across daylight-saving changes ---------------------------------------


def beat_firings(schedule, *, last_run: dt.datetime, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Drive ``schedule`` like celery beat does, ticking every minute from ``start`` to ``end``."""
    firings = []
    now = start
    schedule.nowfun = lambda: now.astimezone(schedule.tz)
    while now < end:
        is_due, _next = schedule.is_due(last_run)
        if is_due:
            firings.append(now)
            last_run = now
        now += dt.timedelta(minutes=1)
    return firings


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],  # clocks forward (01:00 GMT), back (02:00 BST)
    ids=["spring-forward", "autumn-back"],
)
def test_the_nightly_job_fires_once_per_local_day_across_a_daylight_saving_change(change):
    task = PeriodicTask.objects.get(name="Nightly compliance workflows")
    assert task.task == "escalation.run_nightly" and task.enabled
    assert str(task.crontab.timezone) == settings.TIME_ZONE == "Europe/London"
    schedule = task.crontab.schedule

    first_day = change - dt.timedelta(days=2)
    last_run = dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time(2, 0), tzinfo=LONDON)
    start = dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=LONDON)
    end = dt.datetime.combine(change + dt.timedelta(days=3), dt.time(0, 0), tzinfo=LONDON)
    firings = beat_firings(schedule, last_run=last_run, start=start.astimezone(dt.UTC), end=end.astimezone(dt.UTC))

    local = [moment.astimezone(LONDON) for moment in firings]
    per_day = Counter(moment.date() for moment in local)
    days = [first_day + dt.timedelta(days=n) for n in range(5)]
    assert per_day == Counter(days), local
    assert {(moment.hour, moment.minute) for moment in local} == {(2, 0)}
    # Across the change the gap between two runs is 23 or 25 hours of real time, never 0 or 48.
    gaps = {round((b - a).total_seconds() / 3600) for a, b in zip(firings, firings[1:], strict=False)}
    assert gaps <= {23, 24, 25}
