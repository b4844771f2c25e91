from __future__ import annotations

import importlib

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
        # Home-page sections (`assignments/home.py`) and signal receivers (`assignments/receivers.py`), when the app has them.
        for module in ("home", "receivers"):
            try:
                importlib.import_module(f"{self.name}.{module}")
            except ModuleNotFoundError as error:
                if error.name != f"{self.name}.{module}":
                    raise
