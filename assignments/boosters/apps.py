from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoostersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assignments.boosters"
    label = "boosters"
    verbose_name = _("Booster programmes")
