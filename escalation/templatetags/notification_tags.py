"""The reader's list of notifications: each one's detail line in the reader's language
(escalation.details)."""

from __future__ import annotations

from django import template

from escalation.details import notification_detail as detail_of

register = template.Library()


@register.filter
def notification_detail(notification) -> str:
    """The detail line of ``notification`` in the active language; "" when its row predates the
    values the line needs."""
    return detail_of(notification.kind, notification.context) or ""
