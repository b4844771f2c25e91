from __future__ import annotations

import datetime as dt

from django import template
from django.utils import translation
from django.utils.safestring import mark_safe

from lms.dates import day_text, moment_text
from lms.html import sanitise_html
from lms.languages import language_choices
from lms.scores import percent_text, score_text

register = template.Library()


@register.filter
def score(value) -> str:
    """A score as shown everywhere: two decimals at most, cut, never rounded up (lms.scores)."""
    return score_text(value)


@register.filter
def percent(value) -> str:
    """A score or percentage with its sign: '79.59%', '80%' (lms.scores.percent_text)."""
    return percent_text(value)


@register.filter
def day(value) -> str:
    """The one way a template shows a date: a date (or an ISO string, as stored in notification
    context) in the language's DATE_FORMAT, a datetime in its DATETIME_FORMAT in the current time
    zone (lms.dates.day_text / moment_text, formats in lms/formats)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return moment_text(value)
    return day_text(value)


@register.filter
def safe_html(value) -> str:
    """Authored HTML (a module or cheat-sheet body) shown as HTML: reduced to the safe subset of
    lms.html again on the way out, so no template ever needs ``|safe``."""
    return mark_safe(sanitise_html(value))  # noqa: S308 - sanitised to the documented subset just above


@register.inclusion_tag("includes/language_switcher.html")
def language_switcher(id_prefix: str = "language", button_class: str = "btn-outline-light") -> dict:
    """The language switcher form (``lms.views.language_set``): each language in its own name,
    the current one chosen; after the change the person comes back to the page they were on
    (set_language follows the Referer, sent to the same origin)."""
    return {
        "languages": language_choices(),
        "current": translation.get_language(),
        "id_prefix": id_prefix,
        "button_class": button_class,
    }
