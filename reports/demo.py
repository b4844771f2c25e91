"""Demo trend for `seed_demo`: one compliance snapshot a week for the ``WEEKS`` weeks before the
nights escalation/demo.py simulated, rebuilt from the assignment and completion history as the
snapshot of a past day always is, so the trend chart starts months back.

Idempotent: a day that has its snapshot already is left as it is (run_compliance_snapshot).
"""

from __future__ import annotations

import datetime as dt

from escalation.demo import NIGHTS, night_of
from reports.services import run_compliance_snapshot

WEEKS = 10


def seed(org) -> None:
    for week in range(WEEKS):
        run_compliance_snapshot(as_of=night_of(org.today - dt.timedelta(days=NIGHTS + 7 * week)))
