"""``{% load recognition_tags %}``: why a badge was awarded, in the active language."""

from __future__ import annotations

from django import template

from escalation.recognition.rules import reason_text

register = template.Library()


@register.filter
def award_reason(award) -> str:
    """An ``Award`` (its badge's rule), or a ``badge_earned`` message item (a dict with ``criteria``,
    ``course_code`` and ``streak``; messages queued before these keys read their stored ``reason``)."""
    if isinstance(award, dict):
        if "criteria" not in award:
            return award.get("reason", "")
        return reason_text(award["criteria"], award.get("course_code", ""), award.get("streak"))
    badge = award.badge
    return reason_text(badge.criteria, badge.course_code, badge.streak)
