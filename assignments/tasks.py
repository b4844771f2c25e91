"""Celery tasks: each one line into a service (ids in, no model instances over the broker)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from assignments.services import exemptions, imports


@shared_task
def import_job_check_task(job_id: int) -> None:
    imports.import_job_check(job_id=job_id)


@shared_task
def import_job_apply_task(job_id: int) -> None:
    imports.import_job_apply(job_id=job_id)


@shared_task
def exemptions_end_due_task(as_of: str | None = None) -> int:
    """Nightly: move deadlines of learners whose exemption ended."""
    return exemptions.exemptions_end_due(as_of=dt.date.fromisoformat(as_of) if as_of else dt.date.today())
