"""Writes for CPD: logging external learning, resubmitting a returned entry, approving or returning
it, and the admins' targets per job title.

Each step of an entry's state machine is ONE conditional UPDATE (``filter(pk=..., status=...,
submission=...).update(...) == 1``): a second press of the same button, a second tab, or two
managers deciding at once find the row already moved and change nothing; the loser is told the
entry was already decided. A decision names the submission the decider saw, so an entry the
learner changed in between is not approved unseen. Every step leaves an audit row (``lms.audit``)
and tells the other side through the outbox (``assignments.cpd.signals``), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assignments.cpd import signals
from assignments.cpd.evidence import Evidence
from assignments.cpd.models import CpdTarget, ExternalLearning
from assignments.cpd.selectors import approver_exists, can_decide
from lms.audit import audit_record, label_of, snapshot

ENTRY_FIELDS = ("title", "provider", "completed_on", "hours", "points")
TARGET_FIELDS = ("job_title", "points")
# The audit's words for an evidence file: the first one (on the first submission or a later one)
# is "added"; "replaced" only when a file was there before.
EVIDENCE_ADDED = (None, "added")
NOBODY_TO_APPROVE = gettext_lazy(
    "Nobody can approve this: you have no active manager and there is no other active administrator. "
    "Ask for a manager to be set on your profile, then send it again."
)


def _check_amounts(hours: Decimal | None, points: Decimal | None) -> None:
    if not ((hours or 0) > 0 or (points or 0) > 0):
        raise ValidationError({"hours": _("Give the hours or the CPD points (or both).")})


def _check_approver(learner) -> None:
    if not approver_exists(learner):
        raise ValidationError(NOBODY_TO_APPROVE)


def _store(evidence: Evidence | None, entry: ExternalLearning) -> str:
    """Save the evidence file through the storage API; the stored name ("" for none)."""
    if evidence is None:
        return ""
    entry.evidence.save(evidence.content.name, evidence.content, save=False)
    entry.evidence_name = evidence.display_name
    entry.evidence_type = evidence.kind.content_type
    return entry.evidence.name


def _delete_file_on_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def external_learning_submit(
    *,
    learner,
    title: str,
    provider: str,
    completed_on: dt.date,
    hours: Decimal | None = None,
    points: Decimal | None = None,
    evidence: Evidence | None = None,
) -> ExternalLearning:
    """Log external learning for ``learner``; it waits for their manager's (or an admin's) approval.
    Refused when nobody could approve it (no active manager, no other active admin)."""
    _check_amounts(hours, points)
    _check_approver(learner)
    entry = ExternalLearning(
        learner=learner,
        title=title,
        provider=provider,
        completed_on=completed_on,
        hours=hours,
        points=points,
        submitted_at=timezone.now(),
    )
    stored = _store(evidence, entry)
    try:
        with transaction.atomic():
            entry.save()
            audit_record(
                actor=learner,
                action="create",
                obj_label=label_of(ExternalLearning),
                obj_id=entry.pk,
                changes={
                    **{name: [None, value] for name, value in snapshot(entry, ENTRY_FIELDS).items()},
                    **({"evidence": EVIDENCE_ADDED} if stored else {}),
                },
                reason="Submitted for approval",
            )
            signals.external_learning_submitted.send(sender=ExternalLearning, entry=entry)
    except Exception:
        if stored:
            entry.evidence.storage.delete(stored)
        raise
    return entry


def external_learning_resubmit(
    *,
    entry: ExternalLearning,
    learner,
    submission: int,
    title: str,
    provider: str,
    completed_on: dt.date,
    hours: Decimal | None = None,
    points: Decimal | None = None,
    evidence: Evidence | None = None,
) -> ExternalLearning:
    """The learner's changes to their returned entry, sent back for approval. Refused unless the
    entry is theirs, returned, and still the submission they edited, and while someone can approve it."""
    _check_amounts(hours, points)
    _check_approver(learner)
    before = snapshot(entry, ENTRY_FIELDS)
    had_file = bool(entry.evidence)
    old_file = entry.evidence.name if evidence is not None else ""
    stored = _store(evidence, entry)
    now = timezone.now()
    values = {
        "title": title,
        "provider": provider,
        "completed_on": completed_on,
        "hours": hours,
        "points": points,
        "status": ExternalLearning.Status.PENDING,
        "submission": submission + 1,
        "submitted_at": now,
        "decided_at": None,
        "decided_by": None,
        "decision_comment": "",
        "updated_at": now,
    }
    if stored:
        values.update(evidence=stored, evidence_name=entry.evidence_name, evidence_type=entry.evidence_type)
    try:
        with transaction.atomic():
            moved = ExternalLearning.objects.filter(
                pk=entry.pk, learner_id=learner.pk, status=ExternalLearning.Status.RETURNED, submission=submission
            ).update(**values)
            if moved != 1:
                raise ValidationError(
                    _("This entry cannot be changed now: it is not returned to you, or it was already resubmitted.")
                )
            entry.refresh_from_db()
            changes = {name: [before[name], value] for name, value in snapshot(entry, ENTRY_FIELDS).items()}
            changes["status"] = [ExternalLearning.Status.RETURNED, ExternalLearning.Status.PENDING]
            if stored:
                changes["evidence"] = ["replaced", "new file"] if had_file else EVIDENCE_ADDED
            audit_record(
                actor=learner,
                action="change",
                obj_label=label_of(ExternalLearning),
                obj_id=entry.pk,
                changes={name: pair for name, pair in changes.items() if pair[0] != pair[1]},
                reason=f"Resubmitted for approval (submission {entry.submission})",
            )
            signals.external_learning_submitted.send(sender=ExternalLearning, entry=entry)
            _delete_file_on_commit(entry.evidence.storage, old_file)
    except Exception:
        if stored:
            entry.evidence.storage.delete(stored)
        raise
    return entry


def _decide(*, entry: ExternalLearning, actor, submission: int, status: str, comment: str) -> ExternalLearning:
    if not can_decide(viewer=actor, entry=entry):
        raise ValidationError(_("You cannot decide on this entry."))
    now = timezone.now()
    with transaction.atomic():
        try:
            moved = (
                ExternalLearning.objects.filter(
                    pk=entry.pk, status=ExternalLearning.Status.PENDING, submission=submission
                )
                .exclude(learner_id=actor.pk)
                .update(status=status, decided_at=now, decided_by=actor, decision_comment=comment, updated_at=now)
            )
        except IntegrityError as error:  # the constraints' backstop (a return without a comment)
            raise ValidationError(_("This decision is not complete: say why the entry is returned.")) from error
        if moved != 1:
            raise ValidationError(
                _("This entry has already been decided, or the learner changed it since you opened it.")
            )
        entry.refresh_from_db()
        audit_record(
            actor=actor,
            action="change",
            obj_label=label_of(ExternalLearning),
            obj_id=entry.pk,
            changes={"status": [ExternalLearning.Status.PENDING, status]},
            reason=comment or ("Approved" if status == ExternalLearning.Status.APPROVED else "Returned"),
        )
        signals.external_learning_decided.send(sender=ExternalLearning, entry=entry)
    return entry


def external_learning_approve(
    *, entry: ExternalLearning, actor, submission: int, comment: str = ""
) -> ExternalLearning:
    """Approve the submission ``submission`` of ``entry``: it counts in the learner's record."""
    return _decide(
        entry=entry,
        actor=actor,
        submission=submission,
        status=ExternalLearning.Status.APPROVED,
        comment=comment.strip(),
    )


def external_learning_return(*, entry: ExternalLearning, actor, submission: int, comment: str) -> ExternalLearning:
    """Return ``entry`` to the learner with a comment saying what to change."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Say what the learner should change before it can be approved.")})
    return _decide(
        entry=entry, actor=actor, submission=submission, status=ExternalLearning.Status.RETURNED, comment=comment
    )


def _clean_target(target: CpdTarget) -> None:
    try:
        target.full_clean()
    except ValidationError as error:
        raise ValidationError(error.message_dict) from error


def cpd_target_save(*, actor, job_title: str, points: Decimal, target: CpdTarget | None = None) -> CpdTarget:
    """Create or change the yearly CPD target of a job title (audited)."""
    creating = target is None
    target = target or CpdTarget()
    before = {} if creating else snapshot(target, TARGET_FIELDS)
    target.job_title = " ".join(job_title.split())
    target.points = points
    _clean_target(target)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the race's loser keeps a usable transaction
                target.save()
        except IntegrityError as error:
            # The check above passed, but a second "Save" of the same job title at the same moment
            # inserted it first: the unique constraint is the backstop, and the loser is told as the
            # check would have told it (the other constraints hold on the row's own values, checked).
            raise ValidationError({"job_title": [_("This job title already has a target.")]}) from error
        after = snapshot(target, TARGET_FIELDS)
        audit_record(
            actor=actor,
            action="create" if creating else "change",
            obj_label=label_of(CpdTarget),
            obj_id=target.pk,
            changes={name: [before.get(name), value] for name, value in after.items() if before.get(name) != value},
        )
    return target


def cpd_target_delete(*, actor, target: CpdTarget) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="delete",
            obj_label=label_of(CpdTarget),
            obj_id=target.pk,
            changes={name: [value, None] for name, value in snapshot(target, TARGET_FIELDS).items()},
        )
        target.delete()
