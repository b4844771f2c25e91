"""`run_nightly`: every workflow in order, each recorded as a WorkflowRun.

The order is the registry ``WORKFLOWS``. Escalation's own workflows are listed here; an app above
escalation adds its own from its ``AppConfig.ready`` with ``register_workflow`` (reports stores the
night's compliance snapshot before the dispatch), so this module never imports upwards.

Each workflow of a real run is watched for big writes: a table it filled or changed past the
threshold of ``lms.table_statistics`` is analysed at once, so the next workflow (and the next
night) plans from figures that include what was just written, instead of waiting for autovacuum.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments.services.exemptions import run_exemption_returns
from escalation.dispatch import run_dispatch
from escalation.models import WorkflowRun
from escalation.recognition.workflow import run_recognition
from escalation.rehearsal import nightly_run
from escalation.webhooks.events import run_webhook_events
from escalation.workflows.boosters import run_boosters
from escalation.workflows.digests import run_checkins_and_digests
from escalation.workflows.failures import run_failure_followup
from escalation.workflows.overdue import run_overdue_ladder
from escalation.workflows.recertification import run_recertification
from escalation.workflows.refreshers import run_refresher_offers
from escalation.workflows.reminders import run_due_reminders
from lms.table_statistics import fresh_statistics

Workflow = Callable[..., dict]


def _dispatch(*, as_of: dt.datetime, dry_run: bool = False) -> dict:
    # Rows inserted tonight are due "now"; a run for a past --as-of date sends them too.
    return run_dispatch(as_of=max(as_of, timezone.now()), dry_run=dry_run)


# (name, run(as_of=..., dry_run=...) -> summary), in the order they run. Deadlines move for people
# back from leave before anything reads them; sending comes last, after every workflow queued.
WORKFLOWS: list[tuple[str, Workflow]] = [
    ("exemption_returns", run_exemption_returns),
    ("due_reminders", run_due_reminders),
    ("failure_followup", run_failure_followup),
    ("overdue_ladder", run_overdue_ladder),
    ("recertification", run_recertification),
    # Badges before the digests, so that a manager reads of tonight's badges in the morning.
    ("recognition", run_recognition),
    ("checkins_and_digests", run_checkins_and_digests),
    # The day's booster question after a completion, in each learner's time zone (issue 17).
    ("boosters", run_boosters),
    # A refresher offered to whoever remembers too little of a course, after the day's boosters.
    ("refresher_offers", run_refresher_offers),
    # Webhook deliveries are queued here and sent by their own task (escalation.webhooks.delivery).
    ("webhook_events", run_webhook_events),
    ("dispatch", _dispatch),
]
# Work that leaves the database (email): in a dry run only these are asked what they would do; the
# others run for real and are rolled back (escalation.rehearsal), so the figures are the real run's.
LEAVES_THE_DATABASE = {"dispatch"}
# What people call each workflow (the preview, the admin); a registered workflow brings its own.
LABELS: dict[str, str] = {
    "exemption_returns": _("Back from leave: deadlines moved"),
    "due_reminders": _("Reminders before the due date"),
    "failure_followup": _("Follow-up of failed attempts"),
    "overdue_ladder": _("Overdue ladder: escalations and warning letters"),
    "recertification": _("Recertification"),
    "recognition": _("Badges: rules that read the whole organisation"),
    "checkins_and_digests": _("Managers' check-ins and digests"),
    "boosters": _("Booster questions after a completion"),
    "refresher_offers": _("Refreshers offered to people who remember too little of a course"),
    "webhook_events": _("Webhooks: overdue assignments, escalation steps, expiring certificates"),
    "dispatch": _("Sending"),
}


def workflow_label(name: str) -> str:
    return str(LABELS.get(name) or name.replace("_", " ").capitalize())


def register_workflow(name: str, run: Workflow, *, before: str = "dispatch", label: str | None = None) -> None:
    """Add a workflow of an app above escalation, to run just before ``before``; registering the
    same name again replaces it (apps may be readied more than once in tests)."""
    if label is not None:
        LABELS[name] = label
    names = [existing for existing, _ in WORKFLOWS]
    if name in names:
        WORKFLOWS[names.index(name)] = (name, run)
        return
    WORKFLOWS.insert(names.index(before), (name, run))


def run_workflow(name: str, func: Workflow, *, as_of: dt.datetime, dry_run: bool = False) -> dict:
    """One workflow's run and its summary; after a real run, ``ANALYZE`` of the tables it wrote
    many rows into (``lms.table_statistics``). The bench times workflows through this too."""
    with fresh_statistics(enabled=not dry_run), long_lived_objects_frozen():
        return dict(func(as_of=as_of, dry_run=dry_run and name in LEAVES_THE_DATABASE))


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Python's cyclic garbage collector leaves alone the objects that exist when a workflow starts
    (Django, its apps, the URL configuration: ~185,000 objects) until it ends (``gc.freeze``,
    CPython 3.7+); what the workflow makes is still collected. Workflows that build many objects
    set off full collections that walked them all: at 1,000,000 assignments 6 a steady night,
    0.57 s, against 0.03 s frozen (issue 19). Not nested: only ``run_workflow`` freezes."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# Called before (done=False) and after (done=True) each workflow, inside the run (for a dry run,
# before the rollback): the preview reads who tonight's messages go to (escalation.preview).
# The summaries stay the run's own figures, the same for a dry run and a real one.
Watch = Callable[..., None]


def run_nightly(
    *,
    as_of: dt.datetime | None = None,
    dry_run: bool = False,
    only: list[str] | None = None,
    watch: Watch | None = None,
) -> list[dict]:
    as_of = as_of or timezone.now()
    with nightly_run(dry_run=dry_run):
        return _run(as_of=as_of, dry_run=dry_run, only=only, watch=watch)


def _run(*, as_of: dt.datetime, dry_run: bool, only: list[str] | None, watch: Watch | None = None) -> list[dict]:
    results = []
    for name, func in WORKFLOWS:
        if only and name not in only:
            continue
        run = None
        if not dry_run:
            run = WorkflowRun.objects.create(workflow=name, as_of=as_of, dry_run=dry_run, started_at=timezone.now())
        if watch is not None:
            watch(name, done=False)
        try:
            summary = run_workflow(name, func, as_of=as_of, dry_run=dry_run)
            if watch is not None:
                watch(name, done=True)
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
