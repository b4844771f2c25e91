"""The preview of tonight's run: the dry run (escalation.rehearsal) told as a summary an admin reads.

It leads with one row per workflow (its name as people say it, the messages it would queue, the
people they go to, what else it would change), then each workflow's section with its number, then
the sending line, which adds up with the sections: the messages queued tonight plus those already
waiting in the outbox are the messages that would be sent (one email per person and kind of
message, so fewer emails than messages).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import ngettext

from escalation.dispatch import queued_split
from escalation.models import Notification
from escalation.nightly import LEAVES_THE_DATABASE, run_nightly, workflow_label
from lms.models import User

# Figures other than messages, as sentences (ngettext: each language gets its plural forms).
CHANGES = {
    "assignments_moved": lambda n: ngettext(
        "%(n)d due date moves for time away", "%(n)d due dates move for time away", n
    ),
    "escalated": lambda n: ngettext("%(n)d assignment escalated", "%(n)d assignments escalated", n),
    "letters": lambda n: ngettext("%(n)d warning letter issued", "%(n)d warning letters issued", n),
    "review_bookings": lambda n: ngettext("%(n)d review session booking", "%(n)d review session bookings", n),
    "reassigned": lambda n: ngettext("%(n)d course assigned again", "%(n)d courses assigned again", n),
    "would_reassign": lambda n: ngettext("%(n)d course assigned again", "%(n)d courses assigned again", n),
    "clean_slate_archived": lambda n: ngettext(
        "%(n)d assignment archived for the annual clean slate",
        "%(n)d assignments archived for the annual clean slate",
        n,
    ),
    "would_clean_slate": lambda n: ngettext(
        "%(n)d assignment archived for the annual clean slate",
        "%(n)d assignments archived for the annual clean slate",
        n,
    ),
    "snapshots": lambda n: ngettext(
        "compliance figures stored for %(n)d course and department",
        "compliance figures stored for %(n)d courses and departments",
        n,
    ),
    "team_snapshots": lambda n: ngettext(
        "figures stored for %(n)d team and course", "figures stored for %(n)d teams and courses", n
    ),
    "events": lambda n: ngettext("%(n)d case-file entry", "%(n)d case-file entries", n),
    # Webhook deliveries queued (one per endpoint and event; escalation.webhooks.events).
    "assignment_overdue": lambda n: ngettext(
        "%(n)d webhook delivery of an overdue assignment", "%(n)d webhook deliveries of overdue assignments", n
    ),
    "escalation_steps": lambda n: ngettext(
        "%(n)d webhook delivery of an escalation step", "%(n)d webhook deliveries of escalation steps", n
    ),
    "certificates_expiring": lambda n: ngettext(
        "%(n)d webhook delivery of an expiring certificate", "%(n)d webhook deliveries of expiring certificates", n
    ),
}


def _changes(result: dict) -> list[str]:
    return [CHANGES[key](result[key]) % {"n": result[key]} for key in CHANGES if result.get(key)]


class _People:
    """Watches the dry run (``run_nightly(watch=...)``), inside its transaction: for each workflow,
    how many people its new outbox rows go to; for sending, how many of the messages it would send
    were queued tonight and how many were already waiting."""

    def __init__(self, as_of: dt.datetime):
        self.as_of = as_of
        self.night_starts: int | None = None
        self.mark = 0
        self.figures: dict[str, dict] = {}

    def __call__(self, name: str, *, done: bool) -> None:
        if not done:
            self.mark = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
            if self.night_starts is None:
                self.night_starts = self.mark
        elif name in LEAVES_THE_DATABASE:
            self.figures[name] = queued_split(as_of=max(self.as_of, timezone.now()), after=self.night_starts or 0)
        else:
            self.figures[name] = Notification.objects.filter(pk__gt=self.mark).aggregate(
                people=Count("recipient_id", distinct=True)
            )


def tonight_preview() -> dict:
    """Run the nightly workflows as a dry run (raises NightlyRunInProgress during a real run) and
    return the page's figures: ``workflows`` (one row each, with its samples), ``dispatch`` and
    the night's totals."""
    as_of = timezone.now()
    people = _People(as_of)
    results = [
        {**result, **people.figures.get(result["workflow"], {})}
        for result in run_nightly(as_of=as_of, dry_run=True, watch=people)
    ]
    recipient_ids = {s["recipient_id"] for r in results for s in r.get("samples", [])}
    names = {u.pk: u for u in User.objects.filter(pk__in=recipient_ids)}
    labels = dict(Notification.Kind.choices)
    workflows, dispatch = [], None
    for result in results:
        for sample in result.get("samples", []):
            sample["recipient"] = names.get(sample["recipient_id"])
            sample["kind_label"] = labels.get(sample["kind"], sample["kind"])
        row = {
            **result,
            "label": workflow_label(result["workflow"]),
            "messages": result.get("notifications", 0),
            "people": result.get("people", 0),
            "changes": _changes(result),
        }
        if result["workflow"] == "dispatch":
            dispatch = row
        else:
            workflows.append(row)
    return {
        "workflows": workflows,
        "dispatch": dispatch,
        "total_messages": sum(row["messages"] for row in workflows),
    }
