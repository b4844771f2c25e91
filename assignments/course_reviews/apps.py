from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CourseReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assignments.course_reviews"
    label = "course_reviews"
    verbose_name = _("Course reviews")
