"""The learner's "My training" section of the home page: active assignments, then every completion."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lms import home


@home.register(order=0, role="learner")
def my_training_section(request):
    from assignments.selectors.learner import (
        attach_final_outcomes,
        learner_active_assignments,
        learner_completion_history,
        learner_today,
    )
    from assignments.selectors.player import LANGUAGE_SESSION_KEY, content_languages
    from courses.translations.selectors import overlay_courses

    today = learner_today(request.user)
    assignments = attach_final_outcomes(list(learner_active_assignments(learner=request.user, today=today)))
    history = list(learner_completion_history(learner=request.user, today=today))
    # Each card names its course in the language the learner takes it in (what the course page
    # shows); each completion in the language its attempt was taken in (what its certificate says).
    languages = content_languages(
        assignments=assignments, locale=request.user.locale, chosen=request.session.get(LANGUAGE_SESSION_KEY, {})
    )
    overlay_courses(
        [(assignment.course, languages[assignment.pk]) for assignment in assignments]
        + [(completion.course, completion.attempt_language) for completion in history]
    )
    return {
        "title": _("My training"),
        "template": "assignments/player/home_section.html",
        "context": {"assignments": assignments, "history": history, "today": today},
    }
