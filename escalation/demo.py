"""Demo nights for `seed_demo`: the nightly workflows run for each of the last ``NIGHTS`` nights, at
02:00 of that day with the clock set to it (time-machine), so the demo has the history a live
organisation has: reminders and overdue-ladder steps in the case files, warning letters, failure
follow-ups, digests, notifications read and unread, and a compliance snapshot a night.

The simulated past is delivered to nobody: its emails go to Django's dummy mail backend, so the
outbox rows end up sent (as they would have been) without a message leaving the machine.

Before those nights, the booster workflow (with the sending) runs alone for each night of the
``BOOSTER_DAYS`` before them, and after every night the learners answer that night's boosters
(assignments/boosters/demo.py), so the retention chart has every step of the schedule answered.
The demo badges (escalation/recognition/demo.py) exist before the first night, so the nights'
recognition workflow awards them; the demo learner's team leader says well done for the first.

Idempotent: an organisation with any recorded nightly run (simulated or real) keeps its history
and is not simulated again, so a re-seed can never swallow real pending messages.
"""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test.utils import override_settings
from django.utils import timezone

from assignments.boosters import demo as boosters_demo
from escalation.models import EscalationStep, WorkflowRun
from escalation.nightly import run_nightly
from escalation.recognition import demo as recognition_demo
from escalation.services import policy_ensure_default

NIGHTS = 14
# Nights before those when only the boosters run (and are sent): the longest default spacing step
# (60 days) plus a month, so completions from three months ago went through every step.
BOOSTER_DAYS = 80
# The hour of the Celery beat entry "Nightly compliance workflows".
NIGHT_HOUR = 2


def night_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(NIGHT_HOUR)))


def name_compliance_officer(org) -> None:
    """The demo's default policy names its compliance administrator as compliance officer, and its
    last step tells them (a fresh install names nobody, so its default ladder tells no officer)."""
    policy = policy_ensure_default()
    if policy.compliance_officer_id is not None:
        return
    policy.compliance_officer = org.admin
    policy.save(update_fields=["compliance_officer", "updated_at"])
    last = policy.steps.order_by("-days_overdue").first()
    if last is not None:
        EscalationStep.objects.filter(pk=last.pk).update(notify_compliance_officer=True)


def seed(org) -> int:
    """Name the compliance officer, then run the nights not yet past their hour; returns how many ran."""
    name_compliance_officer(org)
    recognition_demo.seed(org)
    if WorkflowRun.objects.exists():
        return 0
    now = timezone.now()
    booster_nights = [
        night_of(org.today - dt.timedelta(days=back)) for back in range(NIGHTS + BOOSTER_DAYS - 1, NIGHTS - 1, -1)
    ]
    nights = [night_of(org.today - dt.timedelta(days=back)) for back in range(NIGHTS - 1, -1, -1)]
    # The demo learner answers every booster right (their home page shows a streak).
    keen = tuple(person.email for person in org.learners[:1])
    ran = 0
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for night in booster_nights:
            with time_machine.travel(night, tick=False):
                run_nightly(as_of=night, only=["boosters", "dispatch"])
                boosters_demo.answer_sent(night=night, not_after=now, first_right_emails=keen)
        for night in nights:
            if night > now:
                continue
            with time_machine.travel(night, tick=False):
                run_nightly(as_of=night)
                # The demo learner has not answered this fortnight's booster yet (on their home page).
                boosters_demo.answer_sent(night=night, not_after=now, leave_open_emails=keen)
                # The day after the badges were awarded, the team leader says well done.
                if night + dt.timedelta(hours=13) <= now:
                    with time_machine.travel(night + dt.timedelta(hours=13), tick=False):
                        recognition_demo.well_done(org)
            ran += 1
    return ran
