"""Demo trend for `seed_demo`: one compliance snapshot a week for the ``WEEKS`` weeks before the
nights escalation/demo.py simulated, rebuilt from the assignment and completion history as the
snapshot of a past day always is, so the trend chart starts months back.

The simulated nights take their snapshots as the night would, counting the assignments as they are,
but the demo's assignments are seeded as they are today (some assigned, failed or completed after
a simulated night): so every simulated night before tonight has its organisation's counts taken
again from the history, as "as of" that day reads them (outside eyes, issue 19: the trend's point
for a simulated night and the report as of that day disagreed). Tonight's stay as taken.

Idempotent: a day that has its snapshot already is left as it is (run_compliance_snapshot), and the
simulated nights' are rebuilt to the same counts.
"""

from __future__ import annotations

import datetime as dt

from escalation.demo import NIGHTS, night_of
from reports.models import ComplianceSnapshot
from reports.services import run_compliance_snapshot

WEEKS = 10


def seed(org) -> None:
    simulated = [org.today - dt.timedelta(days=back) for back in range(1, NIGHTS)]
    ComplianceSnapshot.objects.filter(day__in=simulated).delete()
    for day in simulated:
        run_compliance_snapshot(as_of=night_of(day))
    for week in range(WEEKS):
        run_compliance_snapshot(as_of=night_of(org.today - dt.timedelta(days=NIGHTS + 7 * week)))
