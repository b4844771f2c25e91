from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoostersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assignments.boosters"
    label = "boosters"
    verbose_name = _("Booster programmes")

    def ready(self):
        from assignments.boosters import home  # noqa: F401  (the learner's home card)
        from assignments.boosters.translations import register_booster_kinds

        register_booster_kinds()
