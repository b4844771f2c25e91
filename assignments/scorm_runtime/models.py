"""A learner's SCORM run-time state: one row per assignment, launchable item and run.

A run is one go at the whole package. The first run is number 1; when a run of a package that grades
its course ends in a failed Attempt, the next launch starts run 2 from scratch (``cmi.entry`` =
``ab-initio``), so a retake never resumes a failed try. The Attempt a finished run produced is kept
on its rows (``attempt``): a commit replayed for a closed run changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel


class ScormState(TimeStampedModel):
    class Completion(models.TextChoices):
        NOT_ATTEMPTED = "not attempted", _("Not attempted")
        INCOMPLETE = "incomplete", _("Incomplete")
        COMPLETED = "completed", _("Completed")
        UNKNOWN = "unknown", _("Unknown")

    class Success(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    # Evidence of the learner's work: neither the assignment nor the item goes while it exists.
    assignment = models.ForeignKey("assignments.Assignment", on_delete=models.PROTECT, related_name="scorm_states")
    item = models.ForeignKey("scorm.ScormItem", on_delete=models.PROTECT, related_name="states")
    run = models.PositiveSmallIntegerField(_("run"), default=1)
    # The writable elements as the content last committed them ({"cmi.core.lesson_location": ...}).
    cmi = models.JSONField(default=dict, blank=True)
    location = models.CharField(_("location"), max_length=1000, blank=True)
    suspend_data = models.TextField(_("suspend data"), blank=True)
    exit = models.CharField(_("exit"), max_length=12, blank=True)
    completion = models.CharField(
        _("completion"), max_length=14, choices=Completion.choices, default=Completion.NOT_ATTEMPTED
    )
    success = models.CharField(_("success"), max_length=8, choices=Success.choices, default=Success.UNKNOWN)
    # The score as a percentage (1.2's raw against min/max, 2004's scaled x 100); None when not reported.
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    # Seconds per browser session ({session id: seconds}): a replayed commit replaces its own
    # session's time instead of adding it again.
    session_seconds = models.JSONField(default=dict, blank=True)
    total_seconds = models.DecimalField(_("total time (s)"), max_digits=12, decimal_places=2, default=Decimal("0"))
    committed_at = models.DateTimeField(_("last commit"), null=True, blank=True)
    # The newest commit of the latest browser session: an older one arriving late (two requests
    # crossing on a slow network, a keep-alive request on leaving) does not undo a newer one.
    last_session = models.CharField(max_length=36, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    attempt = models.ForeignKey(
        "assignments.Attempt", null=True, blank=True, on_delete=models.PROTECT, related_name="scorm_states"
    )

    class Meta:
        ordering = ["assignment", "run", "item"]
        verbose_name = _("SCORM run-time state")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "item", "run"],
                name="scorm_state_one_per_item_and_run",
                violation_error_message=_("This run of this item already has its state."),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="scorm_state_score_0_100",
                violation_error_message=_("A score must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(total_seconds__gte=0),
                name="scorm_state_total_time_positive",
                violation_error_message=_("The time spent in a package cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(run__gte=1),
                name="scorm_state_run_from_1",
                violation_error_message=_("Tries of a package are numbered from 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} run {self.run} for assignment {self.assignment_id}"

    @property
    def is_done(self) -> bool:
        return self.completion == self.Completion.COMPLETED or self.success != self.Success.UNKNOWN


class ScormInteraction(TimeStampedModel):
    """One question the content reported (cmi.interactions), the latest answer per identifier."""

    state = models.ForeignKey(ScormState, on_delete=models.CASCADE, related_name="interactions")
    identifier = models.CharField(_("identifier"), max_length=1000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=16, blank=True)
    description = models.CharField(_("description"), max_length=250, blank=True)
    learner_response = models.TextField(_("learner response"), blank=True)
    result = models.CharField(_("result"), max_length=40, blank=True)
    # True for "correct", False for "wrong"/"incorrect"; None for neutral, unanticipated or a number.
    is_correct = models.BooleanField(_("correct"), null=True)
    weighting = models.CharField(_("weighting"), max_length=40, blank=True)
    latency = models.CharField(_("latency"), max_length=32, blank=True)
    timestamp = models.CharField(_("time"), max_length=32, blank=True)

    class Meta:
        ordering = ["state", "position", "pk"]
        verbose_name = _("SCORM interaction")
        constraints = [
            models.UniqueConstraint(
                fields=["state", "identifier"],
                name="scorm_interaction_one_per_identifier",
                violation_error_message=_("This interaction is already recorded for this run."),
            ),
        ]

    def __str__(self) -> str:
        return self.identifier[:80]
