"""Writing to the notification outbox. Workflows and receivers only ever insert rows here; the
dispatcher (escalation.dispatch) sends them. The unique dedupe key makes every insert idempotent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from escalation.models import Notification
from lms.bulk import bulk_insert

BATCH_SIZE = 2000
# The Celery task that runs escalation.dispatch.run_dispatch (escalation/tasks.py).
DISPATCH_TASK = "escalation.dispatch_notifications"


@dataclass
class Outgoing:
    recipient_id: int
    kind: str
    dedupe_key: str
    context: dict[str, Any] = field(default_factory=dict)
    assignment_id: int | None = None
    send_after: dt.datetime | None = None


def enqueue(messages: list[Outgoing], *, dry_run: bool = False) -> list[Outgoing]:
    """Insert the messages not already in the outbox; return the ones that are new.

    One query to find existing keys and one insert per batch. Conflicts are ignored: that covers a
    concurrent run inserting the same key between the two.
    """
    new: list[Outgoing] = []
    now = timezone.now()
    for start in range(0, len(messages), BATCH_SIZE):
        batch = messages[start : start + BATCH_SIZE]
        keys = [m.dedupe_key for m in batch]
        existing = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        seen: set[str] = set()
        fresh = []
        for message in batch:
            if message.dedupe_key in existing or message.dedupe_key in seen:
                continue
            seen.add(message.dedupe_key)
            fresh.append(message)
        new.extend(fresh)
        if dry_run or not fresh:
            continue
        bulk_insert(
            [
                Notification(
                    recipient_id=m.recipient_id,
                    kind=m.kind,
                    dedupe_key=m.dedupe_key,
                    context=m.context,
                    assignment_id=m.assignment_id,
                    send_after=m.send_after or now,
                )
                for m in fresh
            ],
            ignore_conflicts=True,
        )
    return new


def enqueue_and_dispatch_soon(messages: list[Outgoing]) -> list[Outgoing]:
    """For messages people expect at once (a failed attempt): insert now, and ask a worker to
    dispatch when the surrounding transaction commits."""
    new = enqueue(messages)
    if new:
        dispatch_soon()
    return new


def dispatch_soon() -> None:
    """Ask a worker to run the dispatcher once the surrounding transaction commits.

    The task is looked up by its registered name: the outbox is used by the workflows that the
    nightly task runs, so importing the tasks module from here would make a circle."""
    transaction.on_commit(lambda: current_app.tasks[DISPATCH_TASK].delay())
