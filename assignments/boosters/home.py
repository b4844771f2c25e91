"""The learner's home page card of open booster questions (answered in place)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lms import home


@home.register(order=5, role="learner")
def booster_section(request):
    from assignments.boosters.selectors import learner_open_boosters

    boosters = learner_open_boosters(learner=request.user)
    if not boosters:
        return None
    return {
        "title": _("Booster questions"),
        "template": "boosters/home_section.html",
        "context": {"boosters": boosters},
    }
