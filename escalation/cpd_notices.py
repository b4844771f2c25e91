"""CPD messages (``assignments.cpd.signals``), written to the outbox in the transaction of the
submission or decision that caused them, and dispatched as soon as it commits.

- ``cpd_submitted``: to the learner's manager; to every active admin when the learner has no
  active manager (admins approve for them). Once per submission: a resubmission after a return
  is a new submission and tells them again; a replayed request writes nothing new.
- ``cpd_decided``: to the learner (approved, or returned with the comment). Once per submission.
"""

from __future__ import annotations

from django.dispatch import receiver

from assignments.cpd.models import ExternalLearning
from assignments.cpd.selectors import approver_ids
from assignments.cpd.signals import external_learning_decided, external_learning_submitted
from escalation.models import Notification
from escalation.outbox import Outgoing, enqueue_and_dispatch_soon


def _amounts(entry: ExternalLearning) -> dict:
    return {
        "hours": f"{entry.hours:.2f}" if entry.hours else "",
        "points": f"{entry.points:.2f}" if entry.points else "",
    }


@receiver(external_learning_submitted, dispatch_uid="escalation.cpd_submitted")
def on_external_learning_submitted(sender, entry: ExternalLearning, **kwargs) -> None:
    learner = entry.learner
    context = {
        "learner": learner.get_full_name(),
        "title": entry.title,
        "provider": entry.provider,
        "completed_on": entry.completed_on.isoformat(),
        **_amounts(entry),
        "resubmitted": entry.submission > 1,
        "entry_id": entry.pk,
        "submission": entry.submission,
        "reason": "external learning submitted for approval",
    }
    enqueue_and_dispatch_soon(
        [
            Outgoing(
                recipient_id=recipient,
                kind=Notification.Kind.CPD_SUBMITTED,
                dedupe_key=f"cpd_submitted:{entry.pk}:{entry.submission}:{recipient}",
                context=context,
            )
            # The rule that also refuses an entry nobody could decide (cpd selectors).
            for recipient in approver_ids(entry.learner)
        ]
    )


@receiver(external_learning_decided, dispatch_uid="escalation.cpd_decided")
def on_external_learning_decided(sender, entry: ExternalLearning, **kwargs) -> None:
    learner = entry.learner
    if not learner.is_active:
        return
    decider = entry.decided_by
    enqueue_and_dispatch_soon(
        [
            Outgoing(
                recipient_id=learner.pk,
                kind=Notification.Kind.CPD_DECIDED,
                dedupe_key=f"cpd_decided:{entry.pk}:{entry.submission}",
                context={
                    "learner": learner.get_full_name(),
                    "title": entry.title,
                    "provider": entry.provider,
                    "completed_on": entry.completed_on.isoformat(),
                    **_amounts(entry),
                    "approved": entry.status == ExternalLearning.Status.APPROVED,
                    "comment": entry.decision_comment,
                    "decided_by": decider.get_full_name() if decider else "",
                    "entry_id": entry.pk,
                    "submission": entry.submission,
                    "reason": f"external learning {entry.status}",
                },
            )
        ]
    )
