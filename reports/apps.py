from __future__ import annotations

import importlib

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        # Home-page sections (`reports/home.py`) and signal receivers (`reports/receivers.py`), when the app has them.
        for module in ("home", "receivers"):
            try:
                importlib.import_module(f"{self.name}.{module}")
            except ModuleNotFoundError as error:
                if error.name != f"{self.name}.{module}":
                    raise
