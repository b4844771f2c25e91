from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CourseTranslationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses.translations"
    label = "course_translations"
    verbose_name = _("Course translations")

    def ready(self) -> None:
        from courses.services.packages import register_package_part
        from courses.translations import registry
        from courses.translations.packages import TranslationsPart

        registry.register_course_kinds()
        registry.connect_save_guard()
        register_package_part(TranslationsPart())
