"""`run_nightly`: every workflow in order, each recorded as a WorkflowRun."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

from django.utils import timezone

from escalation.dispatch import run_dispatch
from escalation.models import WorkflowRun
from escalation.rehearsal import nightly_run
from escalation.workflows.digests import run_checkins_and_digests
from escalation.workflows.failures import run_failure_followup
from escalation.workflows.overdue import run_overdue_ladder
from escalation.workflows.recertification import run_recertification
from escalation.workflows.reminders import run_due_reminders
from reports.services import run_compliance_snapshot


def _exemption_returns(*, as_of: dt.datetime, dry_run: bool = False) -> dict:
    """Move deadlines forward for learners back from an exemption (assignments app), if present."""
    try:
        module = importlib.import_module("assignments.services.exemptions")
    except ModuleNotFoundError:
        return {"workflow": "exemption_returns", "skipped": True}
    func = getattr(module, "run_exemption_returns", None)
    if func is None:
        return {"workflow": "exemption_returns", "skipped": True}
    return dict(func(as_of=as_of, dry_run=dry_run))


WORKFLOWS: list[tuple[str, Callable]] = [
    ("exemption_returns", _exemption_returns),
    ("due_reminders", run_due_reminders),
    ("failure_followup", run_failure_followup),
    ("overdue_ladder", run_overdue_ladder),
    ("recertification", run_recertification),
    ("checkins_and_digests", run_checkins_and_digests),
    ("compliance_snapshot", run_compliance_snapshot),
    # Rows inserted tonight are due "now"; a run for a past --as-of date sends them too.
    ("dispatch", lambda *, as_of, dry_run: run_dispatch(as_of=max(as_of, timezone.now()), dry_run=dry_run)),
]
# Work that leaves the database (email): in a dry run only these are asked what they would do; the
# others run for real and are rolled back (escalation.rehearsal), so the figures are the real run's.
LEAVES_THE_DATABASE = {"dispatch"}


def run_nightly(
    *, as_of: dt.datetime | None = None, dry_run: bool = False, only: list[str] | None = None
) -> list[dict]:
    as_of = as_of or timezone.now()
    with nightly_run(dry_run=dry_run):
        return _run(as_of=as_of, dry_run=dry_run, only=only)


def _run(*, as_of: dt.datetime, dry_run: bool, only: list[str] | None) -> list[dict]:
    results = []
    for name, func in WORKFLOWS:
        if only and name not in only:
            continue
        run = None
        if not dry_run:
            run = WorkflowRun.objects.create(workflow=name, as_of=as_of, dry_run=dry_run, started_at=timezone.now())
        try:
            summary = dict(func(as_of=as_of, dry_run=dry_run and name in LEAVES_THE_DATABASE))
        except Exception as error:
            if run is not None:
                WorkflowRun.objects.filter(pk=run.pk).update(
                    error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
                )
            raise
        summary.setdefault("workflow", name)
        summary["dry_run"] = dry_run
        if run is not None:
            stored = {k: v for k, v in summary.items() if k != "samples"}
            WorkflowRun.objects.filter(pk=run.pk).update(summary=stored, finished_at=timezone.now())
        results.append(summary)
    return results
