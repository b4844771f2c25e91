"""Demo CPD for `seed_demo` (called from assignments/demo.py): yearly targets for two job titles,
and external learning logged by the demo learner (learner@example.com) and two teammates over the
last weeks: approved and returned entries decided by their team leader, and entries still waiting
for the team leader's approval. Each step runs at its own past moment (time-machine), so the
notices it sends are part of the history the simulated nights of escalation/demo.py deliver.

Idempotent: targets are matched by job title; a learner with any external learning is left alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.utils import timezone

from assignments.cpd.models import CpdTarget, ExternalLearning
from assignments.cpd.services import (
    cpd_target_save,
    external_learning_approve,
    external_learning_return,
    external_learning_submit,
)

TARGETS = {"Warehouse operative": Decimal("12"), "Account executive": Decimal("20")}

# (title, provider, hours, points, days ago submitted, decision, days ago decided, comment)
LEARNER_ENTRIES = [
    ("Forklift refresher (counterbalance)", "Midlands Lift Training", "7", "7", 40, "approved", 37, ""),
    (
        "Manual handling for supervisors",
        "St John Ambulance",
        "3.5",
        None,
        12,
        "returned",
        10,
        "Please add the certificate or the attendance email, and the date on it.",
    ),
    ("Emergency first aid at work", "British Red Cross", "6", "6", 2, None, None, ""),
]
TEAMMATE_ENTRIES = [
    ("Dangerous goods awareness (ADR 1.3)", "RHA Training", "4", "4", 25, "approved", 22, ""),
    ("Fire marshal course", "Fire Safety Solutions", "3", None, 3, None, None, ""),
]


def _at(today: dt.date, days_ago: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(11, 30)), dt.UTC)


def _log(learner, rows, today: dt.date) -> None:
    for title, provider, hours, points, submitted, decision, decided, comment in rows:
        with time_machine.travel(_at(today, submitted), tick=False):
            entry = external_learning_submit(
                learner=learner,
                title=title,
                provider=provider,
                completed_on=today - dt.timedelta(days=submitted + 3),
                hours=Decimal(hours) if hours else None,
                points=Decimal(points) if points else None,
            )
        if decision is None or learner.manager is None:
            continue
        with time_machine.travel(_at(today, decided), tick=False):
            if decision == "approved":
                external_learning_approve(entry=entry, actor=learner.manager, submission=entry.submission)
            else:
                external_learning_return(
                    entry=entry, actor=learner.manager, submission=entry.submission, comment=comment
                )


def seed(org) -> None:
    for job_title, points in TARGETS.items():
        target = CpdTarget.objects.filter(job_title__iexact=job_title).first()
        if target is None:
            cpd_target_save(actor=org.admin, job_title=job_title, points=points)
    if not org.learners:
        return
    learner = org.learners[0]
    team = [p for p in org.learners[1:] if p.manager_id == learner.manager_id][:2]
    for person, rows in [
        (learner, LEARNER_ENTRIES),
        *((mate, TEAMMATE_ENTRIES[i : i + 1]) for i, mate in enumerate(team)),
    ]:
        if ExternalLearning.objects.filter(learner=person).exists():
            continue
        _log(person, rows, org.today)
