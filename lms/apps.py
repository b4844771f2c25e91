from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms"
    verbose_name = _("People and organisation")

    def ready(self):
        from lms import home  # noqa: F401  (registers the home sections)
