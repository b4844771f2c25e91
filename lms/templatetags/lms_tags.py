from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.safestring import mark_safe

from lms.html import sanitise_html
from lms.scores import score_text

register = template.Library()


@register.filter
def score(value) -> str:
    """A score as shown everywhere: two decimals at most, cut, never rounded up (lms.scores)."""
    return score_text(value)


@register.filter
def day(value, fmt: str = "j F Y") -> str:
    """Format a date given as a date or an ISO string (as stored in notification context)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(value, "j F Y, H:i")
    return formats.date_format(value, fmt)


@register.filter
def safe_html(value) -> str:
    """Authored HTML (a module or cheat-sheet body) shown as HTML: reduced to the safe subset of
    lms.html again on the way out, so no template ever needs ``|safe``."""
    return mark_safe(sanitise_html(value))  # noqa: S308 - sanitised to the documented subset just above
