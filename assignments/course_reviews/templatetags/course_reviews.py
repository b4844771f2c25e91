"""The learner's "Course reviews" section of their training history (one query)."""

from __future__ import annotations

from django import template

from assignments.course_reviews import selectors

register = template.Library()


@register.inclusion_tag("course_reviews/_history_section.html")
def course_review_section(learner):
    return {"completions": list(selectors.learner_completions_with_reviews(learner=learner))}
