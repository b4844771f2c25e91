"""Filters for the emails the dispatcher renders: labels stored as codes in a notification's
context, read in the language the email is rendered in (the recipient's), not the language of
whoever caused the row to be written."""

from __future__ import annotations

from django import template

from escalation.details import archive_reason_text

register = template.Library()


@register.filter
def archive_reason(code: str) -> str:
    """ "assigned in error" for ``assigned_in_error``, in the active language; an unknown code
    as it is (escalation.details.archive_reason_text)."""
    return archive_reason_text(code)
