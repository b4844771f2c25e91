"""The events webhooks carry, and how they are queued.

Each event has one id for every endpoint and every retry (``event_id``, derived from what it is
about), so a receiver that gets an event twice can drop the repeat, and queueing an event again
(a second nightly run, a replayed signal) inserts nothing: WebhookDelivery is unique per endpoint
and event id.

- ``completion.recorded``: when a learner passes (``assignments.signals.course_completed``,
  after the commit), queued at once and sent by a worker straight away.
- ``assignment.overdue``: once per assignment and due date, the first night its state is
  ``overdue`` (the one rule, ``assignments.state``), judged on the site's date; deadlines passed
  more than ``OVERDUE_LOOKBACK_DAYS`` ago are not announced to an endpoint registered later.
- ``escalation.step_taken``: each step of the overdue ladder the case file records (escalated to a
  level, warning letter issued), written in the last ``STEP_LOOKBACK``.
- ``certificate.expiring``: once per certificate, when the learner's latest completion of a course
  enters its renewal window (the course's days before expiry).

The nightly ones are the workflow ``run_webhook_events``, just before the dispatch.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from assignments.models import Assignment, Completion
from assignments.state import ComplianceState, DateMinusDays, with_compliance_state
from escalation.models import EscalationEvent, WebhookDelivery, WebhookEndpoint, WebhookSubscription
from lms.bulk import bulk_insert

logger = logging.getLogger(__name__)

Event = WebhookSubscription.Event
DELIVER_TASK = "escalation.deliver_webhooks"
BATCH_SIZE = 2000
OVERDUE_LOOKBACK_DAYS = 7
STEP_LOOKBACK = dt.timedelta(days=2)
_NAMESPACE = uuid.UUID("5b0f3c1e-2f7a-4c55-9a77-6c1d2f0e9b31")


def event_id(source: str) -> str:
    """The event's id, the same whenever the same thing is queued again."""
    return "evt_" + uuid.uuid5(_NAMESPACE, source).hex


def subscribed_endpoints(event: str) -> list[int]:
    return list(
        WebhookEndpoint.objects.filter(is_active=True, subscriptions__event=event)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def queue(event: str, items: list[tuple[str, dt.datetime, dict[str, Any]]], *, dry_run: bool = False) -> int:
    """Queue each (source, occurred_at, data) for every active endpoint subscribed to ``event``;
    return how many deliveries are new."""
    endpoints = subscribed_endpoints(event)
    if not endpoints or not items:
        return 0
    now = timezone.now()
    new = 0
    for start in range(0, len(items), BATCH_SIZE):
        batch = [
            (event_id(source), occurred_at, data) for source, occurred_at, data in items[start : start + BATCH_SIZE]
        ]
        ids = [eid for eid, _, _ in batch]
        existing = set(
            WebhookDelivery.objects.filter(endpoint_id__in=endpoints, event_id__in=ids).values_list(
                "endpoint_id", "event_id"
            )
        )
        rows = [
            WebhookDelivery(
                endpoint_id=endpoint,
                event_id=eid,
                event=event,
                payload={"id": eid, "type": event, "occurred_at": occurred_at.isoformat(), "data": data},
                next_attempt_at=now,
            )
            for eid, occurred_at, data in batch
            for endpoint in endpoints
            if (endpoint, eid) not in existing
        ]
        new += len(rows)
        if rows and not dry_run:
            bulk_insert(rows, ignore_conflicts=True)
    return new


def deliver_soon() -> None:
    """Ask a worker to run the webhook sender once the surrounding transaction commits (looked up
    by its task name: escalation.tasks imports the nightly run, which imports this module).

    Nothing the sender does may reach the request that committed (a learner's pass, an admin's
    save): with tasks run eagerly it runs right here, so any failure is logged, and the beat entry
    that runs every minute sends what is due."""
    transaction.on_commit(_ask_for_delivery)


def _ask_for_delivery() -> None:
    try:
        current_app.tasks[DELIVER_TASK].delay()
    except Exception:  # noqa: BLE001 - the commit is done; the next scheduled run sends what is due
        logger.exception("webhook deliveries could not be started after a commit; the next scheduled run sends them")


def _person(prefix: str, row: dict) -> dict:
    return {
        "id": row[f"{prefix}_id"],
        "email": row[f"{prefix}__email"],
        "employee_id": row[f"{prefix}__employee_id"],
    }


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def completion_recorded(*, completion: Completion) -> int:
    """Queue ``completion.recorded`` for a completion just written; sent as soon as it commits."""
    if not subscribed_endpoints(Event.COMPLETION_RECORDED):
        return 0
    row = (
        Completion.objects.filter(pk=completion.pk)
        .values(
            "pk",
            "certificate_number",
            "completed_at",
            "score",
            "expires_on",
            "source",
            "assignment_id",
            "course_code",
            "course_version",
            "course__title",
            "learner_id",
            "learner__email",
            "learner__employee_id",
        )
        .get()
    )
    data = {
        "completion": {
            "id": row["pk"],
            "certificate_number": row["certificate_number"],
            "completed_at": row["completed_at"].isoformat(),
            "score": str(row["score"]) if row["score"] is not None else None,
            "expires_on": _day(row["expires_on"]),
            "source": row["source"],
            "assignment_id": row["assignment_id"],
        },
        "learner": _person("learner", row),
        "course": {"code": row["course_code"], "version": row["course_version"], "title": row["course__title"]},
    }
    new = queue(Event.COMPLETION_RECORDED, [(f"completion:{row['pk']}", row["completed_at"], data)])
    if new:
        deliver_soon()
    return new


ASSIGNMENT_FIELDS = (
    "pk",
    "due_date",
    "retake_deadline",
    "status",
    "course_code",
    "course__version",
    "course__title",
    "learner_id",
    "learner__email",
    "learner__employee_id",
)


def _assignment(row: dict) -> dict:
    return {
        "assignment": {
            "id": row["pk"],
            "due_date": _day(row["due_date"]),
            "retake_deadline": _day(row["retake_deadline"]),
            "status": row["status"],
        },
        "learner": _person("learner", row),
        "course": {"code": row["course_code"], "version": row["course__version"], "title": row["course__title"]},
    }


def _overdue(*, day: dt.date, as_of: dt.datetime, dry_run: bool) -> int:
    if not subscribed_endpoints(Event.ASSIGNMENT_OVERDUE):
        return 0
    candidates = Assignment.objects.filter(
        archived_at__isnull=True,
        learner__is_active=True,
        due_date__lt=day,
        due_date__gte=day - dt.timedelta(days=OVERDUE_LOOKBACK_DAYS),
    )
    rows = (
        with_compliance_state(candidates, day=day)
        .filter(state=ComplianceState.OVERDUE)
        .order_by("pk")
        .values(*ASSIGNMENT_FIELDS)
    )
    items = [(f"assignment.overdue:{row['pk']}:{row['due_date']}", as_of, _assignment(row)) for row in rows]
    return queue(Event.ASSIGNMENT_OVERDUE, items, dry_run=dry_run)


def _steps(*, as_of: dt.datetime, dry_run: bool) -> int:
    if not subscribed_endpoints(Event.ESCALATION_STEP):
        return 0
    prefix = "assignment__"
    rows = (
        EscalationEvent.objects.filter(
            kind__in=[EscalationEvent.Kind.ESCALATED, EscalationEvent.Kind.WARNING_LETTER],
            occurred_at__gte=as_of - STEP_LOOKBACK,
            occurred_at__lte=max(as_of, timezone.now()),
        )
        .order_by("pk")
        .values(
            "pk",
            "kind",
            "level",
            "reason",
            "occurred_at",
            "assignment_id",
            *(prefix + f for f in ASSIGNMENT_FIELDS[1:]),
        )
    )
    items = []
    for row in rows:
        of_assignment = {key.removeprefix(prefix): value for key, value in row.items()}
        data = _assignment({**of_assignment, "pk": row["assignment_id"]})
        data["step"] = {
            "case_file_event_id": row["pk"],
            "kind": row["kind"],
            "level": row["level"],
            "reason": row["reason"],
            "occurred_at": row["occurred_at"].isoformat(),
        }
        items.append((f"escalation.step_taken:{row['pk']}", row["occurred_at"], data))
    return queue(Event.ESCALATION_STEP, items, dry_run=dry_run)


def _expiring(*, day: dt.date, as_of: dt.datetime, dry_run: bool) -> int:
    if not subscribed_endpoints(Event.CERTIFICATE_EXPIRING):
        return 0
    later = Completion.objects.filter(
        learner_id=OuterRef("learner_id"),
        course_code=OuterRef("course_code"),
        completed_at__gt=OuterRef("completed_at"),
    )
    rows = (
        Completion.objects.filter(expires_on__gte=day, learner__is_active=True)
        .annotate(
            expiring_from=DateMinusDays(F("expires_on"), F("course__recertification_window_days")),
            superseded=Exists(later),
        )
        .filter(expiring_from__lte=day, superseded=False)
        .order_by("pk")
        .values(
            "pk",
            "certificate_number",
            "completed_at",
            "expires_on",
            "course_code",
            "course_version",
            "course__title",
            "learner_id",
            "learner__email",
            "learner__employee_id",
        )
    )
    items = [
        (
            f"certificate.expiring:{row['pk']}",
            as_of,
            {
                "completion": {
                    "id": row["pk"],
                    "certificate_number": row["certificate_number"],
                    "completed_at": row["completed_at"].isoformat(),
                    "expires_on": _day(row["expires_on"]),
                },
                "learner": _person("learner", row),
                "course": {"code": row["course_code"], "version": row["course_version"], "title": row["course__title"]},
            },
        )
        for row in rows
    ]
    return queue(Event.CERTIFICATE_EXPIRING, items, dry_run=dry_run)


def run_webhook_events(*, as_of: dt.datetime, dry_run: bool = False) -> dict:
    """The nightly workflow: queue the night's overdue assignments, ladder steps and expiring
    certificates for the endpoints that asked for them. Idempotent (one delivery per endpoint and
    event id)."""
    day = timezone.localdate(as_of)
    summary = {
        "assignment_overdue": _overdue(day=day, as_of=as_of, dry_run=dry_run),
        "escalation_steps": _steps(as_of=as_of, dry_run=dry_run),
        "certificates_expiring": _expiring(day=day, as_of=as_of, dry_run=dry_run),
    }
    if any(summary.values()) and not dry_run:
        deliver_soon()
    return {"workflow": "webhook_events", **summary}
