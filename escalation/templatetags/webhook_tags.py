from __future__ import annotations

from django import template

from escalation.webhooks.errors import delivery_error_text

register = template.Library()


@register.filter
def delivery_error(raw: str) -> str:
    """A delivery's stored error as a sentence (escalation.webhooks.errors)."""
    return delivery_error_text(raw or "")
