from __future__ import annotations

from django import template

from reports.selectors import STATES, ReportState

register = template.Library()


@register.filter
def state_label(value: str) -> str:
    return ReportState(value).label if value in STATES else value


@register.simple_tag
def state_choices():
    return [(s, ReportState(s).label) for s in STATES]
