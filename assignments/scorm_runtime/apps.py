from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScormRuntimeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assignments.scorm_runtime"
    label = "scorm_runtime"
    verbose_name = _("SCORM run-time data")
