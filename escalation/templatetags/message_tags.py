"""Filters for the emails the dispatcher renders: labels stored as codes in a notification's
context, read in the language the email is rendered in (the recipient's), not the language of
whoever caused the row to be written."""

from __future__ import annotations

from django import template
from django.utils import translation

from assignments.models import Assignment

register = template.Library()


@register.filter
def archive_reason(code: str) -> str:
    """ "assigned in error" for ``assigned_in_error``, in the active language; an unknown code
    as it is."""
    try:
        label = str(Assignment.ArchiveReason(code).label)
    except ValueError:
        return code or ""
    # Lower case mid-sentence is an English rule; German nouns, for one, keep their capital.
    return label.lower() if (translation.get_language() or "").startswith("en") else label
