"""The app config of the suite's identity providers (lms.settings_test): django-oauth-toolkit's
models stay out of the Django admin, which lists only the site's own records
(lms/tests/test_admin_evidence.py classifies every model it shows)."""

from __future__ import annotations

from django.apps import AppConfig


class TestIdentityProvidersConfig(AppConfig):
    name = "lms.tests"
    label = "lms_test_identity_providers"
    verbose_name = "Test identity providers"

    def ready(self):
        from django.contrib import admin

        for model in list(admin.site._registry):
            if model._meta.app_label == "oauth2_provider":
                admin.site.unregister(model)
