"""CPD (continuing professional development) records.

A person's CPD record for a year is made of two kinds of item:

- every ``assignments.Completion`` in the year: the course's CPD points, copied onto the completion
  when it is recorded (``Completion.cpd_points``), and the course's estimated hours (its modules'
  estimated minutes);
- every ``ExternalLearning`` entry in the year that their manager (or an admin) approved.

External learning goes through a small state machine, each step one conditional UPDATE in the
services (``assignments.cpd.services``) so that a double submit or a double approval changes
nothing the second time::

    pending --approve--> approved
    pending --return---> returned --resubmit--> pending

The states and what each needs (a decision has a decider and a time; a return has a comment; a
pending entry has neither) are database constraints, so no code path can leave a half-decided row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel


class ExternalLearning(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")

    # PROTECT: the record is evidence of a person's CPD; people are deactivated, never deleted.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_learning", verbose_name=_("learner")
    )
    title = models.CharField(_("title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200)
    completed_on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2, null=True, blank=True)
    points = models.DecimalField(_("CPD points"), max_digits=6, decimal_places=2, null=True, blank=True)
    # The evidence file in Django's default storage under a random name (never the name the
    # browser sent, which is kept for display only); served by the evidence view alone.
    evidence = models.FileField(_("evidence"), upload_to="cpd/evidence/", blank=True, max_length=200)
    evidence_name = models.CharField(_("evidence file name"), max_length=120, blank=True)
    evidence_type = models.CharField(_("evidence type"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Counts the learner's submissions: a decision names the submission it was made on, so a
    # manager never approves a version they did not see.
    submission = models.PositiveIntegerField(_("submission"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-completed_on", "-pk"]
        verbose_name = _("external learning")
        verbose_name_plural = _("external learning")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "returned", "approved"]),
                name="cpd_external_status_known",
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(decided_at=None) & Q(decided_by=None))
                | (~Q(status="pending") & Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="cpd_external_decision_complete",
                violation_error_message=_("A decision needs who made it and when; a waiting entry has none."),
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(decision_comment=""),
                name="cpd_external_return_has_comment",
                violation_error_message=_("Say why the entry is returned."),
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=F("learner")),
                name="cpd_external_not_self_decided",
                violation_error_message=_("Nobody approves their own external learning."),
            ),
            models.CheckConstraint(
                condition=(Q(hours__isnull=True) | Q(hours__gte=0)) & (Q(points__isnull=True) | Q(points__gte=0)),
                name="cpd_external_amounts_not_negative",
                violation_error_message=_("Hours and points cannot be negative."),
            ),
            models.CheckConstraint(
                # IS NOT NULL spelled out: a CHECK passes when it is NULL, and "NULL > 0" is NULL.
                condition=Q(hours__isnull=False, hours__gt=0) | Q(points__isnull=False, points__gt=0),
                name="cpd_external_hours_or_points",
                violation_error_message=_("Give the hours or the CPD points (or both)."),
            ),
            models.CheckConstraint(
                condition=Q(submission__gte=1),
                name="cpd_external_submission_positive",
                violation_error_message=_("Submissions are counted from 1."),
            ),
        ]
        indexes = [
            # The record: one learner's entries by date.
            models.Index(fields=["learner", "completed_on"], name="cpd_external_learner_idx"),
            # The approvals list and its count in the navigation: entries waiting, by learner.
            models.Index(fields=["learner"], condition=Q(status="pending"), name="cpd_external_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.learner})"

    @property
    def amount_points(self) -> Decimal:
        return self.points or Decimal("0")

    @property
    def amount_hours(self) -> Decimal:
        return self.hours or Decimal("0")


class CpdTarget(TimeStampedModel):
    """The CPD points a person with this job title should earn in each CPD year. Job titles match
    without regard to case or surrounding spaces ("Nurse" is " nurse")."""

    job_title = models.CharField(_("job title"), max_length=150)
    points = models.DecimalField(_("CPD points a year"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["job_title"]
        verbose_name = _("CPD target")
        constraints = [
            models.UniqueConstraint(
                Lower("job_title"),
                name="cpd_target_job_title_unique_ci",
                violation_error_message=_("This job title already has a target."),
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0),
                name="cpd_target_points_positive",
                violation_error_message=_("A target must be more than 0 points."),
            ),
            models.CheckConstraint(
                condition=~Q(job_title=""),
                name="cpd_target_job_title_not_empty",
                violation_error_message=_("Give a job title."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_title}: {self.points}"
