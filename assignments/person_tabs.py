"""The "Manage training" tab of the person page (``lms.person_page``), for admins: every
assignment with its actions (archive, re-send, re-assign where it can succeed, case file), the
completions and the exemptions, with links to assign and to grant an exemption."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from assignments.selectors.lifecycle import learner_history
from lms import person_page


@person_page.register(key="training", label=_("Manage training"), order=20, admin_only=True)
def training_tab(request, person) -> dict:
    return {
        "template": "assignments/_training_tab.html",
        "context": {**learner_history(learner=person), "admin_view": True},
    }
