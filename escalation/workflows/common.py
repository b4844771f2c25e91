from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import connection, transaction
from django.db.models import F, QuerySet

from assignments.models import Assignment
from lms.lookups import AnyOf, AnyOfUncounted

CHUNK = 2000


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def claim_batch_size() -> int:
    """Assignments claimed per transaction: their ids are a list in each statement of the batch.
    PostgreSQL (client-side binding) has no parameter limit; SQLite allows 32,766 per statement."""
    return 50_000 if connection.vendor == "postgresql" else 5_000


def claim(candidates: QuerySet, *, size: int, fields: tuple[str, ...] = (), **marker) -> list:
    """Claim up to ``size`` candidates by setting their progress marker; call inside the
    transaction that writes their messages and events, so that both commit or neither does. Rows
    another run holds are skipped (SKIP LOCKED) and are no longer candidates once it commits: two
    runs at once never write the same step twice. Returns their ids in order, or with ``fields``
    (pk, *fields) tuples; the marker may be an expression of the row (a CASE)."""
    # Locked in primary-key order, sorted rather than read along the primary key: with "ORDER BY
    # id LIMIT n" the planner, expecting many candidates (it cannot see that nearly every open
    # assignment without a marker is past the step already or excused), walked the whole table in
    # id order for the few thousand there are instead of reading them through the marker's index.
    claimed = list(
        candidates.select_for_update(skip_locked=True, of=("self",))
        .order_by(F("pk") + 0)
        .values_list("pk", *fields, flat=not fields)[:size]
    )
    if claimed:
        ids = [row[0] for row in claimed] if fields else claimed
        # Rows by primary key, however many (lms.lookups.AnyOfUncounted): told 13,000 ids, the
        # planner read every assignment to mark a night's reminders.
        Assignment.objects.filter(AnyOfUncounted(F("pk"), ids)).update(**marker)
    return claimed


def claim_and_write(
    candidates: QuerySet, write: Callable[[list[tuple]], None], *, fields: tuple[str, ...], **marker
) -> None:
    """Claim the candidates batch by batch (``claim``) and hand each batch's rows, (pk, *fields)
    as they were before the claim, to ``write`` in the same transaction, until none are left."""
    size = claim_batch_size()
    while True:
        with transaction.atomic():
            claimed = claim(candidates, size=size, fields=fields, **marker)
            if claimed:
                write(claimed)
        if len(claimed) < size:
            return


def assignments(ids: list[int]) -> QuerySet:
    """The claimed assignments: their ids as one array parameter, not 50,000 (lms.lookups.AnyOf),
    for every statement of a batch's write reads them again."""
    return Assignment.objects.filter(AnyOf(F("pk"), ids))


def full_name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


class Summary(dict):
    """Counts per workflow plus a few samples for the preview page."""

    SAMPLES = 50

    def __init__(self, workflow: str, dry_run: bool):
        super().__init__(workflow=workflow, dry_run=dry_run, notifications=0, events=0, samples=[])

    def add(self, new_messages: list, events: int = 0, **counts) -> None:
        self["notifications"] += len(new_messages)
        self["events"] += events
        for key, value in counts.items():
            self[key] = self.get(key, 0) + value
        for message in new_messages:
            if len(self["samples"]) >= self.SAMPLES:
                break
            self["samples"].append(
                {
                    "recipient_id": message.recipient_id,
                    "kind": message.kind,
                    "reason": message.context.get("reason", ""),
                    "learner": message.context.get("learner", ""),
                    "course": message.context.get("course", ""),
                }
            )

    def add_counts(self, *, notifications: int, events: int = 0, **counts) -> None:
        """Counts of rows written set-based (no message objects to list)."""
        self["notifications"] += notifications
        self["events"] += events
        for key, value in counts.items():
            self[key] = self.get(key, 0) + value

    def add_samples(self, samples: list[tuple]) -> None:
        """(recipient_id, kind, reason, learner, course) rows, up to the limit."""
        room = self.SAMPLES - len(self["samples"])
        for recipient_id, kind, reason, learner, course in samples[: max(room, 0)]:
            self["samples"].append(
                {"recipient_id": recipient_id, "kind": kind, "reason": reason, "learner": learner, "course": course}
            )
