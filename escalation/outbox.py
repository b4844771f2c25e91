"""Writing to the notification outbox. Workflows and receivers only ever insert rows here; the
dispatcher (escalation.dispatch) sends them. The unique dedupe key makes every insert idempotent."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.signals import request_finished
from django.db import transaction
from django.utils import timezone

from escalation.models import Notification
from lms.bulk import bulk_insert

logger = logging.getLogger(__name__)

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


def dispatch_after_response() -> None:
    """Ask for the dispatcher to run once this request's answer has gone out (the password-reset
    form: the time of its answer must not depend on whether an email was queued).

    With a broker, a worker runs it (as ``dispatch_soon``). Without one (tasks run eagerly, in the
    process that asks), it runs when this response is finished (``request_finished``, after
    the server has written the answer), never inside the view."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        dispatch_soon()
        return
    transaction.on_commit(_dispatch_when_response_finished)


_AFTER_RESPONSE_UID = "escalation.outbox.dispatch_after_response"


def _dispatch_when_response_finished() -> None:
    def run(**kwargs) -> None:
        request_finished.disconnect(dispatch_uid=_AFTER_RESPONSE_UID)
        try:
            current_app.tasks[DISPATCH_TASK].delay()
        except Exception:  # the answer has gone out: a failure is logged, the dispatcher retries later
            logger.exception("dispatching the outbox after a response failed")

    request_finished.connect(run, weak=False, dispatch_uid=_AFTER_RESPONSE_UID)


def dispatch_soon() -> None:
    """Ask a worker to run the dispatcher once the surrounding transaction commits.

    The task is looked up by its registered name: the outbox is used by the workflows that the
    nightly task runs, so importing the tasks module from here would make a circle."""
    transaction.on_commit(lambda: current_app.tasks[DISPATCH_TASK].delay())
