from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

CHUNK = 2000


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


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
