from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_deadline_trigger(sender, using, **kwargs):
    from django.db import connections

    from assignments.deadlines import ensure_deadline_trigger

    ensure_deadline_trigger(connections[using])


class AssignmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assignments"

    def ready(self):
        # SQLite drops triggers when a migration rebuilds a table: put the deadline trigger back.
        post_migrate.connect(_ensure_deadline_trigger, sender=self, dispatch_uid="assignments_deadline_trigger")
        from assignments import home, person_tabs, receivers, usage  # noqa: F401  (home sections, person tab, receivers)

        usage.register()
        from lms.audit_display import register_link

        register_link("assignments.assignmentrule", "assignments:rule_edit")  # in the audit trail
