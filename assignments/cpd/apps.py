from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CpdConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assignments.cpd"
    label = "cpd"
    verbose_name = _("CPD records")

    def ready(self):
        # The person page's CPD tab and the learner's home section (lms registries).
        from assignments.cpd import home, person_tabs  # noqa: F401
        from assignments.cpd.selectors import approvals_badge
        from lms.audit_display import register_link
        from lms.navigation import register_badge

        register_badge("cpd:approvals", approvals_badge)
        register_link("cpd.externallearning", "cpd:entry")
