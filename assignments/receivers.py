"""Org-chart events: new and moved people pick up their assignment rules; leavers' assignments are
archived, and a leaver who comes back gets their rule-based training back.

Both run inside the transaction that changed the user (``lms.signals`` are sent there)."""

from __future__ import annotations

from django.dispatch import receiver

from assignments.models import Assignment
from assignments.services.archive import learner_archive_all
from assignments.services.rules import rules_sync_for_users
from lms.signals import user_deactivated, user_org_changed, user_reactivated

# Only these fields decide which rules cover a person.
RULE_FIELDS = {"department", "job_title"}


@receiver(user_org_changed, dispatch_uid="assignments.rules_for_changed_user")
def apply_rules_to_changed_user(sender, user, created: bool, changed_fields: set[str], **kwargs) -> None:
    if created or set(changed_fields) & RULE_FIELDS:
        rules_sync_for_users(user_ids=[user.pk])


@receiver(user_deactivated, dispatch_uid="assignments.archive_leaver")
def archive_leavers_assignments(sender, user, actor=None, reason: str = "left", **kwargs) -> None:
    learner_archive_all(learner=user, reason=Assignment.ArchiveReason.LEFT, actor=actor)


@receiver(user_reactivated, dispatch_uid="assignments.rules_for_returning_user")
def give_back_rule_training(sender, user, actor=None, **kwargs) -> None:
    # The sync restores the assignment archived when they left (its due date moved by the time
    # away), or assigns the course afresh when there is nothing to restore.
    rules_sync_for_users(user_ids=[user.pk])
