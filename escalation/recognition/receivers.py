"""A completion awards its course's badges at once (the nightly run catches up anything missed,
such as imported history). The signal is sent after the completion commits
(assignments.signals), so this opens its own transaction."""

from __future__ import annotations

from django.dispatch import receiver

from assignments.signals import course_completed
from escalation.outbox import dispatch_soon
from escalation.recognition import rules
from escalation.recognition.models import Badge
from escalation.recognition.services import awards_grant


@receiver(course_completed, dispatch_uid="recognition.course_completed")
def on_course_completed(sender, completion, **kwargs):
    earned = []
    for badge in Badge.objects.filter(
        is_active=True, criteria=Badge.Rule.COURSE_PASSED, course_code=completion.course_code
    ):
        earned.extend(rules.course_passed(badge, learner_ids=[completion.learner_id]))
    if earned and awards_grant(earned=earned):
        dispatch_soon()
