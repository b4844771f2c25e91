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
