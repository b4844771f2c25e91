"""Celery tasks: each one line into a service. Scheduled by django-celery-beat (see the data
migration that seeds the schedule; editable in the admin)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="escalation.dispatch_notifications")
def dispatch_notifications() -> dict:
    from escalation.dispatch import run_dispatch

    return run_dispatch(as_of=timezone.now())


@shared_task(name="escalation.deliver_webhooks")
def deliver_webhooks() -> dict:
    from escalation.webhooks.delivery import run_webhook_deliveries

    return run_webhook_deliveries(as_of=timezone.now())


@shared_task(name="escalation.run_nightly")
def run_nightly() -> dict:
    from escalation.nightly import run_nightly as run

    return run(as_of=timezone.now(), dry_run=False)
