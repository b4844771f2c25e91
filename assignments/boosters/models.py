"""Booster programmes: after a learner completes a course, short questions on a spacing schedule.

- BoosterProgramme: one per course code (the course's versions share it), active or not, with the
  spacing schedule (days after the completion, e.g. [2, 7, 21, 60]) and the retention threshold (%)
  below which a learner can be offered a refresher (read by the retention reports).
- BoosterQuestion / BoosterChoice: the questions of a programme. A question picked from the course's
  quiz is copied (text, choices, feedback) and keeps a reference to the quiz question
  (``source_question``) for item analysis; editing the quiz later does not change what learners
  were asked. Single choice: exactly one choice is right (checked by the authoring form).
- BoosterDelivery: one step of one learner's programme for one completion. The nightly run
  (``escalation.workflows.boosters``) creates the next step's row as *pending* with its due date
  (the learner's local day) and claims it on that day: it picks the question, marks it *queued*
  and writes the email to the outbox in the same transaction. Unique per completion and step, so
  each step is queued at most once whatever runs twice; the answer is recorded on the same row
  once (``answered_at`` set only where it is still empty).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel

DEFAULT_SCHEDULE = [2, 7, 21, 60]


def default_schedule() -> list[int]:
    return list(DEFAULT_SCHEDULE)


class BoosterProgramme(TimeStampedModel):
    # PROTECT: a programme with answers is evidence of retention; courses are retired, not deleted.
    # The course is the version whose quiz questions the author picks from; completions of any
    # version of the course code get the programme.
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="booster_programmes", verbose_name=_("course")
    )
    course_code = models.CharField(_("course code"), max_length=40, editable=False)
    is_active = models.BooleanField(
        _("active"), default=False, help_text=_("Only an active programme sends questions.")
    )
    # Days after the completion (the learner's local day) on which each step is due, increasing.
    schedule_days = models.JSONField(_("spacing schedule (days after completion)"), default=default_schedule)
    retention_threshold = models.PositiveSmallIntegerField(
        _("retention threshold (%)"),
        default=60,
        help_text=_("A learner who answers fewer than this share right can be offered a refresher."),
    )
    activated_at = models.DateTimeField(_("last activated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["course_code"]
        verbose_name = _("booster programme")
        constraints = [
            models.UniqueConstraint(
                fields=["course_code"],
                name="booster_programme_one_per_course",
                violation_error_message=_("This course already has a booster programme."),
            ),
            models.CheckConstraint(
                condition=Q(retention_threshold__lte=100),
                name="booster_programme_threshold_0_100",
                violation_error_message=_("The retention threshold must be between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return _("Boosters for %(course)s") % {"course": self.course_code}

    def save(self, *args, **kwargs):
        if self.course_id and not self.course_code:
            self.course_code = self.course.code
        super().save(*args, **kwargs)


class BoosterQuestion(TimeStampedModel):
    programme = models.ForeignKey(BoosterProgramme, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    # The quiz question this one was copied from, if any (item analysis); SET_NULL: the copy stands
    # on its own when the quiz question goes.
    source_question = models.ForeignKey(
        "courses.Question",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="booster_copies",
        verbose_name=_("from quiz question"),
    )
    text = models.TextField(_("question"))
    feedback = models.TextField(_("feedback"), blank=True, help_text=_("Shown after any answer."))
    good_application = models.TextField(
        _("what good application looks like"), blank=True, help_text=_("An example of applying this at work.")
    )
    resource_title = models.CharField(_("resource title"), max_length=200, blank=True)
    resource_url = models.URLField(_("resource link"), blank=True)
    # A retired question is no longer sent; its answers stay.
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["programme", "order", "pk"]
        verbose_name = _("booster question")

    def __str__(self) -> str:
        return self.text[:80]


class BoosterChoice(TimeStampedModel):
    question = models.ForeignKey(BoosterQuestion, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.CharField(_("answer"), max_length=500)
    is_correct = models.BooleanField(_("right answer"), default=False)
    feedback = models.TextField(_("feedback for this answer"), blank=True)

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("booster answer")

    def __str__(self) -> str:
        return self.text[:80]


class BoosterDelivery(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for its day")
        QUEUED = "queued", _("Sent")
        SKIPPED = "skipped", _("Not sent")

    class SkipReason(models.TextChoices):
        LEFT = "left", _("The learner left")
        EXEMPT = "exempt", _("The learner was exempt that day")
        ARCHIVED = "archived", _("The assignment was archived")
        LATE = "late", _("Its day passed while the programme was paused")
        NO_QUESTION = "no_question", _("The programme had no question in use")

    class AnsweredVia(models.TextChoices):
        EMAIL = "email", _("Email link")
        HOME = "home", _("Home page")

    programme = models.ForeignKey(BoosterProgramme, on_delete=models.PROTECT, related_name="deliveries")
    # PROTECT: completions are permanent; db_index off, the unique (completion, step) leads with it.
    completion = models.ForeignKey(
        "assignments.Completion", on_delete=models.PROTECT, related_name="booster_deliveries", db_index=False
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booster_deliveries", verbose_name=_("learner")
    )
    step = models.PositiveSmallIntegerField(_("step"))
    # Chosen when the step is queued (a question answered wrong earlier comes back first).
    question = models.ForeignKey(
        BoosterQuestion, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    is_repeat = models.BooleanField(_("asked again after a wrong answer"), default=False)
    # The learner's local day the step is due, and the UTC instant that day starts for them.
    due_on = models.DateField(_("due on (learner's day)"))
    due_at = models.DateTimeField(_("due at (UTC)"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(_("why not sent"), max_length=12, choices=SkipReason.choices, blank=True)
    queued_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    choice = models.ForeignKey(
        BoosterChoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("answer")
    )
    correct = models.BooleanField(_("right"), null=True)
    answered_via = models.CharField(_("answered from"), max_length=5, choices=AnsweredVia.choices, blank=True)

    class Meta:
        ordering = ["completion", "step"]
        verbose_name = _("booster delivery")
        verbose_name_plural = _("booster deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["completion", "step"],
                name="booster_delivery_once_per_step",
                violation_error_message=_("This step of the programme is already planned for this completion."),
            ),
            models.CheckConstraint(
                condition=Q(step__gte=1),
                name="booster_delivery_step_positive",
                violation_error_message=_("Steps start at 1."),
            ),
            models.CheckConstraint(
                condition=~Q(status="queued") | Q(question__isnull=False, queued_at__isnull=False),
                name="booster_delivery_queued_has_question",
                violation_error_message=_("A sent booster needs its question and time sent."),
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, choice__isnull=True, correct__isnull=True)
                | Q(status="queued", answered_at__isnull=False, choice__isnull=False, correct__isnull=False),
                name="booster_delivery_answer_complete",
                violation_error_message=_(
                    "An answer needs a sent booster, the choice, its time and whether it was right."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="skipped") | ~Q(skip_reason=""),
                name="booster_delivery_skip_has_reason",
                violation_error_message=_("A booster not sent needs the reason."),
            ),
        ]
        indexes = [
            # The nightly claim (escalation.workflows.boosters): pending steps whose day has begun.
            models.Index(fields=["due_at", "id"], condition=Q(status="pending"), name="booster_delivery_claim_idx"),
            # The learner's home card: their sent, unanswered boosters.
            models.Index(
                fields=["learner", "queued_at"],
                condition=Q(status="queued", answered_at__isnull=True),
                name="booster_delivery_open_idx",
            ),
            # Retention figures: answers per programme and step.
            models.Index(fields=["programme", "step"], condition=Q(status="queued"), name="booster_delivery_step_idx"),
        ]

    def __str__(self) -> str:
        return f"Booster step {self.step} · completion {self.completion_id} · {self.status}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


def local_day_start(day: dt.date, tzinfo) -> dt.datetime:
    """The UTC instant the learner's local ``day`` begins (their midnight)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tzinfo).astimezone(dt.UTC)


def step_due_on(completed_on: dt.date, schedule: list[int], step: int) -> dt.date | None:
    """The local day step ``step`` (1-based) falls on; None beyond the schedule."""
    if 1 <= step <= len(schedule):
        return completed_on + dt.timedelta(days=int(schedule[step - 1]))
    return None
