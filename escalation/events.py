"""The case file: one small function per event type (append-only rows in EscalationEvent).

Workflows that record events for many assignments at once build rows with ``event_row`` and
``record`` (``lms.bulk.bulk_insert``): the unique ``dedupe_key`` makes a second run record
nothing new.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from escalation.models import EscalationEvent
from lms.bulk import bulk_insert
from lms.dates import record_moment
from lms.scores import score_text

Kind = EscalationEvent.Kind


def event_row(
    *,
    assignment_id: int,
    kind: str,
    occurred_at: dt.datetime,
    reason: str = "",
    level: int = 0,
    dedupe_key: str | None = None,
    detail: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> EscalationEvent:
    return EscalationEvent(
        assignment_id=assignment_id,
        kind=kind,
        occurred_at=occurred_at,
        reason=reason,
        level=level,
        dedupe_key=dedupe_key,
        detail=detail or {},
        actor_id=actor_id,
    )


def record(rows: list[EscalationEvent], *, count: bool = False) -> int:
    """Insert the rows whose dedupe key is not in the case file yet. With ``count``, return how many
    that was (one more query: the keys already there), for the figures a workflow reports; else 0."""
    if not rows:
        return 0
    new = 0
    if count:
        keys = [row.dedupe_key for row in rows if row.dedupe_key]
        existing = set(EscalationEvent.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        seen: set[str] = set()
        for row in rows:
            if row.dedupe_key is None:
                new += 1
            elif row.dedupe_key not in existing and row.dedupe_key not in seen:
                seen.add(row.dedupe_key)
                new += 1
    bulk_insert(rows, ignore_conflicts=True)
    return new


def _one(assignment, kind: str, reason: str, *, dedupe_key: str | None = None, **kwargs) -> None:
    record(
        [
            event_row(
                assignment_id=assignment.pk,
                kind=kind,
                occurred_at=kwargs.pop("occurred_at", None) or timezone.now(),
                reason=reason,
                dedupe_key=dedupe_key,
                **kwargs,
            )
        ]
    )


def review_booked(*, booking, actor=None) -> None:
    _one(
        booking.assignment,
        Kind.REVIEW_BOOKED,
        f"Booked into “{booking.session.title}” on {record_moment(booking.session.starts_at)}.",
        dedupe_key=f"review_booked:{booking.pk}",
        detail={"session": booking.session_id},
        actor_id=actor.pk if actor else None,
    )


def review_attended(*, booking, attempts_reopened: int, actor=None) -> None:
    _one(
        booking.assignment,
        Kind.REVIEW_ATTENDED,
        f"Attended the review session; {attempts_reopened} attempt{'' if attempts_reopened == 1 else 's'} re-opened.",
        dedupe_key=f"review_attended:{booking.pk}",
        detail={"session": booking.session_id},
        actor_id=actor.pk if actor else None,
    )


def completed(*, completion) -> None:
    if completion.assignment_id:
        _one(
            completion.assignment,
            Kind.COMPLETED,
            f"Passed with {score_text(completion.score)}%; certificate {completion.certificate_number}.",
            dedupe_key=f"completed:{completion.pk}",
        )
