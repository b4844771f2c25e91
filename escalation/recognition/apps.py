from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "escalation.recognition"
    label = "recognition"
    verbose_name = _("Recognition")

    def ready(self):
        # The completion receiver, the home section, the person-page tab and the audit links.
        from escalation.recognition import pages, receivers  # noqa: F401

        pages.register()
