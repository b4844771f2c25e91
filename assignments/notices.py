"""Telling a learner of their assignments: a registry that the assignments app owns.

Assigning, re-notifying, imports and the nightly recertification all queue the same notice. The
notice is written by the notification outbox, which lives in the escalation app above this one;
escalation registers its writer here in its ``AppConfig.ready``
(``escalation.notices.assignment_notice_queue``), so this app never imports upwards. The writer
runs inside the caller's transaction: a rolled-back assignment queues nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from assignments.models import Assignment

NoticeWriter = Callable[..., int]
_writers: list[NoticeWriter] = []


def register_notice_writer(writer: NoticeWriter) -> None:
    """``writer(assignments=[...], dispatch_soon=...)`` queues the notices and returns how many."""
    if writer not in _writers:
        _writers.append(writer)


def assignment_notice_send(*, assignments: Iterable[Assignment], dispatch_soon: bool = True) -> int:
    """Queue the assignment notice for each active assignment of an active learner; returns how
    many were queued (0 when no writer is registered). Every call queues a new notice: re-notify
    sends again on purpose. ``dispatch_soon=False`` (imports) leaves sending to the dispatcher's
    next scheduled run instead of asking for one when the transaction commits."""
    assignments = list(assignments)
    return sum(writer(assignments=assignments, dispatch_soon=dispatch_soon) for writer in _writers)
