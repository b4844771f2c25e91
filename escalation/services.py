"""Admin writes: escalation policies (with their ladder) and review sessions."""

from __future__ import annotations

from django.db import transaction

from escalation.models import EscalationPolicy, ReviewSession


@transaction.atomic
def policy_save(*, form, steps) -> EscalationPolicy:
    """Save a policy and its ladder together: both valid, or nothing changes."""
    policy = form.save()
    steps.instance = policy
    steps.save()
    return policy


@transaction.atomic
def review_session_save(*, form) -> ReviewSession:
    session = form.save(commit=False)
    session.full_clean()
    session.save()
    return session


DEFAULT_LADDER = [
    # days overdue, learner, manager, manager's manager, compliance officer, warning letter
    (0, True, True, False, False, False),
    (7, True, True, True, False, False),
    (14, True, True, True, True, True),
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
