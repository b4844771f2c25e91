from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from escalation.nightly import register_workflow
        from lms.audit_display import register_link
        from reports import home, person_tabs, retention  # noqa: F401  (home sections, person tabs, team panel)
        from reports.services import run_compliance_snapshot

        # Tonight's counts are stored after every workflow that changes them and before sending.
        register_workflow(
            "compliance_snapshot", run_compliance_snapshot, before="dispatch", label=_("Compliance snapshot")
        )
        register_link("assignments.completion", "certificate_download")  # a completion in the audit trail
