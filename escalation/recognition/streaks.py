"""Booster streaks: people who answered N booster questions right in a row (any run, in the order
they answered), read from the boosters app's deliveries in one ordered pass, never a query per
person."""

from __future__ import annotations

from assignments.boosters.models import BoosterDelivery


def booster_streaks(*, length: int, learner_ids: list[int] | None = None) -> set[int]:
    qs = BoosterDelivery.objects.filter(answered_at__isnull=False, correct__isnull=False, learner__is_active=True)
    if learner_ids is not None:
        qs = qs.filter(learner_id__in=learner_ids)
    rows = qs.order_by("learner_id", "answered_at", "pk").values_list("learner_id", "correct")
    found: set[int] = set()
    current, run = None, 0
    for learner_id, correct in rows.iterator(chunk_size=5000):
        if learner_id != current:
            current, run = learner_id, 0
        if learner_id in found:
            continue
        run = run + 1 if correct else 0
        if run >= length:
            found.add(learner_id)
    return found
