"""Django admin: views for support staff. Assignments, rules, completions and exemptions are
compliance evidence (lms.audit.EVIDENCE_MODELS): read-only here, changed only through the app's
own pages and services, which record every change in the audit trail."""

from __future__ import annotations

from django.contrib import admin

from assignments.models import Assignment, AssignmentRule, Completion, Exemption, ImportJob, ModuleProgress
from lms.admin import ReadOnlyAdminMixin


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["learner", "course_code", "due_date", "status", "source", "archived_at", "archived_reason"]
    list_filter = ["status", "source", "archived_reason", "course_code"]
    search_fields = ["learner__email", "learner__last_name", "course_code"]
    raw_id_fields = ["learner", "course", "rule", "assigned_by", "archived_by"]
    date_hierarchy = "assigned_at"


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "course", "department", "job_title", "due_mode", "due_days", "is_active"]
    list_filter = ["is_active", "due_mode"]
    raw_id_fields = ["course", "department", "created_by"]


@admin.register(Completion)
class CompletionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "certificate_number",
        "learner",
        "course_code",
        "course_version",
        "completed_at",
        "expires_on",
        "source",
    ]
    list_filter = ["source", "course_code"]
    search_fields = ["certificate_number", "learner__email"]


@admin.register(Exemption)
class ExemptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["learner", "course_code", "starts_on", "ends_on", "reason", "approved_by", "revoked_at"]
    list_filter = ["reason"]
    raw_id_fields = ["learner", "approved_by"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "kind", "status", "total", "processed", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "kind",
        "status",
        "filename",
        "total",
        "processed",
        "errors",
        "summary",
        "last_error",
        "created_by",
        "finished_at",
    ]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False


@admin.register(ModuleProgress)
class ModuleProgressAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Learner progress is written by the course player; here it is read-only."""

    list_display = ["assignment", "module", "completed_at", "tested_out"]
    list_select_related = ["assignment__learner", "module"]
