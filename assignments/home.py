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
    from assignments.selectors.player import LANGUAGE_SESSION_KEY, name_courses_in_learner_languages

    today = learner_today(request.user)
    assignments = attach_final_outcomes(list(learner_active_assignments(learner=request.user, today=today)))
    history = list(learner_completion_history(learner=request.user, today=today))
    name_courses_in_learner_languages(
        assignments=assignments,
        completions=history,
        locale=request.user.locale,
        chosen=request.session.get(LANGUAGE_SESSION_KEY, {}),
    )
    return {
        "title": _("My training"),
        "template": "assignments/player/home_section.html",
        "context": {"assignments": assignments, "history": history, "today": today},
    }
