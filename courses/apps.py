from __future__ import annotations

import importlib

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"

    def ready(self):
        # Home-page sections (`courses/home.py`) and signal receivers (`courses/receivers.py`), when the app has them.
        for module in ("home", "receivers"):
            try:
                importlib.import_module(f"{self.name}.{module}")
            except ModuleNotFoundError as error:
                if error.name != f"{self.name}.{module}":
                    raise
