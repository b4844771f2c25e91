from __future__ import annotations

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"

    def ready(self):
        from lms.audit_display import register_link

        register_link("courses.course", "authoring_course_detail")  # the course's rules in the audit trail
