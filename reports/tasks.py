"""Celery tasks: each one line into a service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="reports.compliance_snapshot")
def compliance_snapshot() -> dict:
    from reports.services import run_compliance_snapshot

    return run_compliance_snapshot(as_of=timezone.now(), dry_run=False)
