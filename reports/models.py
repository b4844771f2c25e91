"""Stored report data: the daily compliance snapshot that the trend chart reads, and the daily
counts of the large reporting chains that their managers' dashboards read.

Everything else in the reports is derived on the fly from assignments, completions and
exemptions; the snapshot exists because the past state of a whole organisation for every day of a
year is cheap to keep and expensive to rebuild, and the team snapshot because counting 100,000
assignments on each visit of a director's dashboard takes about a second.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import Department


class ComplianceSnapshot(models.Model):
    """The counts in each compliance state for one department and one course code on one day,
    written once per day by ``run_compliance_snapshot`` (a second run for the same day adds nothing)."""

    day = models.DateField(_("day"))
    # PROTECT: a snapshot is history; a department with snapshots is renamed or left empty, not deleted.
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    course_code = models.CharField(_("course code"), max_length=40)
    required = models.PositiveIntegerField(_("required"), default=0)
    compliant = models.PositiveIntegerField(_("compliant"), default=0)
    expiring = models.PositiveIntegerField(_("expiring"), default=0)
    expired = models.PositiveIntegerField(_("expired"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    overdue = models.PositiveIntegerField(_("overdue"), default=0)
    due = models.PositiveIntegerField(_("due"), default=0)
    exempt = models.PositiveIntegerField(_("exempt"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "course_code", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "department", "course_code"],
                name="snapshot_one_per_day_department_course",
                violation_error_message=_("The figures for this day, department and course are already stored."),
            ),
            # NULL departments are distinct in a plain unique constraint: people without a department get their own.
            models.UniqueConstraint(
                fields=["day", "course_code"],
                condition=Q(department__isnull=True),
                name="snapshot_one_per_day_course_no_department",
                violation_error_message=_("The figures for this day and course are already stored."),
            ),
        ]
        indexes = [models.Index(fields=["day"], name="snapshot_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} · {self.department_id or '-'} · {self.course_code}"


class TeamSnapshot(models.Model):
    """The counts in each compliance state for everyone below one manager (any depth) and one course
    code on one day, written once per day by ``run_compliance_snapshot`` for the managers with at
    least ``TEAM_SNAPSHOT_MIN_PEOPLE`` people below.

    Their team dashboard ("everyone below me") reads it instead of working out the state of ~10
    assignments per person on every visit (a director with 10,000 people below: 100,000 assignments,
    about a second live); the page says when the counts were taken and offers to count again now."""

    day = models.DateField(_("day"))
    # CASCADE: derived figures, not evidence; they go with the person they were counted for.
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("manager")
    )
    course_code = models.CharField(_("course code"), max_length=40)
    required = models.PositiveIntegerField(_("required"), default=0)
    compliant = models.PositiveIntegerField(_("compliant"), default=0)
    expiring = models.PositiveIntegerField(_("expiring"), default=0)
    expired = models.PositiveIntegerField(_("expired"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    overdue = models.PositiveIntegerField(_("overdue"), default=0)
    due = models.PositiveIntegerField(_("due"), default=0)
    exempt = models.PositiveIntegerField(_("exempt"), default=0)
    # Valid certificates (compliant or in the renewal window) expiring within 30, 60 and 90 days.
    expiring_30 = models.PositiveIntegerField(_("expiring within 30 days"), default=0)
    expiring_60 = models.PositiveIntegerField(_("expiring within 60 days"), default=0)
    expiring_90 = models.PositiveIntegerField(_("expiring within 90 days"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "manager", "course_code"]
        constraints = [
            # Also the index of the dashboard's read: one manager's rows of one day.
            models.UniqueConstraint(
                fields=["day", "manager", "course_code"],
                name="team_snapshot_one_per_day_course",
                violation_error_message=_("The team figures for this day, manager and course are already stored."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} · {self.manager_id} · {self.course_code}"
