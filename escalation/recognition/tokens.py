"""Signed "well done" links: one manager, one achievement.

The token is ``django.core.signing`` over ``{"m": manager, "c"|"a": completion or award}`` with its
own salt and a timestamp: a changed id or manager breaks the signature (forged), a token older than
``MAX_AGE`` is refused, and the view serves it only to the manager it names. Single use is not the
token's job: the ``WellDone`` row's unique constraint per manager and achievement is (a second
click is told the note was sent already).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

SALT = "escalation.recognition.well_done"
MAX_AGE = dt.timedelta(days=30)


@dataclass(frozen=True)
class WellDoneTarget:
    manager_id: int
    completion_id: int | None = None
    award_id: int | None = None


def well_done_token(*, manager_id: int, completion_id: int | None = None, award_id: int | None = None) -> str:
    payload = {"m": manager_id}
    if completion_id is not None:
        payload["c"] = completion_id
    else:
        payload["a"] = award_id
    return signing.dumps(payload, salt=SALT, compress=False)


def well_done_path(**kwargs) -> str:
    return reverse("recognition:well_done", args=[well_done_token(**kwargs)])


def read_token(token: str) -> WellDoneTarget | None:
    """The target, or None for a forged, altered or expired token."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("m"), int):
        return None
    completion, award = payload.get("c"), payload.get("a")
    if isinstance(completion, int) and award is None:
        return WellDoneTarget(payload["m"], completion_id=completion)
    if isinstance(award, int) and completion is None:
        return WellDoneTarget(payload["m"], award_id=award)
    return None
