"""The learner's "Course reviews" section of their training history (one query, and one for the
titles of courses taken in another language)."""

from __future__ import annotations

from django import template

from assignments.course_reviews import selectors

register = template.Library()


@register.inclusion_tag("course_reviews/_history_section.html")
def course_review_section(learner):
    from courses.translations.selectors import overlay_courses

    completions = list(selectors.learner_completions_with_reviews(learner=learner))
    # Each course named in the language its attempt was taken in, as the history above names it.
    overlay_courses([(completion.course, completion.attempt_language) for completion in completions])
    return {"completions": completions}
