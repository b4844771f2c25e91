"""Admin writes: escalation policies (with their ladder) and review sessions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from escalation.models import EscalationPolicy, ReviewSession

POLICY_FIELDS = [
    "name",
    "course_code",
    "reminder_days",
    "notify_learner_on_fail",
    "notify_manager_on_fail",
    "notify_manager_on_exhausted",
    "book_review_session",
    "attempts_after_review",
    "retake_deadline_days",
    "compliance_officer",
    "clean_slate_month",
    "clean_slate_day",
    "clean_slate_due_days",
]
STEP_FIELDS = [
    "days_overdue",
    "notify_learner",
    "notify_manager",
    "notify_managers_manager",
    "notify_compliance_officer",
    "warning_letter",
    "new_deadline_days",
]


def _ladder(policy_pk: int | None) -> list[dict]:
    from escalation.models import EscalationStep

    if policy_pk is None:
        return []
    return list(EscalationStep.objects.filter(policy_id=policy_pk).order_by("days_overdue", "pk").values(*STEP_FIELDS))


@transaction.atomic
def policy_save(*, form, steps, actor=None) -> EscalationPolicy:
    """Save a policy and its ladder together: both valid, or nothing changes. One audit entry
    records the changed fields and the ladder before and after."""
    from lms.audit import audit_record, diff, label_of, snapshot
    from lms.models import AuditEntry

    creating = form.instance.pk is None
    # The saved values come from the database: a bound ModelForm has already changed its instance.
    saved = None if creating else EscalationPolicy.objects.get(pk=form.instance.pk)
    before = snapshot(saved, POLICY_FIELDS) if saved is not None else {}
    ladder_before = _ladder(None if creating else saved.pk)
    policy = form.save()
    steps.instance = policy
    try:
        with transaction.atomic():
            steps.save()
    except IntegrityError:
        # A step on a day the ladder already has, from a stale page (another admin saved a step
        # on that day since) or an altered one: the unique constraint is the backstop.
        raise ValidationError(
            _("Two steps of the ladder fire on the same day overdue; reload the page to see the saved ladder.")
        )
    changes = diff(before, snapshot(policy, POLICY_FIELDS))
    ladder_after = _ladder(policy.pk)
    if ladder_after != ladder_before:
        changes["ladder"] = [ladder_before, ladder_after]
    if creating or changes:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE if creating else AuditEntry.Action.CHANGE,
            obj_label=label_of(EscalationPolicy),
            obj_id=policy.pk,
            changes=changes,
        )
    return policy


@transaction.atomic
def review_session_save(*, form) -> ReviewSession:
    session = form.save(commit=False)
    session.full_clean()
    session.save()
    return session


DEFAULT_LADDER = [
    # days overdue (1 = the first day after the deadline), learner, manager, manager's manager,
    # compliance officer, warning letter. No step tells the compliance officer: a fresh install
    # names none, and the policy form refuses such a step until one is chosen.
    (1, True, True, False, False, False),
    (7, True, True, True, False, False),
    (14, True, True, True, False, True),
]


@transaction.atomic
def policy_ensure_default() -> EscalationPolicy:
    """The global default policy (also seeded by a data migration), created if missing."""
    from escalation.models import EscalationStep

    policy, created = EscalationPolicy.objects.get_or_create(
        course_code="", defaults={"name": "Default policy", "reminder_days": [14, 7, 1]}
    )
    if created:
        for days, learner, manager, grand, officer, letter in DEFAULT_LADDER:
            EscalationStep.objects.create(
                policy=policy,
                days_overdue=days,
                notify_learner=learner,
                notify_manager=manager,
                notify_managers_manager=grand,
                notify_compliance_officer=officer,
                warning_letter=letter,
            )
    return policy
