from __future__ import annotations

from django.contrib import admin

from reports.models import ComplianceSnapshot


@admin.register(ComplianceSnapshot)
class ComplianceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["day", "department", "course_code", "required", "compliant", "expiring", "overdue", "failed"]
    list_filter = ["day", "course_code"]
    date_hierarchy = "day"
