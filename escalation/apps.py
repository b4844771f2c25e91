from __future__ import annotations

from django.apps import AppConfig


class EscalationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "escalation"

    def ready(self):
        # Signal receivers and the registries they fill; the tasks, so that the outbox can ask for
        # the dispatcher by its task name in any process, not only in a worker that autodiscovered it.
        # cpd_notices: the CPD submission and decision messages (issue 17).
        from escalation import cpd_notices, receivers, tasks  # noqa: F401
        from escalation.navigation import unread_badge
        from lms.navigation import register_badge

        register_badge("escalation:notifications", unread_badge)
        from escalation import audit

        audit.register()
