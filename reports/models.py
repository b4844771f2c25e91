"""Stored report data: the daily compliance snapshot that the trend chart reads.

Everything else in the reports is derived on the fly from assignments, completions and
exemptions; the snapshot exists because the past state of a whole organisation for every day of a
year is cheap to keep and expensive to rebuild.
"""

from __future__ import annotations

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
            ),
            # NULL departments are distinct in a plain unique constraint: people without a department get their own.
            models.UniqueConstraint(
                fields=["day", "course_code"],
                condition=Q(department__isnull=True),
                name="snapshot_one_per_day_course_no_department",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="snapshot_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} · {self.department_id or '-'} · {self.course_code}"
