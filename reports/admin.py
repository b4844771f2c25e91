"""The stored figures behind the trend and the large dashboards: counted from the evidence each
night, read-only here so that no past figure can be edited by hand."""

from __future__ import annotations

from django.contrib import admin

from lms.admin import ReadOnlyAdminMixin
from reports.models import ComplianceSnapshot, TeamSnapshot


@admin.register(ComplianceSnapshot)
class ComplianceSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "department", "course_code", "required", "compliant", "expiring", "overdue", "failed"]
    list_filter = ["day", "course_code"]
    date_hierarchy = "day"


@admin.register(TeamSnapshot)
class TeamSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "manager", "course_code", "required", "compliant", "expiring", "overdue", "failed"]
    list_filter = ["day", "course_code"]
    list_select_related = ["manager"]
    raw_id_fields = ["manager"]
    date_hierarchy = "day"
