from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScormConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses.scorm"
    label = "scorm"
    verbose_name = _("SCORM packages")

    def ready(self) -> None:
        from courses.scorm import receivers  # noqa: F401 (connects the file clean-up on delete)
        from courses.scorm.course_packages import ScormModulePart
        from courses.services.packages import register_module_part

        register_module_part(ScormModulePart())
