"""The audit trail: one append-only row per create, change, archive or delete of compliance
evidence and of what decides who must train.

Services call ``audit_record`` (one object) or ``audit_record_many`` (bulk: one INSERT per batch,
never a query per row) inside the transaction of the change, so the entry commits or rolls back
with it. On PostgreSQL a trigger refuses UPDATE and DELETE of the table (lms migration 0003).

What is recorded, and by which service:

- assignments: created (``assignments_create``), archived (``assignments_archive``), changed
  (restored by a rule or on a leaver's return, due dates moved when an exemption ends);
- attempts: created when started, changed when submitted (score and result);
- completions: created (earned, recorded or imported); never changed or deleted;
- exemptions: granted, revoked, ended;
- assignment rules and course rules (pass mark, attempts, cooldowns, expiry...): created, changed,
  published, new version;
- escalation policies: created, changed (with the ladder);
- a person: created and changed (name, email, employee id, department, job title, manager, admin;
  ``lms.services.USER_AUDITED_FIELDS``), by any way in (form, import, SCIM, single sign-on);
- a person deactivated (a leaver) or re-activated: who is in compliance scope.

A change made by an integration rather than a person (SCIM provisioning, ``lms.scim``) has no
actor; ``audit_via`` names its token in the reason of every row written meanwhile, whichever app's
service writes it (a leaver's archived assignments too).

Nothing else writes these records with an audit row missing: the Django admin shows them
read-only or saves through the same services (``EVIDENCE_MODELS`` below).

An assignment's derived status (in progress, completed, failed) is not recorded separately: the
attempt or completion entry that caused it is the record.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import models
from django.utils import timezone

from lms.bulk import bulk_insert
from lms.models import AuditEntry

Changes = Mapping[str, tuple[Any, Any] | list[Any]]

# The one list of the models that carry compliance evidence or decide who must train, by label
# (lms sits below the apps that define most of them). They are written only by services that
# record each change above; the Django admin shows them read-only or saves through those services
# (lms/tests/test_admin_evidence.py walks every model registered in the admin against this list).
EVIDENCE_MODELS = frozenset(
    {
        "lms.user",  # the manager, and whether the person is active (who is in scope)
        "lms.auditentry",
        "courses.course",  # the course's rules
        "assignments.assignment",
        "assignments.assignmentrule",
        "assignments.attempt",
        "assignments.attemptanswer",
        "assignments.completion",
        "assignments.exemption",
        "escalation.escalationpolicy",
        "escalation.escalationstep",
        "escalation.escalationevent",
        "escalation.reviewbooking",
        "escalation.warningletter",
    }
)


def jsonable(value: Any) -> Any:
    """A value as it is stored in ``changes``: model instances by primary key, dates as ISO text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")  # 100.00 -> "100", 85.50 -> "85.5"; never "1E+2"
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, models.Choices):
        return value.value
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose (JSON) value differs."""
    changes = {}
    for name in after:
        old, new = jsonable(before.get(name)), jsonable(after[name])
        if old != new:
            changes[name] = [old, new]
    return changes


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of ``instance`` (foreign keys by id)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        values[name] = getattr(instance, field.attname) if field.is_relation else getattr(instance, name)
    return values


def label_of(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


# Who acted when the actor is not a person: an integration's token (SCIM provisioning). Set by
# ``audit_via`` around a request; every row written meanwhile, by any service in any app, names it
# in its reason (the actor column stays a person or empty).
_via: contextvars.ContextVar[str] = contextvars.ContextVar("audit_via", default="")


@contextlib.contextmanager
def audit_via(label: str) -> Iterator[None]:
    """Record ``label`` (for example "SCIM token “Entra ID” (#3)") on every audit row written inside."""
    token = _via.set(label)
    try:
        yield
    finally:
        _via.reset(token)


def _reason(reason: str) -> str:
    via = _via.get()
    if not via:
        return reason or ""
    return f"{reason} (via {via})" if reason else f"Via {via}"


def _actor_id(actor) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.pk


def _clean_changes(changes: Changes | None) -> dict[str, list[Any]]:
    return {str(name): [jsonable(pair[0]), jsonable(pair[1])] for name, pair in (changes or {}).items()}


def audit_record(
    *,
    actor,
    action: str,
    obj_label: str,
    obj_id: Any,
    changes: Changes | None = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Write one audit row (call inside the transaction of the change it records)."""
    if action not in AuditEntry.Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    return AuditEntry.objects.create(
        actor_id=_actor_id(actor),
        at=at or timezone.now(),
        action=action,
        object_type=obj_label,
        object_id=str(obj_id),
        changes=_clean_changes(changes),
        reason=_reason(reason),
    )


def audit_record_many(
    *,
    actor,
    action: str,
    obj_label: str,
    entries: Iterable[tuple[Any, Changes | None]],
    reason: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Write one audit row per (object id, changes) in ``entries``, one INSERT per batch."""
    rows = [
        AuditEntry(**row)
        for row in audit_rows(actor=actor, action=action, obj_label=obj_label, entries=entries, reason=reason, at=at)
    ]
    bulk_insert(rows)
    return len(rows)


def audit_rows(
    *,
    actor,
    action: str,
    obj_label: str,
    entries: Iterable[tuple[Any, Changes | None]],
    reason: str = "",
    at: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The rows ``audit_record_many`` writes, as plain field -> value dicts (JSON values: changes
    cleaned, ``at`` a datetime), for a job that inserts them in a statement of its own
    (escalation.workflows.failures, by the ten thousand a night)."""
    if action not in AuditEntry.Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    stamp = at or timezone.now()
    actor_id = _actor_id(actor)
    label = _reason(reason)
    return [
        {
            "actor_id": actor_id,
            "at": stamp,
            "action": action,
            "object_type": obj_label,
            "object_id": str(obj_id),
            "changes": _clean_changes(changes),
            "reason": label,
        }
        for obj_id, changes in entries
    ]
