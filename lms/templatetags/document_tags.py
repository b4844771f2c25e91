"""Filters for the documents rendered to PDF (WeasyPrint)."""

from __future__ import annotations

from django import template

register = template.Library()

_PLAIN = frozenset(" .,:;·-_/()+#@")


@register.filter
def css_string(value) -> str:
    """``value`` safe inside a double-quoted CSS string (a page margin box's ``content``): letters
    and digits of any script and plain punctuation as they are, anything else (a quote, a
    backslash, a line break, ``<``) as a CSS escape. Not ``escapejs``: CSS reads its ``\\u002D``
    as the letters "u002D"."""
    return "".join(ch if ch.isalnum() or ch in _PLAIN else f"\\{ord(ch):x} " for ch in str(value))
